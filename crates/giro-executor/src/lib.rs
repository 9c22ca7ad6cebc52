//! Giro's executors (DESIGN.md principle 3: never pay twice; principle 5: nothing stuck silently).
//!
//! One runtime drives payouts ([`runtime::start`], through the [`PayoutProvider`] trait) and
//! charges ([`runtime::start_charges`], through [`ChargeProvider`]) at any provider; each provider
//! lives in its own folder under [`providers`].

pub mod beneficiaries;
pub mod charges;
pub mod config;
pub mod dlq;
pub mod funds;
pub mod payouts;
pub mod provider;
pub mod providers;
pub mod runtime;

pub use config::{ExecutorConfig, Timings};
pub use provider::{
    BoxFuture, ChargeOperation, ChargeOrder, ChargeProvider, ChargeSubmission, ChargeView, Lookup,
    PayoutOrder, PayoutProvider, Submission,
};
pub use runtime::{
    ExecutorHandle, Next, PayoutInstance, SHARED_PAYOUT_CONSUMER, StartError, start,
    start_beneficiaries, start_charges, start_payouts, timers_subject,
};
