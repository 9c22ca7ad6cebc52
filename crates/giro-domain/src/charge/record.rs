//! Recording what came of a charge's submission attempt: the decisions on the provider's answer
//! (submitted, refused, asked to come back later) or its absence (outcome unknown).

use super::decide::invalid_state;
use super::event::{
    ChargeEvent, ChargeSubmitted, Failure, OutcomeUnknown, ProviderWaitAnnounced, SubmissionFailed,
};
use super::state::Charge;
use super::status::ChargeStatus;
use crate::rejection::Rejection;

/// Refuses a record about an attempt that is not the current one, or a charge not submitting.
fn in_attempt(c: &Charge, attempt: u32, what: &str) -> Result<(), Rejection> {
    if attempt != c.attempt || c.status != ChargeStatus::Submitting {
        return Err(invalid_state(c, what));
    }
    Ok(())
}

pub(super) fn record_submitted(
    c: &Charge,
    s: &ChargeSubmitted,
) -> Result<Vec<ChargeEvent>, Rejection> {
    if s.attempt != c.attempt {
        return Err(invalid_state(c, "record a submission of another attempt"));
    }
    if c.submitted_attempt == Some(s.attempt) {
        return Ok(vec![]);
    }
    Ok(vec![ChargeEvent::Submitted(s.clone())])
}

pub(super) fn record_failure(
    c: &Charge,
    attempt: u32,
    code: &str,
    message: &str,
    retryable: bool,
) -> Result<Vec<ChargeEvent>, Rejection> {
    in_attempt(c, attempt, "record a submission failure")?;
    let mut events = vec![ChargeEvent::SubmissionFailed(SubmissionFailed {
        attempt,
        code: code.to_string(),
        message: message.to_string(),
        retryable,
    })];
    if !retryable {
        events.push(ChargeEvent::Failed(Failure {
            code: code.to_string(),
            message: message.to_string(),
        }));
    } else if let Some(cancel) = &c.cancel_requested {
        // The provider definitely does not have it: the pending cancellation completes.
        events.push(ChargeEvent::Cancelled(cancel.clone()));
    }
    Ok(events)
}

pub(super) fn record_unknown(
    c: &Charge,
    attempt: u32,
    reason: &str,
) -> Result<Vec<ChargeEvent>, Rejection> {
    in_attempt(c, attempt, "record an unknown outcome")?;
    if c.outcome_unknown {
        return Ok(vec![]);
    }
    Ok(vec![ChargeEvent::OutcomeUnknown(OutcomeUnknown {
        attempt,
        reason: reason.to_string(),
    })])
}

pub(super) fn record_wait(
    c: &Charge,
    wait: &ProviderWaitAnnounced,
) -> Result<Vec<ChargeEvent>, Rejection> {
    in_attempt(c, wait.attempt, "record a provider's wait")?;
    let mut events = vec![ChargeEvent::ProviderWaitAnnounced(wait.clone())];
    if let Some(cancel) = &c.cancel_requested {
        // The provider definitely does not have it: the pending cancellation completes.
        events.push(ChargeEvent::Cancelled(cancel.clone()));
    }
    Ok(events)
}
