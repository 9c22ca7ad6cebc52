//! When an executor moves a payout to the next candidate of its route (`payout.rerouted`): a
//! payout its provider keeps turning away with "come back later" (maintenance, busy, rate
//! limited) for longer than [`Timings::failover_after`]. The decider checks again that no
//! attempt can still be paid and that a candidate is left; a refused reroute leaves the payout to
//! the retry policy at its provider.

use giro_domain::payout::{Payout, RerouteReason};

use crate::config::Timings;
use crate::retry::Clock;

/// Why `p`, waiting before its provider, should go to the next candidate now, if it should.
pub fn reroute_due(p: &Payout, t: &Timings, clock: &Clock) -> Option<RerouteReason> {
    if p.next_candidate().is_none() || !p.no_attempt_can_be_paid() {
        return None;
    }
    let log = &p.attempts;
    let since = log.deferred_since.filter(|_| log.deferred_run > 0)?;
    (clock.since(since) >= t.failover_after).then_some(RerouteReason::Maintenance)
}
