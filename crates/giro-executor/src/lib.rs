//! Giro's executors (DESIGN.md principle 3: never pay twice; principle 5: nothing stuck silently).
//!
//! One runtime drives payouts ([`runtime::start`], through the `giro_providers::PayoutProvider`
//! trait) and charges ([`runtime::start_charges`], through `giro_providers::ChargeProvider`) at any
//! provider; each provider lives in its own folder of the `giro-providers` crate.

pub mod attempt;
pub mod balances;
pub mod beneficiaries;
mod beneficiary_changes;
pub mod breaker;
pub mod charge;
pub mod config;
pub mod dlq;
pub mod funds;
pub mod payout;
pub mod retry;
pub mod runtime;
pub mod wakes;

pub use config::{ExecutorConfig, Timings};
pub use runtime::{
    ExecutorHandle, Next, PayoutInstance, SHARED_PAYOUT_CONSUMER, StartError, start,
    start_beneficiaries, start_charges, start_payouts, timers_subject,
};
