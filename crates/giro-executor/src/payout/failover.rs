//! When an executor moves a payout to the next candidate of its route (`payout.rerouted`): a
//! payout its provider keeps turning away with "come back later" (maintenance, busy, rate
//! limited) for longer than [`Timings::failover_after`]. The decider checks again that no
//! attempt can still be paid and that a candidate is left; a refused reroute leaves the payout to
//! the retry policy at its provider.

use std::time::Duration;

use giro_domain::payout::{Payout, RerouteReason};

use crate::config::Timings;
use crate::retry::Clock;

/// Why `p`, waiting before its provider, should go to the next candidate now, if it should.
pub fn reroute_due(p: &Payout, t: &Timings, clock: &Clock) -> Option<RerouteReason> {
    (until_due(p, t, clock)? == Duration::ZERO).then_some(RerouteReason::Maintenance)
}

/// `wait`, shortened so that a payout that can fail over looks again when its failover falls
/// due: a provider announcing a long maintenance wait does not hold it past the failover wait.
pub fn capped_wait(p: &Payout, t: &Timings, clock: &Clock, wait: Duration) -> Duration {
    until_due(p, t, clock).map_or(wait, |due| wait.min(due))
}

/// How long until `p`'s failover falls due (zero: now), when it can fail over at all.
fn until_due(p: &Payout, t: &Timings, clock: &Clock) -> Option<Duration> {
    if p.next_candidate().is_none() || !p.no_attempt_can_be_paid() {
        return None;
    }
    let log = &p.attempts;
    let since = log.deferred_since.filter(|_| log.deferred_run > 0)?;
    Some(t.failover_after.saturating_sub(clock.since(since)))
}
