//! The payout decider: what each command means for a payout in its current state.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::event::*;
use super::failover::RerouteReason;
use super::state::{Payout, PayoutStatus};
use crate::ids::{OrderId, SubmissionHandle};
use crate::rejection::{ErrorCode, Rejection};

/// A validated request to create a payout (see `payout::parse_create`).
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePayout {
    pub order_id: OrderId,
    pub requested: PayoutRequested,
}

/// What intake, the executors, the ingress and the reconciler ask of a payout.
#[derive(Debug, Clone, PartialEq)]
pub enum PayoutCommand {
    Create(Box<CreatePayout>),
    /// The caller withdraws the order; only before a provider has it.
    Cancel {
        reason: Option<String>,
    },
    /// The payout's schedule fired (`crate::approvals` and scheduled payouts share it): a
    /// scheduled payout becomes due, one waiting for an approver past its time expires;
    /// anything else has moved on and the wake is moot.
    Wake,
    /// Not enough funds at the provider yet.
    Hold {
        reason: String,
    },
    /// Claim the next submission attempt (appended before the provider call).
    StartSubmission,
    RecordSubmitted {
        attempt: u32,
        provider_ref: Option<String>,
        raw_status: Option<String>,
    },
    RecordSubmissionFailure {
        attempt: u32,
        code: String,
        message: String,
        retryable: bool,
    },
    RecordOutcomeUnknown {
        attempt: u32,
        reason: String,
    },
    /// The provider turned the attempt away with "come back later" (see
    /// [`ProviderWaitAnnounced`]).
    RecordProviderWait(ProviderWaitAnnounced),
    /// Send the current attempt again under its handle: its outcome was unknown and a lookup
    /// found nothing. Appended before the resend.
    RecordResent {
        attempt: u32,
    },
    /// A provider report from a webhook or a poll.
    RecordReport(ProviderReport),
    /// A difference between the order and a provider's statement, found by reconciliation.
    RecordDiscrepancy(Discrepancy),
    /// Give up on a payout no provider has (held too long, attempts exhausted).
    Fail {
        code: String,
        message: String,
    },
    /// Erase the payout's personal data (`giro.cmd.privacy.erase`); only once it is final.
    ErasePersonalData {
        reason: String,
    },
    /// Move a payout waiting before its provider (maintenance past the failover wait, the
    /// provider's circuit open) to the next candidate of its route (see `failover`).
    Reroute {
        reason: RerouteReason,
    },
    /// A person's action (`giro.cmd.ops.payout.*`, see [`super::operator`]).
    Operator(super::operator::OperatorCommand),
}

/// Erasure waits for a final status: a payout a provider may still have needs its details.
fn erase(p: &Payout, reason: &str) -> Result<Vec<PayoutEvent>, Rejection> {
    if p.personal_data_erased {
        return Ok(vec![]);
    }
    if !p.status.is_terminal() {
        return Err(crate::privacy::erase_refused("payout", p.status.as_str()));
    }
    Ok(vec![PayoutEvent::PersonalDataErased(PersonalDataErased {
        reason: reason.to_string(),
    })])
}

fn not_found() -> Rejection {
    Rejection::new(ErrorCode::NotFound, "no such payout")
}

pub(super) fn invalid_state(p: &Payout, what: &str) -> Rejection {
    Rejection::new(
        ErrorCode::InvalidState,
        format!("cannot {what}: payout is {}", p.status),
    )
}

/// Decides a command against a payout's state. An empty result means "already done".
pub fn decide(
    state: &Option<Payout>,
    command: &PayoutCommand,
    now: DateTime<Utc>,
) -> Result<Vec<PayoutEvent>, Rejection> {
    let p = match (state, command) {
        (None, PayoutCommand::Create(c)) => {
            check_execute_at(c.requested.execute_at, now)?;
            return Ok(vec![PayoutEvent::Requested(Arc::new(c.requested.clone()))]);
        }
        (Some(p), PayoutCommand::Create(c)) => return repeat_create(p, c),
        (None, _) => return Err(not_found()),
        (Some(p), _) => p,
    };
    match command {
        PayoutCommand::Create(_) => Ok(vec![]),
        PayoutCommand::Cancel { reason } => cancel(p, reason),
        PayoutCommand::Wake => match p.status {
            PayoutStatus::PendingApproval => super::approval::expire(p, now),
            _ => become_due(p, now),
        },
        PayoutCommand::Hold { reason } => hold(p, reason),
        PayoutCommand::StartSubmission => start_submission(p),
        PayoutCommand::RecordSubmitted {
            attempt,
            provider_ref,
            raw_status,
        } => record_submitted(p, *attempt, provider_ref, raw_status),
        PayoutCommand::RecordSubmissionFailure {
            attempt,
            code,
            message,
            retryable,
        } => record_failure(p, *attempt, code, message, *retryable),
        PayoutCommand::RecordOutcomeUnknown { attempt, reason } => {
            record_unknown(p, *attempt, reason)
        }
        PayoutCommand::RecordProviderWait(wait) => {
            in_attempt(p, wait.attempt, "record a provider's wait")?;
            Ok(vec![PayoutEvent::ProviderWaitAnnounced(wait.clone())])
        }
        PayoutCommand::RecordResent { attempt } => record_resent(p, *attempt),
        PayoutCommand::RecordReport(report) => Ok(super::reports::decide_report(p, report)),
        PayoutCommand::RecordDiscrepancy(d) => Ok(super::reports::record_discrepancy(p, d)),
        PayoutCommand::Fail { code, message } => fail(p, code, message),
        PayoutCommand::ErasePersonalData { reason } => erase(p, reason),
        PayoutCommand::Reroute { reason } => super::failover::reroute(p, *reason),
        PayoutCommand::Operator(c) => super::operator::decide(p, c),
    }
}

/// The same key again: the same body is a repeat, another body a conflict.
fn repeat_create(p: &Payout, c: &CreatePayout) -> Result<Vec<PayoutEvent>, Rejection> {
    if p.request.fingerprint == c.requested.fingerprint {
        Ok(vec![])
    } else {
        Err(Rejection::at(
            ErrorCode::IdempotencyConflict,
            "idempotency_key",
            "was already used for a payout with a different body",
        ))
    }
}

/// Refuses a record about an attempt that is not the current one, or a payout not submitting.
fn in_attempt(p: &Payout, attempt: u32, what: &str) -> Result<(), Rejection> {
    if attempt != p.attempt || p.status != PayoutStatus::Submitting {
        return Err(invalid_state(p, what));
    }
    Ok(())
}

/// How far ahead a payout may be scheduled.
pub const MAX_SCHEDULE_AHEAD: chrono::TimeDelta = chrono::TimeDelta::days(366);

/// A payout is scheduled for a time still to come, within [`MAX_SCHEDULE_AHEAD`]: an instant
/// already past is refused rather than paid at once, since it is more likely a mistake than a wish.
fn check_execute_at(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<(), Rejection> {
    let Some(at) = at else { return Ok(()) };
    let problem = if at <= now {
        format!(
            "{} is not in the future; leave execute_at out to pay now",
            at.to_rfc3339()
        )
    } else if at - now > MAX_SCHEDULE_AHEAD {
        format!(
            "{} is more than {} days ahead",
            at.to_rfc3339(),
            MAX_SCHEDULE_AHEAD.num_days()
        )
    } else {
        return Ok(());
    };
    Err(Rejection::at(
        ErrorCode::InvalidField,
        "execute_at",
        problem,
    ))
}

/// A scheduled payout whose time has come becomes requested; any other payout is past that
/// (due already, cancelled), so the command is a repeat. Early is refused: the schedule fires
/// again.
fn become_due(p: &Payout, now: DateTime<Utc>) -> Result<Vec<PayoutEvent>, Rejection> {
    match (p.status, p.request.execute_at) {
        (PayoutStatus::Scheduled, Some(at)) if at <= now => {
            Ok(vec![PayoutEvent::BecameDue(BecameDue { execute_at: at })])
        }
        (PayoutStatus::Scheduled, Some(at)) => Err(Rejection::new(
            ErrorCode::InvalidState,
            format!("payout is scheduled for {}", at.to_rfc3339()),
        )),
        _ => Ok(vec![]),
    }
}

fn cancel(p: &Payout, reason: &Option<String>) -> Result<Vec<PayoutEvent>, Rejection> {
    match p.status {
        PayoutStatus::PendingApproval
        | PayoutStatus::Scheduled
        | PayoutStatus::Requested
        | PayoutStatus::Held => Ok(vec![PayoutEvent::Cancelled(Cancelled {
            reason: reason.clone(),
            by: None,
        })]),
        PayoutStatus::Cancelled => Ok(vec![]),
        other => Err(Rejection::new(
            ErrorCode::NotCancellable,
            format!(
                "payout is {other}; only payouts pending approval, scheduled, requested or held, \
                 which no provider has yet, can be cancelled"
            ),
        )),
    }
}

fn hold(p: &Payout, reason: &str) -> Result<Vec<PayoutEvent>, Rejection> {
    match p.status {
        PayoutStatus::Requested => Ok(vec![PayoutEvent::Held(Held {
            reason: reason.to_string(),
        })]),
        PayoutStatus::Held => Ok(vec![]),
        _ => Err(invalid_state(p, "hold")),
    }
}

fn start_submission(p: &Payout) -> Result<Vec<PayoutEvent>, Rejection> {
    let before_provider = matches!(p.status, PayoutStatus::Requested | PayoutStatus::Held);
    if !before_provider || p.attempt >= SubmissionHandle::MAX_ATTEMPT {
        return Err(invalid_state(p, "start a submission"));
    }
    let attempt = p.attempt + 1;
    let handle = SubmissionHandle {
        order_id: p.id,
        attempt,
    }
    .to_string();
    Ok(vec![PayoutEvent::SubmissionStarted(SubmissionStarted {
        attempt,
        handle,
    })])
}

fn record_submitted(
    p: &Payout,
    attempt: u32,
    provider_ref: &Option<String>,
    raw_status: &Option<String>,
) -> Result<Vec<PayoutEvent>, Rejection> {
    if attempt != p.attempt {
        return Err(invalid_state(p, "record a submission of another attempt"));
    }
    if p.submitted_attempt == Some(attempt) {
        return Ok(vec![]);
    }
    Ok(vec![PayoutEvent::Submitted(Submitted {
        attempt,
        provider_ref: provider_ref.clone(),
        raw_status: raw_status.clone(),
    })])
}

fn record_failure(
    p: &Payout,
    attempt: u32,
    code: &str,
    message: &str,
    retryable: bool,
) -> Result<Vec<PayoutEvent>, Rejection> {
    in_attempt(p, attempt, "record a submission failure")?;
    let refusal = SubmissionFailed {
        attempt,
        code: code.to_string(),
        message: message.to_string(),
        retryable,
    };
    if let Some(failed_over) = super::failover::refused(p, &refusal) {
        return Ok(failed_over);
    }
    let mut events = vec![PayoutEvent::SubmissionFailed(refusal)];
    if !retryable {
        events.push(PayoutEvent::Failed(Failure {
            code: code.to_string(),
            message: message.to_string(),
        }));
    }
    Ok(events)
}

fn record_unknown(p: &Payout, attempt: u32, reason: &str) -> Result<Vec<PayoutEvent>, Rejection> {
    in_attempt(p, attempt, "record an unknown outcome")?;
    if p.outcome_unknown {
        return Ok(vec![]);
    }
    Ok(vec![PayoutEvent::OutcomeUnknown(OutcomeUnknown {
        attempt,
        reason: reason.to_string(),
    })])
}

fn record_resent(p: &Payout, attempt: u32) -> Result<Vec<PayoutEvent>, Rejection> {
    in_attempt(p, attempt, "record a resend")?;
    if !p.outcome_unknown {
        return Err(invalid_state(
            p,
            "record a resend of an attempt whose outcome is known",
        ));
    }
    Ok(vec![PayoutEvent::Resent(Resent {
        attempt,
        resend: p.attempts.current_resends + 1,
    })])
}

fn fail(p: &Payout, code: &str, message: &str) -> Result<Vec<PayoutEvent>, Rejection> {
    match p.status {
        PayoutStatus::Requested | PayoutStatus::Held => Ok(vec![PayoutEvent::Failed(Failure {
            code: code.to_string(),
            message: message.to_string(),
        })]),
        PayoutStatus::Failed => Ok(vec![]),
        _ => Err(invalid_state(p, "fail a payout a provider may have")),
    }
}
