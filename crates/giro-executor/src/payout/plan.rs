//! What the executor does next for a payout: a pure function of the payout's state (everything
//! the log says, attempts included), the [`Clock`] and the [`Timings`]. The interpreter
//! ([`super::act`]) carries the action out.

use std::time::Duration;

use giro_domain::payout::{Payout, PayoutStatus};

use crate::config::Timings;
use crate::retry::{Clock, Retry, retry_decision};

/// One step of a payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutAction {
    /// Nothing to do: the payout is final as far as Giro acts.
    Done,
    /// Look at the payout again after this long.
    Wait(Duration),
    /// Store the payout's wake (see `crate::wakes`): a scheduled payout's at its `execute_at`, one
    /// waiting for an approver at its approval's expiry; nothing to do until it comes.
    Schedule { at: chrono::DateTime<chrono::Utc> },
    /// The payout's time has come: record what that means (`PayoutCommand::Wake`): a scheduled
    /// payout becomes due, an approval expires.
    Wake,
    /// A payout that had a wake was cancelled: remove it.
    Unschedule,
    /// Reserve the amount (pre-funded providers), claim the next attempt and send it. A balance
    /// that is short holds a `requested` payout and re-checks a `held` one after `hold_recheck`.
    Submit,
    /// Fail a payout no provider has.
    Fail { code: String, message: String },
    /// The claim's owner did not report in time: the attempt's outcome is unknown.
    ClaimTimedOut,
    /// Ask the provider about the current attempt, whose outcome is unknown; if it has nothing,
    /// do `if_not_found`.
    Resolve { if_not_found: NotFound },
    /// Ask the provider for news of a submitted payout whose callback is late; look again after
    /// `next` if nothing changed.
    Poll { next: Duration },
    /// Move the payout to the next candidate of its route (see `super::failover`).
    Reroute(giro_domain::payout::RerouteReason),
}

/// What to do when the provider has nothing under the current attempt's handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFound {
    /// Send it again under the same handle (counted as an attempt).
    Resend,
    /// The attempts are spent: fail the payout with this message.
    GiveUp { message: String },
    /// The attempts are spent but a send may still be in flight: ask again after this long.
    AskAgainAfter(Duration),
}

/// The next step for `p`.
pub fn plan(p: &Payout, t: &Timings, clock: &Clock) -> PayoutAction {
    let since = clock.since(p.status_since);
    match p.status {
        PayoutStatus::Scheduled => match p.request.execute_at {
            Some(at) if at > clock.now => PayoutAction::Schedule { at },
            _ => PayoutAction::Wake,
        },
        PayoutStatus::PendingApproval => match &p.request.approval {
            Some(a) if a.expires_at > clock.now => PayoutAction::Schedule { at: a.expires_at },
            _ => PayoutAction::Wake,
        },
        PayoutStatus::Cancelled
            if p.request.execute_at.is_some() || p.request.approval.is_some() =>
        {
            PayoutAction::Unschedule
        }
        PayoutStatus::Requested => {
            if let Some(reason) = super::failover::reroute_due(p, t, clock) {
                return PayoutAction::Reroute(reason);
            }
            let failure = p.failure.as_ref();
            match retry_decision(t, p.attempt, &p.attempts, failure, since, clock) {
                Retry::Now => PayoutAction::Submit,
                Retry::After(wait) => {
                    PayoutAction::Wait(super::failover::capped_wait(p, t, clock, wait))
                }
                Retry::GiveUp { code, message } => PayoutAction::Fail { code, message },
            }
        }
        PayoutStatus::Held if since > t.hold_timeout => PayoutAction::Fail {
            code: "insufficient_funds".into(),
            message: format!(
                "held for more than {:?} waiting for funds: {}",
                t.hold_timeout,
                p.hold_reason.clone().unwrap_or_default()
            ),
        },
        PayoutStatus::Held => PayoutAction::Submit,
        PayoutStatus::Submitting if !p.outcome_unknown => {
            // A claim or a resend in flight: its sender reports, or is taken for gone.
            let quiet = clock.since(p.attempts.last_send.unwrap_or(p.status_since));
            if quiet < t.claim_timeout {
                PayoutAction::Wait(t.claim_timeout - quiet)
            } else {
                PayoutAction::ClaimTimedOut
            }
        }
        PayoutStatus::Submitting => resolve(p, t, clock),
        PayoutStatus::Submitted | PayoutStatus::Processing => match poll_due(t, clock, since) {
            Ok(next) => PayoutAction::Poll { next },
            Err(wait) => PayoutAction::Wait(wait),
        },
        PayoutStatus::Succeeded
        | PayoutStatus::Failed
        | PayoutStatus::Cancelled
        | PayoutStatus::Reversed
        | PayoutStatus::Refunded => PayoutAction::Done,
    }
}

/// Whether a provider that has the order is asked now (`Ok`, with the wait after this poll) or
/// later (`Err`, how long). The first delivery of the order's newest event sets the first poll
/// `poll_after` away; each delivery after is a poll, the next one further away. A delivery before
/// `poll_after` is no timer of ours going off but a redelivery after the instance that had the
/// order died (its ack wait passed): the provider is asked at once, since its callbacks may have
/// gone unheard meanwhile, and the backoff starts again from `poll_after`, so a restart neither
/// leaves the order waiting nor stretches its polls.
pub(crate) fn poll_due(t: &Timings, clock: &Clock, since: Duration) -> Result<Duration, Duration> {
    let backoff = clock.backoff(t.poll_after, t.poll_max, clock.redeliveries());
    if clock.deliveries <= 1 {
        Err(backoff)
    } else if since < t.poll_after {
        Ok(clock.backoff(t.poll_after, t.poll_max, 0))
    } else {
        Ok(backoff)
    }
}

/// An attempt whose outcome is unknown: asked about no sooner than a new attempt would be sent
/// (paced like one, since a lookup that finds nothing sends it again), given up only when the
/// attempts are spent and no send can still be in flight. A provider that cannot be asked never
/// fails it.
fn resolve(p: &Payout, t: &Timings, clock: &Clock) -> PayoutAction {
    let log = &p.attempts;
    let spent = log.spent(p.attempt);
    let quiet = log.last_send.map(|at| clock.since(at));
    if let Some(quiet) = quiet {
        let wait = clock.backoff(t.retry_base, t.retry_max, spent.saturating_sub(1));
        if quiet < wait {
            return PayoutAction::Wait(wait - quiet);
        }
    }
    let if_not_found = if spent < t.max_attempts {
        NotFound::Resend
    } else {
        match quiet.unwrap_or(Duration::MAX) {
            quiet if quiet < t.claim_timeout => NotFound::AskAgainAfter(t.claim_timeout - quiet),
            _ => {
                let reason = log
                    .unknown_reason
                    .clone()
                    .unwrap_or_else(|| "the provider never answered".into());
                NotFound::GiveUp {
                    message: format!("gave up after {spent} attempts: {reason}"),
                }
            }
        }
    };
    PayoutAction::Resolve { if_not_found }
}

/// How long to wait before asking again after a call that could not be made: at least what the
/// provider asked, and a backoff over the deliveries.
pub fn after_failed_call(t: &Timings, clock: &Clock, asked: Option<Duration>) -> Duration {
    let wait = clock.backoff(t.retry_base, t.retry_max, clock.redeliveries());
    asked.map_or(wait, |asked| asked.max(wait))
}
