//! The `giro-intake` NATS micro service (CONTRACT.md §1).
//!
//! Commands arrive by request/reply on `<prefix>.cmd.*` and `<prefix>.query.*`, in the service's
//! queue group so any number of instances share them. A reply is sent only after the resulting
//! event is stored. Idempotency needs no store besides JetStream: an order's id is derived from its
//! idempotency key, so every instance contends for the same subject, and the subject's optimistic
//! concurrency lets exactly one create it; the others re-decide against what it stored and answer
//! `duplicate` (same body) or `idempotency_conflict` (another body).
//!
//! A Colombian bank code is checked against the bank list of the provider instance the order goes
//! to (a payout's routed instance; for beneficiary accounts, the instance that keeps them), as the
//! engine's provider set-up last published it in `<stream>_BANKS`; before any list is published,
//! against Giro's built-in list.

pub mod client;
mod handlers;
mod micro;
pub mod reply;
mod service;

pub use client::IntakeClient;
pub use reply::Reply;
pub use service::{Intake, IntakeConfig, IntakeHandle};
