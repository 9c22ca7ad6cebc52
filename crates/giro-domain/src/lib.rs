//! Giro's domain: money and currency rules, rails and beneficiary validation, commands, events and
//! the order deciders (`decide(state, command) -> events`, `evolve(state, event) -> state`).
//! Pure: nothing here sees NATS, HTTP, SQL, the clock or randomness.

pub mod approvals;
pub mod attempts;
pub mod bank_lists;
pub mod batch;
pub mod beneficiary;
pub mod charge;
pub mod checks;
pub mod co_banks;
pub mod decider;
pub mod envelope;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod notification;
pub mod operator;
pub mod payout;
pub mod privacy;
pub mod provider;
pub mod rail;
pub mod rejection;
pub mod routing;
#[cfg(feature = "schema")]
pub mod schema;
pub mod seal;
pub mod secret;
mod upcast;
pub mod wire;

pub use decider::Decider;
pub use envelope::{Envelope, EventMeta, EventType, Upcast};
pub use ids::{EventId, IdempotencyKey, OrderId, OrderKind, ProviderId, SubmissionHandle};
pub use money::{AmountRule, Currency, Money};
pub use rejection::{ErrorCode, Rejection};
pub use secret::{MaskStyle, Pii, Secret};
