//! What the executor does next for a charge: a pure function of the charge's state (its attempts
//! and refund attempts included), the [`Clock`] and the [`Timings`]. The interpreter
//! ([`super::act`]) carries the action out.

use std::time::Duration;

use giro_domain::charge::{Charge, ChargeStatus};

use crate::config::Timings;
use crate::retry::{Clock, Retry, retry_decision};

/// One step of a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeAction {
    /// Nothing to do: the charge is final as far as Giro acts.
    Done,
    /// Look at the charge again after this long.
    Wait(Duration),
    /// Claim the next attempt and create the charge at the provider.
    Submit,
    /// Fail a charge no provider has.
    Fail { code: String, message: String },
    /// The claim's owner did not report in time: the attempt's outcome is unknown.
    ClaimTimedOut,
    /// Read the charge by its provider id and record it as submitted (a lost answer, or a charge
    /// named only by a webhook), with how the payer pays.
    ReadSubmitted,
    /// The attempt's answer was lost and no webhook named the charge in time: fail the attempt
    /// (it is never sent again).
    AbandonUnknown { message: String },
    /// Ask the provider to cancel.
    Cancel,
    /// Read the charge for news; look again after `next` if nothing changed.
    Poll { next: Duration },
    /// Claim capture attempt `attempt` and send it.
    SendCapture { attempt: u32 },
    /// Capture attempt `attempt` was claimed and its outcome is not known: read the charge.
    ResolveCapture { attempt: u32 },
    /// Claim refund attempt `attempt` and send it.
    SendRefund { attempt: u32 },
    /// Refund attempt `attempt` may have reached the provider (`why`): read the charge to tell.
    ResolveRefund { attempt: u32, why: String },
    /// Stop trying the pending refund.
    AbandonRefund { code: String, reason: String },
}

/// The next step for `c`.
pub fn plan(c: &Charge, t: &Timings, clock: &Clock) -> ChargeAction {
    let since = clock.since(c.status_since);
    match c.status {
        ChargeStatus::Requested => {
            let failure = c.failure.as_ref();
            match retry_decision(t, c.attempt, &c.attempts, failure, since, clock) {
                Retry::Now => ChargeAction::Submit,
                Retry::After(wait) => ChargeAction::Wait(wait),
                Retry::GiveUp { code, message } => ChargeAction::Fail { code, message },
            }
        }
        ChargeStatus::Submitting if !c.outcome_unknown => {
            if since < t.claim_timeout {
                ChargeAction::Wait(t.claim_timeout - since)
            } else {
                ChargeAction::ClaimTimedOut
            }
        }
        ChargeStatus::Submitting => unknown(c, t, clock, since),
        ChargeStatus::Authorized
            if c.capture_requested.is_some()
                && c.charge_uuid.is_some()
                && c.submitted_attempt == Some(c.attempt) =>
        {
            capture(c, t, clock)
        }
        ChargeStatus::Pending | ChargeStatus::Authorized | ChargeStatus::Confirmed => {
            at_provider(c, t, clock, since)
        }
        ChargeStatus::Paid if c.refund_requested.is_some() => refund(c, t, clock),
        ChargeStatus::Paid
        | ChargeStatus::Failed
        | ChargeStatus::Cancelled
        | ChargeStatus::Refunded
        | ChargeStatus::Chargeback => ChargeAction::Done,
    }
}

/// A creation whose answer was lost. With the charge's id (from a webhook) it is read; without
/// it, only the provider's webhook (carrying our handle) can name it, so the attempt waits for it
/// and fails (never resends) once the provider would have given up.
fn unknown(c: &Charge, t: &Timings, clock: &Clock, waited: Duration) -> ChargeAction {
    if c.charge_uuid.is_some() {
        return ChargeAction::ReadSubmitted;
    }
    if waited >= t.unknown_timeout {
        return ChargeAction::AbandonUnknown {
            message: format!(
                "the provider's answer to attempt {} was lost and no webhook named the charge \
                 within {:?}; it is not sent again",
                c.attempt, t.unknown_timeout
            ),
        };
    }
    let wait = clock.backoff(t.poll_after, t.poll_max, clock.redeliveries());
    ChargeAction::Wait(wait.min(t.unknown_timeout - waited))
}

/// A charge the provider has: complete a submission known only from a webhook, carry out a
/// requested cancellation, or poll when the webhooks are late.
fn at_provider(c: &Charge, t: &Timings, clock: &Clock, since: Duration) -> ChargeAction {
    let wait = clock.backoff(t.poll_after, t.poll_max, clock.redeliveries());
    if c.charge_uuid.is_none() {
        return ChargeAction::Wait(wait);
    }
    if c.submitted_attempt != Some(c.attempt) {
        return ChargeAction::ReadSubmitted;
    }
    if c.cancel_requested.is_some() {
        return ChargeAction::Cancel;
    }
    match crate::payout::plan::poll_due(t, clock, since) {
        Ok(next) => ChargeAction::Poll { next },
        Err(wait) => ChargeAction::Wait(wait),
    }
}

/// The pending capture, at most once: the first attempt is claimed and sent; a claimed one is
/// left to its sender until the claim lapses, then resolved by reading the charge.
fn capture(c: &Charge, t: &Timings, clock: &Clock) -> ChargeAction {
    let latest = &c.capture_attempt;
    if latest.attempt == 0 {
        return ChargeAction::SendCapture { attempt: 1 };
    }
    if let Some(sent) = latest.sent_at
        && clock.since(sent) < t.claim_timeout
    {
        return ChargeAction::Wait(t.claim_timeout - clock.since(sent));
    }
    ChargeAction::ResolveCapture {
        attempt: latest.attempt,
    }
}

/// The pending refund, at most once: each attempt is claimed before it is sent, one that
/// certainly did not happen is sent again (paced, at most `max_attempts`), one that may have
/// happened is resolved by reading the charge once its sender must be done.
fn refund(c: &Charge, t: &Timings, clock: &Clock) -> ChargeAction {
    let latest = &c.refund_attempt;
    if latest.attempt == 0 {
        return ChargeAction::SendRefund { attempt: 1 };
    }
    if let Some((at, reason, asked)) = &latest.not_sent {
        if latest.attempt >= t.max_attempts {
            return ChargeAction::AbandonRefund {
                code: "attempts_exhausted".into(),
                reason: format!("gave up after {} attempts: {reason}", latest.attempt),
            };
        }
        let wait = (*asked).max(clock.backoff(t.retry_base, t.retry_max, latest.attempt - 1));
        let quiet = clock.since(*at);
        if quiet < wait {
            return ChargeAction::Wait(wait - quiet);
        }
        return ChargeAction::SendRefund {
            attempt: latest.attempt + 1,
        };
    }
    if latest.unknown.is_none()
        && let Some(sent) = latest.sent_at
        && clock.since(sent) < t.claim_timeout
    {
        // Claimed and perhaps still being sent: look once its sender must be done.
        return ChargeAction::Wait(t.claim_timeout - clock.since(sent));
    }
    ChargeAction::ResolveRefund {
        attempt: latest.attempt,
        why: latest
            .unknown
            .clone()
            .unwrap_or_else(|| "the executor sending it did not report in time".into()),
    }
}
