//! Giro's webhook ingress (DESIGN.md principle 4: never lose a callback).
//!
//! A provider's callback is verified (in constant time), parsed with the executor's wire types,
//! and appended to its order's subject as `payout.provider_status` or `charge.provider_status`
//! (then the decider's consequence) **before** the provider gets its success answer. If the event log cannot store it,
//! the answer is 5xx and the provider retries. Repeats append nothing (a report is recorded once
//! by its identity); a callback for an order Giro does not know is kept on a dead-letter subject.

pub mod a55;
mod config;
mod handlers;
mod metrics;
mod server;

pub use config::{A55Hook, CashyHook, IngressConfig, KillbHook};
pub use metrics::IngressMetrics;
pub use server::{IngressHandle, router, start};
