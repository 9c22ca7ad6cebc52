//! What an executor does for a charge: [`plan`] (pure: the next step from the charge's state,
//! the clock and the timings) and its interpreter ([`ChargeWorker`]): claim an attempt, create
//! the charge, resolve an unknown outcome by asking (never by sending again), poll when webhooks
//! are late, and carry out the cancellations, captures and refunds the log asks for.

mod act;
mod capture;
mod operations;
pub mod plan;

pub use act::{ChargeWorker, refusal_command};
pub use plan::{ChargeAction, plan};
