//! Replies (docs/CONTRACT.md §1): what `giro-intake` answers, built by its handlers as JSON into
//! its `Reply` envelope and described here.

use chrono::{DateTime, Utc};
use giro_domain::batch::{BatchStatus, ItemError};
use giro_domain::beneficiary::BeneficiaryStatus;
use giro_domain::charge::{ChargeMethod, ChargeStatus};
use giro_domain::payout::{Failure, PayoutStatus};
use giro_domain::schema::{AmountString, DecimalString};
use giro_domain::{Currency, IdempotencyKey, OrderId, ProviderId, Rejection};
use schemars::JsonSchema;
use serde_json::{Map, Value};

/// A refused command: `{"ok": false, "error": {"code", "message", "field"}}`. The reply also
/// carries the service-API headers `Nats-Service-Error` and `Nats-Service-Error-Code` (400 bad
/// input, 404 unknown order, 409 conflict, 503 retry later).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Refused {
    #[schemars(extend("const" = false))]
    pub ok: bool,
    pub error: Rejection,
}

/// A command on an order was done (or was a repeat that appended nothing).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "Accepted_{S}")]
pub struct Accepted<S> {
    #[schemars(extend("const" = true))]
    pub ok: bool,
    pub order_id: OrderId,
    /// The order's status after the command.
    pub status: S,
    /// True when the command repeated an earlier one (same idempotency key and body, or a
    /// cancel of a cancelled order) and appended nothing.
    pub duplicate: bool,
}

/// A beneficiary registration was done (or was a repeat that appended nothing).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BeneficiaryAccepted {
    #[schemars(extend("const" = true))]
    pub ok: bool,
    pub beneficiary_id: OrderId,
    /// As KillB reports it; PENDING until it does.
    pub status: BeneficiaryStatus,
    pub duplicate: bool,
}

/// A beneficiary update or removal was accepted (or was a repeat that appended nothing); the
/// provider's answer follows as events.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BeneficiaryChangeAccepted {
    #[schemars(extend("const" = true))]
    pub ok: bool,
    pub beneficiary_id: OrderId,
    /// As the provider last reported it.
    pub status: BeneficiaryStatus,
    /// Changes wait for the provider's answer.
    pub update_pending: bool,
    /// A removal waits for the provider's answer.
    pub removal_pending: bool,
    pub duplicate: bool,
}

/// The personal data of an order was erased (or had been: `duplicate`).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Erased {
    #[schemars(extend("const" = true))]
    pub ok: bool,
    /// The payout, charge or beneficiary erased.
    pub order_id: OrderId,
    pub kind: Kind,
    #[schemars(extend("const" = true))]
    pub erased: bool,
    /// True when it had been erased already and nothing was appended.
    pub duplicate: bool,
}

/// The kinds of orders.
#[derive(Debug, Clone, Copy, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum Kind {
    Payout,
    Charge,
    Beneficiary,
}

/// The status of an order of any kind.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum AnyStatus {
    Payout(PayoutStatus),
    Charge(ChargeStatus),
    Beneficiary(BeneficiaryStatus),
}

/// One event of the order's history, masked.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HistoryEntry {
    pub version: u64,
    /// The event type, e.g. `payout.requested`.
    #[schemars(rename = "type")]
    pub event_type: String,
    pub at: DateTime<Utc>,
    /// The event's data with personal fields masked.
    pub data: Value,
}

/// A payout's current state.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PayoutSummary {
    pub provider: ProviderId,
    #[schemars(with = "AmountString")]
    pub amount: String,
    pub currency: Currency,
    pub external_id: Option<String>,
    pub idempotency_key: IdempotencyKey,
    /// The beneficiary with personal fields masked.
    pub beneficiary: Map<String, Value>,
    /// The current or last submission attempt (0 before the first).
    pub attempt: u32,
    pub outcome_unknown: bool,
    pub provider_ref: Option<String>,
    #[schemars(with = "Option<DecimalString>")]
    pub fee: Option<String>,
    pub failure: Option<Failure>,
    pub status_since: DateTime<Utc>,
}

/// A charge's current state.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ChargeSummary {
    pub provider: ProviderId,
    /// The charge's total, split by the provider into `installment_count` installments.
    #[schemars(with = "AmountString")]
    pub amount: String,
    pub currency: Currency,
    pub installment_count: u32,
    pub method: ChargeMethod,
}

/// The order's current state (payouts and charges).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum OrderSummary {
    Payout(PayoutSummary),
    Charge(ChargeSummary),
}

/// `giro.query.order.get`: the order's state rebuilt from its events (not from a projection)
/// and its history, personal fields masked.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OrderView {
    #[schemars(extend("const" = true))]
    pub ok: bool,
    pub order_id: OrderId,
    pub kind: Kind,
    pub status: AnyStatus,
    /// The number of the order's events.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub history: Vec<HistoryEntry>,
    /// Payouts and charges only.
    #[schemars(default)]
    pub order: Option<OrderSummary>,
}

/// The reply to a command: its success body, or a refusal.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
#[schemars(rename = "Reply_{T}")]
pub enum Reply<T> {
    Done(T),
    Refused(Refused),
}

/// Reply to `giro.cmd.payout.create` and `giro.cmd.payout.cancel`.
pub type PayoutReply = Reply<Accepted<PayoutStatus>>;
/// Reply to `giro.cmd.charge.create`.
pub type ChargeReply = Reply<Accepted<ChargeStatus>>;
/// Reply to `giro.cmd.beneficiary.register`.
pub type BeneficiaryReply = Reply<BeneficiaryAccepted>;
/// Reply to `giro.cmd.beneficiary.update` and `giro.cmd.beneficiary.remove`.
pub type BeneficiaryChangeReply = Reply<BeneficiaryChangeAccepted>;
/// Reply to `giro.cmd.privacy.erase`.
pub type PrivacyEraseReply = Reply<Erased>;
/// Reply to `giro.query.order.get`.
pub type OrderGetReply = Reply<OrderView>;

/// A part of a payout batch was accepted (or was a repeat that appended nothing).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BatchAccepted {
    #[schemars(extend("const" = true))]
    pub ok: bool,
    pub batch_id: OrderId,
    /// `receiving` until every declared item is in, then `open`; `cancelled` once cancelled.
    pub status: BatchStatus,
    pub item_count: u32,
    pub items_received: u32,
    pub duplicate: bool,
}

/// A payout batch's cancellation was done: how many items are cancelled and how many a
/// provider already has (or are final).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BatchCancelled {
    #[schemars(extend("const" = true))]
    pub ok: bool,
    pub batch_id: OrderId,
    pub status: BatchStatus,
    pub cancelled: u32,
    pub not_cancellable: u32,
    /// True when the batch had been cancelled already and nothing was appended for it.
    pub duplicate: bool,
}

/// A refused part of a payout batch: the refusal, and each invalid item's error by position
/// (the first 1,000; `error_count` says how many) when items were the cause.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BatchRefused {
    #[schemars(extend("const" = false))]
    pub ok: bool,
    pub error: Rejection,
    #[schemars(default)]
    pub error_count: Option<u32>,
    #[schemars(default)]
    pub errors: Option<Vec<ItemError>>,
}

/// The reply to a batch command.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
#[schemars(rename = "BatchReply_{T}")]
pub enum BatchReply<T> {
    Done(T),
    Refused(BatchRefused),
}

/// Reply to `giro.cmd.payout_batch.create` and `giro.cmd.payout_batch.add_items`.
pub type PayoutBatchReply = BatchReply<BatchAccepted>;
/// Reply to `giro.cmd.payout_batch.cancel`.
pub type PayoutBatchCancelReply = BatchReply<BatchCancelled>;
