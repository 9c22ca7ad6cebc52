//! Payouts whose outcome the KillB simulator decides (`giro demo`, `giro bench e2e`, the
//! end-to-end harness): the amount's last two whole digits pick the scenario.

use crate::simulator::{Sample, SampleKind, co_bank_payout};

/// A COP bank payout of `amount` ending `outcome`.
fn payout(amount: u64, outcome: &'static str) -> Sample {
    Sample {
        instance: super::NAME,
        kind: SampleKind::Payout,
        amount,
        method: "",
        outcome,
        body: co_bank_payout,
    }
}

/// Succeeded; succeeded after REVIEW_NEEDED; failed (REJECTED).
pub(super) fn samples() -> Vec<Sample> {
    vec![
        payout(50_000, "succeeded"),
        payout(60_015, "succeeded"),
        payout(70_013, "failed"),
    ]
}
