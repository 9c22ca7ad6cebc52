//! The payout decider: what each command means for a payout in its current state.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::event::*;
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
    /// A provider report from a webhook or a poll.
    RecordReport(ProviderReport),
    /// Give up on a payout no provider has (held too long, attempts exhausted).
    Fail {
        code: String,
        message: String,
    },
}

fn not_found() -> Rejection {
    Rejection::new(ErrorCode::NotFound, "no such payout")
}

fn invalid_state(p: &Payout, what: &str) -> Rejection {
    Rejection::new(
        ErrorCode::InvalidState,
        format!("cannot {what}: payout is {}", p.status),
    )
}

/// The consequence of a provider outcome for a payout in `status`, if any.
fn consequence(status: PayoutStatus, report: &ProviderReport) -> Option<PayoutEvent> {
    use PayoutStatus as S;
    let failure = || Failure {
        code: report.raw_status.clone(),
        message: report
            .reason
            .clone()
            .unwrap_or_else(|| report.raw_status.clone()),
    };
    match report.outcome {
        ReportedOutcome::Succeeded if status.is_at_provider() || status == S::Failed => {
            Some(PayoutEvent::Succeeded(Succeeded {
                provider_ref: report.provider_ref.clone(),
                fee: report.fee,
            }))
        }
        ReportedOutcome::Failed if status.is_at_provider() => Some(PayoutEvent::Failed(failure())),
        ReportedOutcome::Failed if status == S::Succeeded => Some(PayoutEvent::Reversed(failure())),
        ReportedOutcome::Refunded if status.is_at_provider() || status == S::Succeeded => {
            Some(PayoutEvent::Refunded(Refunded {
                reason: report.reason.clone(),
            }))
        }
        _ => None,
    }
}

/// Decides a command against a payout's state. An empty result means "already done".
pub fn decide(
    state: &Option<Payout>,
    command: &PayoutCommand,
    _now: DateTime<Utc>,
) -> Result<Vec<PayoutEvent>, Rejection> {
    use PayoutStatus as S;
    let p = match (state, command) {
        (None, PayoutCommand::Create(c)) => {
            return Ok(vec![PayoutEvent::Requested(Arc::new(c.requested.clone()))]);
        }
        (Some(p), PayoutCommand::Create(c)) => {
            return if p.request.fingerprint == c.requested.fingerprint {
                Ok(vec![])
            } else {
                Err(Rejection::at(
                    ErrorCode::IdempotencyConflict,
                    "idempotency_key",
                    "was already used for a payout with a different body",
                ))
            };
        }
        (None, _) => return Err(not_found()),
        (Some(p), _) => p,
    };
    let events = match command {
        PayoutCommand::Create(_) => vec![],
        PayoutCommand::Cancel { reason } => match p.status {
            S::Requested | S::Held => {
                vec![PayoutEvent::Cancelled(Cancelled {
                    reason: reason.clone(),
                })]
            }
            S::Cancelled => vec![],
            other => {
                return Err(Rejection::new(
                    ErrorCode::NotCancellable,
                    format!(
                        "payout is {other}; only requested or held payouts, which no provider has \
                         yet, can be cancelled"
                    ),
                ));
            }
        },
        PayoutCommand::Hold { reason } => match p.status {
            S::Requested => vec![PayoutEvent::Held(Held {
                reason: reason.clone(),
            })],
            S::Held => vec![],
            _ => return Err(invalid_state(p, "hold")),
        },
        PayoutCommand::StartSubmission => match p.status {
            S::Requested | S::Held if p.attempt < SubmissionHandle::MAX_ATTEMPT => {
                let attempt = p.attempt + 1;
                let handle = SubmissionHandle {
                    order_id: p.id,
                    attempt,
                }
                .to_string();
                vec![PayoutEvent::SubmissionStarted(SubmissionStarted {
                    attempt,
                    handle,
                })]
            }
            _ => return Err(invalid_state(p, "start a submission")),
        },
        PayoutCommand::RecordSubmitted {
            attempt,
            provider_ref,
            raw_status,
        } => {
            if *attempt != p.attempt {
                return Err(invalid_state(p, "record a submission of another attempt"));
            }
            if p.submitted_attempt == Some(*attempt) {
                vec![]
            } else {
                vec![PayoutEvent::Submitted(Submitted {
                    attempt: *attempt,
                    provider_ref: provider_ref.clone(),
                    raw_status: raw_status.clone(),
                })]
            }
        }
        PayoutCommand::RecordSubmissionFailure {
            attempt,
            code,
            message,
            retryable,
        } => {
            if *attempt != p.attempt || p.status != S::Submitting {
                return Err(invalid_state(p, "record a submission failure"));
            }
            let mut events = vec![PayoutEvent::SubmissionFailed(SubmissionFailed {
                attempt: *attempt,
                code: code.clone(),
                message: message.clone(),
                retryable: *retryable,
            })];
            if !retryable {
                events.push(PayoutEvent::Failed(Failure {
                    code: code.clone(),
                    message: message.clone(),
                }));
            }
            events
        }
        PayoutCommand::RecordOutcomeUnknown { attempt, reason } => {
            match (p.status, *attempt == p.attempt, p.outcome_unknown) {
                (S::Submitting, true, false) => vec![PayoutEvent::OutcomeUnknown(OutcomeUnknown {
                    attempt: *attempt,
                    reason: reason.clone(),
                })],
                (S::Submitting, true, true) => vec![],
                _ => return Err(invalid_state(p, "record an unknown outcome")),
            }
        }
        PayoutCommand::RecordReport(report) => decide_report(p, report),
        PayoutCommand::Fail { code, message } => match p.status {
            S::Requested | S::Held => {
                vec![PayoutEvent::Failed(Failure {
                    code: code.clone(),
                    message: message.clone(),
                })]
            }
            S::Failed => vec![],
            _ => return Err(invalid_state(p, "fail a payout a provider may have")),
        },
    };
    Ok(events)
}

/// A report is recorded once (by its id); its consequence follows when it is new, or when it is a
/// repeat of the newest decisive report: that re-derives a consequence a crash between the two
/// appends lost, while a repeat of an older report (a stale SUCCESS after a reversal) changes
/// nothing.
fn decide_report(p: &Payout, report: &ProviderReport) -> Vec<PayoutEvent> {
    let seen = p.report_ids.iter().any(|id| id == &report.report_id);
    let newest = p
        .last_decisive_report
        .as_ref()
        .is_some_and(|(id, _)| id == &report.report_id);
    let mut events = Vec::new();
    let mut status = p.status;
    if !seen {
        if report.outcome == ReportedOutcome::InFlight
            && matches!(status, PayoutStatus::Submitting | PayoutStatus::Submitted)
        {
            status = PayoutStatus::Processing;
        }
        events.push(PayoutEvent::ProviderStatus(report.clone()));
    }
    if !seen || newest {
        events.extend(consequence(status, report));
    }
    events
}
