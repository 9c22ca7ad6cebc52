//! The payout batch aggregate (`giro.cmd.payout_batch.*`): many payouts submitted together, for
//! payroll and supplier runs.
//!
//! A batch declares how many items it has and receives them in parts (one message holds at most
//! about 2,000 payouts under NATS's default 1 MB payload), each part all or nothing. Every item
//! is an ordinary payout order of its own carrying the batch's id; the batch records which orders
//! it holds and their totals, and whether its cancellation was asked for. How far its payouts got
//! is theirs to say: the read models add it up.

mod request;

pub use request::{
    AddItemsDraft, BatchDraft, ItemError, MAX_ITEMS, Refused, parse_add_items, parse_cancel,
    parse_create, part,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::decider::Decider;
use crate::envelope::{Envelope, EventType};
use crate::ids::{IdempotencyKey, OrderId, OrderKind};
use crate::money::Money;
use crate::rejection::{ErrorCode, Rejection};

/// One part of a batch's items, as recorded: which orders, and what they add up to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BatchPart {
    /// The position of the part's first item in the batch, counted from 0.
    pub first_item: u32,
    /// SHA-256 of the part's items, canonicalised: the same part again is a repeat.
    pub fingerprint: String,
    /// The payout orders of the part's items, in order.
    pub order_ids: Vec<OrderId>,
    /// The part's amounts added up per currency.
    pub totals: Vec<Money>,
}

/// A batch was accepted, with its first part of items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BatchCreated {
    pub idempotency_key: IdempotencyKey,
    /// SHA-256 of the create command's body, canonicalised.
    pub fingerprint: String,
    /// How many items the batch has in all.
    pub item_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    pub items: BatchPart,
}

/// A further part of the batch's items was accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BatchItemsAdded {
    pub items: BatchPart,
}

/// The batch's cancellation was asked for: its items not yet with a provider are cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BatchCancelRequested {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Everything that can happen to a payout batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "data")]
pub enum BatchEvent {
    #[serde(rename = "payout_batch.created")]
    Created(Box<BatchCreated>),
    #[serde(rename = "payout_batch.items_added")]
    ItemsAdded(BatchItemsAdded),
    #[serde(rename = "payout_batch.cancel_requested")]
    CancelRequested(BatchCancelRequested),
}

impl EventType for BatchEvent {
    fn event_type(&self) -> &'static str {
        match self {
            BatchEvent::Created(_) => "payout_batch.created",
            BatchEvent::ItemsAdded(_) => "payout_batch.items_added",
            BatchEvent::CancelRequested(_) => "payout_batch.cancel_requested",
        }
    }
}

impl crate::envelope::Upcast for BatchEvent {}

/// What the log knows of a batch: `receiving` until every declared item is in, then `open`;
/// `cancelled` once its cancellation was asked for. (`completed`, every item final, is the read
/// models' to say: the items are orders of their own.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    Receiving,
    Open,
    Cancelled,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Receiving => "receiving",
            BatchStatus::Open => "open",
            BatchStatus::Cancelled => "cancelled",
        }
    }
}

/// A batch rebuilt from its events.
#[derive(Debug, Clone, PartialEq)]
pub struct PayoutBatch {
    pub id: OrderId,
    pub idempotency_key: IdempotencyKey,
    pub fingerprint: String,
    pub item_count: u32,
    /// The parts received, in order; their orders are the batch's items so far.
    pub parts: Vec<BatchPart>,
    pub cancel_requested: bool,
    pub created_at: DateTime<Utc>,
}

impl PayoutBatch {
    /// How many items are in.
    pub fn items_received(&self) -> u32 {
        self.parts.iter().map(|p| p.order_ids.len() as u32).sum()
    }

    pub fn status(&self) -> BatchStatus {
        if self.cancel_requested {
            BatchStatus::Cancelled
        } else if self.items_received() < self.item_count {
            BatchStatus::Receiving
        } else {
            BatchStatus::Open
        }
    }

    /// Every item's payout order, in the batch's order.
    pub fn order_ids(&self) -> impl Iterator<Item = OrderId> + '_ {
        self.parts.iter().flat_map(|p| p.order_ids.iter().copied())
    }
}

/// What may be asked of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchCommand {
    /// Accept a new batch with its first part (a repeat with the same body appends nothing).
    Create(Box<BatchCreated>),
    /// Accept the next part of the items.
    AddItems(BatchPart),
    /// Ask for the batch's cancellation (again: nothing more).
    Cancel { reason: Option<String> },
}

/// The batch decider (see [`Decider`]).
pub struct PayoutBatchDecider;

impl Decider for PayoutBatchDecider {
    type State = Option<PayoutBatch>;
    type Command = BatchCommand;
    type Event = BatchEvent;
    const KIND: OrderKind = OrderKind::PayoutBatch;

    fn decide(
        state: &Self::State,
        command: &Self::Command,
        _now: DateTime<Utc>,
    ) -> Result<Vec<Self::Event>, Rejection> {
        decide(state.as_ref(), command)
    }

    fn evolve(state: Self::State, event: &Envelope<Self::Event>) -> Self::State {
        evolve(state, event)
    }
}

fn decide(
    state: Option<&PayoutBatch>,
    command: &BatchCommand,
) -> Result<Vec<BatchEvent>, Rejection> {
    match (state, command) {
        (None, BatchCommand::Create(c)) => Ok(vec![BatchEvent::Created(c.clone())]),
        (Some(b), BatchCommand::Create(c)) if b.fingerprint == c.fingerprint => Ok(vec![]),
        (Some(_), BatchCommand::Create(_)) => Err(Rejection::at(
            ErrorCode::IdempotencyConflict,
            "idempotency_key",
            "this idempotency key was used for another batch",
        )),
        (None, _) => Err(Rejection::at(
            ErrorCode::NotFound,
            "batch_id",
            "no such payout batch",
        )),
        (Some(b), BatchCommand::AddItems(part)) => add_items(b, part),
        (Some(b), BatchCommand::Cancel { .. }) if b.cancel_requested => Ok(vec![]),
        (Some(_), BatchCommand::Cancel { reason }) => {
            Ok(vec![BatchEvent::CancelRequested(BatchCancelRequested {
                reason: reason.clone(),
            })])
        }
    }
}

/// The next part is taken; a part already taken again is a repeat (or a conflict if its items
/// differ); a part out of order, too many items, or items for a cancelled batch are refused.
fn add_items(b: &PayoutBatch, part: &BatchPart) -> Result<Vec<BatchEvent>, Rejection> {
    if let Some(taken) = b.parts.iter().find(|p| p.first_item == part.first_item) {
        return if taken.fingerprint == part.fingerprint {
            Ok(vec![])
        } else {
            Err(Rejection::at(
                ErrorCode::IdempotencyConflict,
                "first_item",
                format!(
                    "the items from {} on were already given with other contents",
                    part.first_item
                ),
            ))
        };
    }
    if b.cancel_requested {
        return Err(Rejection::at(
            ErrorCode::InvalidState,
            "batch_id",
            "the batch was cancelled; it takes no more items",
        ));
    }
    let received = b.items_received();
    if part.first_item != received {
        return Err(Rejection::at(
            ErrorCode::InvalidState,
            "first_item",
            format!("the batch has {received} items; the next part starts at {received}"),
        ));
    }
    let after = u64::from(received) + part.order_ids.len() as u64;
    if after > u64::from(b.item_count) {
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            "items",
            format!(
                "the batch was declared with {} items; {after} would be more",
                b.item_count
            ),
        ));
    }
    Ok(vec![BatchEvent::ItemsAdded(BatchItemsAdded {
        items: part.clone(),
    })])
}

fn evolve(state: Option<PayoutBatch>, event: &Envelope<BatchEvent>) -> Option<PayoutBatch> {
    match (state, &event.event) {
        (None, BatchEvent::Created(c)) => Some(PayoutBatch {
            id: event.order_id,
            idempotency_key: c.idempotency_key.clone(),
            fingerprint: c.fingerprint.clone(),
            item_count: c.item_count,
            parts: vec![c.items.clone()],
            cancel_requested: false,
            created_at: event.at,
        }),
        (Some(mut b), BatchEvent::ItemsAdded(added)) => {
            b.parts.push(added.items.clone());
            Some(b)
        }
        (Some(mut b), BatchEvent::CancelRequested(_)) => {
            b.cancel_requested = true;
            Some(b)
        }
        (state, _) => state,
    }
}
