//! What an executor does for a payout: [`plan`] (pure: the next step from the payout's state,
//! the clock and the timings) and its interpreter ([`PayoutWorker`]: provider calls, the funds
//! ledger, and the commands that record what came of them).

mod act;
mod failover;
mod funded;
pub mod plan;
mod resolve;

pub use act::{PayoutWorker, refusal_command};
pub use failover::reroute_due;
pub use plan::{NotFound, PayoutAction, plan};
