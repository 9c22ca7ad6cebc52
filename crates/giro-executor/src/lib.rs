//! Giro's executors (DESIGN.md principle 3: never pay twice; principle 5: nothing stuck silently).
//!
//! One runtime ([`runtime::start`]) drives payouts at any provider through the one
//! [`PayoutProvider`] trait; each provider lives in its own folder under [`providers`].

pub mod config;
pub mod dlq;
pub mod funds;
pub mod payouts;
pub mod provider;
pub mod providers;
pub mod runtime;

pub use config::{ExecutorConfig, Timings};
pub use provider::{BoxFuture, Lookup, PayoutOrder, PayoutProvider, Submission};
pub use runtime::{ExecutorHandle, StartError, start};
