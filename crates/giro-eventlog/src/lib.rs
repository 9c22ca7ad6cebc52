//! Giro's event log on NATS JetStream (DESIGN.md principles 1 and 2).
//!
//! Every order has one subject, `<prefix>.evt.<kind>.<order_id>`, in the `GIRO_EVENTS` stream.
//! Appends name the subject's last known sequence (`Nats-Expected-Last-Subject-Sequence`), so of
//! two writers deciding from the same state exactly one wins; the other reloads and decides again.
//! Each event's id is its `Nats-Msg-Id`, so a publish retried after a lost ack is stored once.

pub mod audit;
pub mod banks;
mod config;
mod error;
pub mod keys;
mod log;
pub mod provision;
pub mod server;
pub mod trace;
pub mod velocity;

#[cfg(feature = "test-support")]
pub mod test_support;

pub use audit::{AuditLog, AuditOutcome, AuditRecord};
pub use banks::BankListStore;
pub use config::EventLogConfig;
pub use error::{Error, ExecuteError};
pub use keys::Keys;
pub use log::{Appended, Delivered, EventLog, Executed, Loaded, Tail};
pub use velocity::{Reserved, VelocityStore};

/// Header naming an event's type, so consumers and the `nats` CLI can filter without decoding.
pub const EVENT_TYPE_HEADER: &str = "Giro-Event-Type";

/// Header naming the provider instance an order's event is for (payouts and charges).
pub const PROVIDER_HEADER: &str = "Giro-Provider";
