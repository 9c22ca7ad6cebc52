//! Reading `giro.cmd.payout_batch.create`, `.add_items` and `.cancel` (CONTRACT.md §1).
//!
//! Every item is read by exactly the rules of `giro.cmd.payout.create`; a part with any invalid
//! item is refused whole, each invalid item named by its position with its own error, so that
//! nothing of a part is accepted unless all of it is.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::{BatchCreated, BatchPart};
use crate::ids::{IdempotencyKey, OrderId, OrderKind};
use crate::money::{Currency, Money};
use crate::payout::{self, CreatePayout, PayoutDraft, amount_rejection, parse_key, parse_metadata};
use crate::rejection::{ErrorCode, Rejection};
use crate::wire;

/// The most items one batch may have.
pub const MAX_ITEMS: u32 = 10_000;

/// One item's refusal: its position in the batch (from 0) and its error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ItemError {
    pub item: u32,
    #[serde(flatten)]
    pub error: Rejection,
}

/// A refused part: why, and each invalid item's error (empty when the body itself is wrong).
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub rejection: Rejection,
    pub items: Vec<ItemError>,
}

impl From<Rejection> for Refused {
    fn from(rejection: Rejection) -> Self {
        Refused {
            rejection,
            items: Vec::new(),
        }
    }
}

impl Refused {
    /// The refusal of a part for its invalid items.
    pub fn items(items: Vec<ItemError>, of: usize) -> Self {
        Refused {
            rejection: Rejection::at(
                ErrorCode::InvalidField,
                "items",
                format!(
                    "{} of {of} items are invalid (see errors); nothing was accepted",
                    items.len()
                ),
            ),
            items,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateInput<'a> {
    idempotency_key: String,
    #[serde(default)]
    item_count: Option<u32>,
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    metadata: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddInput<'a> {
    batch_id: String,
    first_item: u32,
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelInput {
    batch_id: String,
    #[serde(default)]
    reason: Option<String>,
}

/// A valid create command: the batch and its first part's payouts, before routing.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchDraft {
    pub batch_id: OrderId,
    pub idempotency_key: IdempotencyKey,
    pub item_count: u32,
    pub metadata: Option<Map<String, Value>>,
    /// The first part's valid items by position, each already marked as an item of this batch.
    pub items: Vec<(u32, PayoutDraft)>,
    /// The first part's invalid items: if any, the part must be refused ([`BatchDraft::check`]).
    pub invalid: Vec<ItemError>,
}

/// A part is all or nothing: refused if any of its items is invalid.
fn check(invalid: &[ItemError], count: usize) -> Result<(), Refused> {
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(Refused::items(invalid.to_vec(), count))
    }
}

impl BatchDraft {
    /// Refuses the part if any item is invalid, naming each.
    pub fn check(&self) -> Result<(), Refused> {
        check(&self.invalid, self.items.len() + self.invalid.len())
    }

    /// The `payout_batch.created` of this draft, its first part recorded as `part`.
    pub fn created(&self, part: BatchPart) -> BatchCreated {
        let fingerprint = wire::fingerprint(&json!({
            "idempotency_key": self.idempotency_key,
            "item_count": self.item_count,
            "metadata": self.metadata,
            "items": part.fingerprint,
        }));
        BatchCreated {
            idempotency_key: self.idempotency_key.clone(),
            fingerprint,
            item_count: self.item_count,
            metadata: self.metadata.clone(),
            items: part,
        }
    }
}

/// A valid add-items command: a further part's payouts, before routing.
#[derive(Debug, Clone, PartialEq)]
pub struct AddItemsDraft {
    pub batch_id: OrderId,
    pub first_item: u32,
    /// The part's valid items by position.
    pub items: Vec<(u32, PayoutDraft)>,
    /// The part's invalid items.
    pub invalid: Vec<ItemError>,
}

impl AddItemsDraft {
    /// Refuses the part if any item is invalid, naming each.
    pub fn check(&self) -> Result<(), Refused> {
        check(&self.invalid, self.items.len() + self.invalid.len())
    }
}

/// The record of a part whose items start at `first_item`: their orders, fingerprints and
/// totals, from the items' routed commands.
pub fn part(first_item: u32, items: &[CreatePayout]) -> Result<BatchPart, Rejection> {
    let fingerprints: Vec<&str> = items
        .iter()
        .map(|c| c.requested.fingerprint.as_str())
        .collect();
    let mut sums: BTreeMap<Currency, Decimal> = BTreeMap::new();
    for c in items {
        *sums.entry(c.requested.money.currency()).or_default() += c.requested.money.amount();
    }
    let totals = sums
        .into_iter()
        .map(|(currency, sum)| Money::new(sum, currency).map_err(amount_rejection))
        .collect::<Result<_, _>>()?;
    Ok(BatchPart {
        first_item,
        fingerprint: wire::fingerprint(&json!({"first_item": first_item, "items": fingerprints})),
        order_ids: items.iter().map(|c| c.order_id).collect(),
        totals,
    })
}

/// Parses a create command: the batch and its first part (items 0, 1, …). Invalid items are
/// listed beside the valid ones, so that the checks that need lookups can name theirs too.
pub fn parse_create(body: &[u8]) -> Result<BatchDraft, Refused> {
    let input: CreateInput<'_> = wire::typed_slice(body)?;
    let idempotency_key = parse_key(input.idempotency_key)?;
    let item_count = input.item_count.unwrap_or(input.items.len() as u32);
    if item_count == 0 || item_count > MAX_ITEMS {
        let field = if input.item_count.is_some() {
            "item_count"
        } else {
            "items"
        };
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            field,
            format!("a batch has 1 to {MAX_ITEMS} items, not {item_count}"),
        )
        .into());
    }
    let metadata = match input.metadata {
        None => None,
        Some(raw) => {
            // Read as the `metadata` of a command, so its text rules are the payouts'.
            let mut wrapped =
                wire::parse_object(format!("{{\"metadata\":{}}}", raw.get()).as_bytes())?;
            parse_metadata(wrapped.remove("metadata"))?
        }
    };
    let batch_id = OrderId::for_idempotency_key(OrderKind::PayoutBatch, &idempotency_key);
    let (items, invalid) = parse_items(batch_id, 0, item_count, &input.items)?;
    Ok(BatchDraft {
        batch_id,
        idempotency_key,
        item_count,
        metadata,
        items,
        invalid,
    })
}

/// Parses an add-items command: the part of a batch whose first item is `first_item`.
pub fn parse_add_items(body: &[u8]) -> Result<AddItemsDraft, Refused> {
    let input: AddInput<'_> = wire::typed_slice(body)?;
    let batch_id = parse_batch_id(&input.batch_id)?;
    let (items, invalid) = parse_items(batch_id, input.first_item, MAX_ITEMS, &input.items)?;
    Ok(AddItemsDraft {
        batch_id,
        first_item: input.first_item,
        items,
        invalid,
    })
}

/// Parses a cancel command: the batch and the reason.
pub fn parse_cancel(body: &[u8]) -> Result<(OrderId, Option<String>), Rejection> {
    let input: CancelInput = wire::typed(Value::Object(wire::parse_object(body)?), "")?;
    Ok((parse_batch_id(&input.batch_id)?, input.reason))
}

fn parse_batch_id(id: &str) -> Result<OrderId, Rejection> {
    id.parse()
        .map_err(|_| Rejection::at(ErrorCode::InvalidField, "batch_id", "must be a UUID"))
}

/// Every item read as a payout create command of batch `batch_id`: the valid ones by position,
/// and each invalid one's error. An idempotency key given twice in the part is refused at its
/// second item.
type Items = (Vec<(u32, PayoutDraft)>, Vec<ItemError>);

fn parse_items(
    batch_id: OrderId,
    first_item: u32,
    limit: u32,
    raw: &[&RawValue],
) -> Result<Items, Refused> {
    if raw.is_empty() || raw.len() > limit as usize {
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            "items",
            format!("give 1 to {limit} items, not {}", raw.len()),
        )
        .into());
    }
    let mut errors = Vec::new();
    let mut drafts = Vec::with_capacity(raw.len());
    let mut seen: HashMap<String, u32> = HashMap::new();
    for (i, item) in raw.iter().enumerate() {
        let at = first_item.saturating_add(i as u32);
        match payout::parse_create(item.get().as_bytes()) {
            Ok(draft) => match seen.insert(draft.idempotency_key.as_str().to_string(), at) {
                Some(earlier) => errors.push(ItemError {
                    item: at,
                    error: Rejection::at(
                        ErrorCode::InvalidField,
                        "idempotency_key",
                        format!("repeats item {earlier}'s; every item is a payout of its own"),
                    ),
                }),
                None => drafts.push((at, draft.in_batch(batch_id))),
            },
            Err(error) => errors.push(ItemError { item: at, error }),
        }
    }
    Ok((drafts, errors))
}
