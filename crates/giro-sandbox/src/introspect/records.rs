//! What the sandbox remembers about each order, in the form `GET /_sandbox/*` returns it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every create request that named one idempotency handle (KillB `Idempotency-Key`, else
/// `externalId`; Cashy `mchOrderNo`; A55 `reference_external_id`, else the charge's own uuid).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandleRecord {
    /// `killb`, `cashy-co`, `cashy-tz` or `a55`.
    pub provider: String,
    /// The handle as the client sent it.
    pub handle: String,
    /// Create requests that passed authentication and named this handle, whatever their outcome.
    pub submissions: u32,
    /// Of those, how many were refused (duplicate `mchOrderNo`, invalid field, no balance, …).
    pub refused: u32,
    /// Of those, how many were answered with the existing order (KillB idempotent repeat).
    pub replays: u32,
    /// Provider ids of the orders actually created for this handle: more than one is a double payout.
    pub orders: Vec<String>,
}

/// One order as the provider holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// `killb`, `cashy-co`, `cashy-tz` or `a55`.
    pub provider: String,
    /// The provider's id: KillB payout id, Cashy `orderNo`, A55 `charge_uuid`.
    pub order_id: String,
    /// The idempotency handle it was created under.
    pub handle: String,
    /// KillB `externalId`, Cashy `mchOrderNo`, A55 `reference_external_id`.
    pub external_id: Option<String>,
    /// The amount the provider recorded, as text.
    pub amount: String,
    /// Its currency.
    pub currency: String,
    /// The current status, in the provider's words.
    pub status: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Every status it went through, the first being its status at creation.
    pub history: Vec<StatusChange>,
    /// Every callback attempt made (or dropped) for it.
    pub callbacks: Vec<CallbackAttempt>,
    /// Set when the provider changed the amount it was sent (A55 truncating fractional CLP/COP).
    pub truncated: Option<Truncation>,
}

/// One status the order went through.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The provider's status word.
    pub status: String,
    /// Failure reason or other detail (Cashy `resultDesc`, A55 error code).
    pub detail: Option<String>,
    /// When the order entered it.
    pub at: DateTime<Utc>,
}

/// An amount the provider did not keep as sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truncation {
    /// The amount in the request.
    pub sent: String,
    /// The amount the provider kept.
    pub kept: String,
}

/// One attempt to deliver a callback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackAttempt {
    /// Which delivery (one notification, or one copy of a duplicated one) this attempt belongs to.
    pub delivery: u64,
    /// 1 for the first attempt, 2 for the first retry, ….
    pub attempt: u32,
    /// The status the callback announces.
    pub announces: String,
    /// Where it was sent.
    pub url: String,
    /// When the attempt was made.
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, if it answered.
    pub http_status: Option<u16>,
    /// The first 200 characters of the receiver's answer.
    pub body: String,
    /// Why no answer was read (connection refused, time-out, …).
    pub error: Option<String>,
    /// What the provider made of it.
    pub outcome: CallbackOutcome,
}

/// What one callback attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackOutcome {
    /// The receiver answered with the provider's success form; no more attempts.
    Acknowledged,
    /// Not acknowledged; another attempt is scheduled.
    Failed,
    /// Not acknowledged and no attempt follows (retries exhausted, or an answer not retried).
    Abandoned,
    /// Never sent: the `drop_callback` fault.
    Dropped,
}

/// An order with the submission counts of its handle, as `GET /_sandbox/orders` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderReport {
    /// The order.
    #[serde(flatten)]
    pub order: OrderRecord,
    /// Create requests that named the order's handle (idempotent repeats and refusals included).
    pub submissions: u32,
    /// Orders created for the handle; 1 unless the client paid twice.
    pub orders_for_handle: u32,
}

/// Totals over a run, for a chaos test's one-call check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Per provider.
    pub providers: BTreeMap<String, ProviderSummary>,
    /// Handles seen across providers.
    pub handles: u32,
    /// Create requests across providers.
    pub submissions: u32,
    /// Orders created across providers.
    pub orders: u32,
    /// No handle and no external id got more than one order: nothing was paid twice.
    pub at_most_once: bool,
    /// Additionally every handle got exactly one order (none was refused for good).
    pub exactly_once: bool,
    /// Handles with more than one order.
    pub handles_created_more_than_once: Vec<HandleRecord>,
    /// Handles that were submitted but never created an order.
    pub handles_never_created: Vec<HandleRecord>,
    /// External ids (KillB `externalId`, A55 `reference_external_id`) with more than one order.
    pub external_ids_created_more_than_once: Vec<String>,
}

/// Totals for one provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSummary {
    /// Distinct handles.
    pub handles: u32,
    /// Create requests.
    pub submissions: u32,
    /// Create requests refused.
    pub refused: u32,
    /// Create requests answered with an existing order.
    pub replays: u32,
    /// Orders created.
    pub orders: u32,
    /// Orders per current status.
    pub by_status: BTreeMap<String, u32>,
    /// Orders whose amount was truncated.
    pub truncations: u32,
    /// Callback attempts per outcome.
    pub callbacks: BTreeMap<String, u32>,
}
