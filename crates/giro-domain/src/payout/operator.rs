//! What a person may do to a payout by hand (CONTRACT.md §1 `giro.cmd.ops.*`), decided like any
//! other command: each allowed action is an event on the payout's subject that names who acted
//! (the verified token's subject) and why; a refused one is a [`Rejection`].

use serde::{Deserialize, Serialize};

use super::event::{Cancelled, Failure, PayoutEvent, Succeeded};
use super::state::{Payout, PayoutStatus};
use crate::rejection::{ErrorCode, Rejection};

/// An operator's command: who (from the verified token) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorCommand {
    /// The token's subject; never a field of the request body.
    pub by: String,
    pub action: OperatorAction,
}

/// The actions of CONTRACT.md §1 "Operator actions".
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorAction {
    /// Settle an outcome no lookup could establish, with what the provider shows for it.
    Resolve {
        reason: String,
        evidence: Evidence,
        outcome: ResolvedOutcome,
    },
    /// Make a new attempt of a failed payout no provider can still pay.
    Retry { reason: String },
    /// Send a held payout again now (the funds check runs again, and the hold clock restarts).
    Release { reason: String },
    /// Withdraw a payout no provider has yet.
    Cancel { reason: String },
    /// Hand a dead-lettered event back to its consumer.
    ReplayDeadLetter {
        reason: String,
        dead_letter: DeadLetterRef,
    },
    /// Leave a note on the payout's timeline.
    Note { text: String },
    /// Let a payout waiting for approval go (an approver other than its requester).
    Approve { reason: Option<String> },
    /// Refuse a payout waiting for approval; it ends cancelled.
    Reject { reason: String },
}

/// What the provider shows for the payout, as a person read it there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Evidence {
    /// The provider's reference of the payout.
    pub provider_ref: String,
    /// The status exactly as the provider shows it (e.g. `COMPLETED`, `FAIL`).
    pub provider_status: String,
}

/// The outcome an operator settled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResolvedOutcome {
    Succeeded,
    Failed,
}

/// A dead letter in `<stream>_DLQ`: its sequence there and the subject it was kept on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeadLetterRef {
    pub sequence: u64,
    pub subject: String,
    /// The sequence of the original event in the event stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_sequence: Option<u64>,
}

/// `payout.outcome_resolved`: an operator settled an unknown outcome; the usual consequence
/// (`payout.succeeded` or `payout.failed`) follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OutcomeResolved {
    pub by: String,
    pub reason: String,
    pub attempt: u32,
    pub evidence: Evidence,
    pub outcome: ResolvedOutcome,
}

/// `payout.retried`: an operator started a new attempt of a failed payout no provider can pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Retried {
    pub by: String,
    pub reason: String,
    /// The attempt that failed; the executor claims the next one.
    pub failed_attempt: u32,
}

/// `payout.released`: an operator sent a held payout back to be made now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Released {
    pub by: String,
    pub reason: String,
}

/// `payout.dead_letter_replayed`: an operator handed a dead-lettered event back to its consumer
/// (this event, on the order's subject, is what wakes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeadLetterReplayed {
    pub by: String,
    pub reason: String,
    pub dead_letter: DeadLetterRef,
}

/// `payout.note_added`: an operator's note on the payout's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NoteAdded {
    pub by: String,
    pub text: String,
}

/// The failure code a payout failed by an operator's resolution carries.
pub const RESOLVED_FAILED: &str = "resolved_failed_by_operator";

/// Longest reason or note kept, in characters: a sentence or a paragraph, not a document.
pub const MAX_TEXT_CHARS: usize = 2000;

/// Decides an operator's command against a payout.
pub(super) fn decide(p: &Payout, c: &OperatorCommand) -> Result<Vec<PayoutEvent>, Rejection> {
    let by = c.by.trim();
    if by.is_empty() {
        return Err(Rejection::new(
            ErrorCode::InvalidField,
            "the operator's identity is empty",
        ));
    }
    let by = by.to_string();
    match &c.action {
        OperatorAction::Resolve {
            reason,
            evidence,
            outcome,
        } => resolve(p, by, text(reason, "reason")?, evidence, *outcome),
        OperatorAction::Retry { reason } => retry(p, by, text(reason, "reason")?),
        OperatorAction::Release { reason } => release(p, by, text(reason, "reason")?),
        OperatorAction::Cancel { reason } => cancel(p, by, text(reason, "reason")?),
        OperatorAction::ReplayDeadLetter {
            reason,
            dead_letter,
        } => Ok(vec![PayoutEvent::DeadLetterReplayed(DeadLetterReplayed {
            by,
            reason: text(reason, "reason")?,
            dead_letter: dead_letter.clone(),
        })]),
        OperatorAction::Note { text: note } => Ok(vec![PayoutEvent::NoteAdded(NoteAdded {
            by,
            text: text(note, "text")?,
        })]),
        OperatorAction::Approve { reason } => {
            let reason = match reason.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(r) => Some(text(r, "reason")?),
            };
            super::approval::approve(p, &by, &reason)
        }
        OperatorAction::Reject { reason } => super::approval::reject(p, &by, reason),
    }
}

/// A required free text: present, not blank, at most [`MAX_TEXT_CHARS`].
fn text(value: &str, field: &str) -> Result<String, Rejection> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Rejection::at(
            ErrorCode::MissingField,
            field,
            "is required: say why, for whoever reads the payout's history",
        ));
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            field,
            format!("is longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(value.to_string())
}

fn refuse(p: &Payout, what: &str, only: &str) -> Rejection {
    Rejection::new(
        ErrorCode::InvalidState,
        format!("cannot {what}: payout is {}; {only}", p.status),
    )
}

fn resolve(
    p: &Payout,
    by: String,
    reason: String,
    evidence: &Evidence,
    outcome: ResolvedOutcome,
) -> Result<Vec<PayoutEvent>, Rejection> {
    let provider_ref = text(&evidence.provider_ref, "evidence.provider_ref")?;
    let provider_status = text(&evidence.provider_status, "evidence.provider_status")?;
    if !(p.status == PayoutStatus::Submitting && p.outcome_unknown) {
        return Err(refuse(
            p,
            "resolve its outcome",
            "only a payout whose outcome is unknown can be resolved by hand",
        ));
    }
    let consequence = match outcome {
        ResolvedOutcome::Succeeded => PayoutEvent::Succeeded(Succeeded {
            provider_ref: Some(provider_ref.clone()),
            fee: None,
        }),
        ResolvedOutcome::Failed => PayoutEvent::Failed(Failure {
            code: RESOLVED_FAILED.to_string(),
            message: format!("the provider shows {provider_status}: {reason}"),
        }),
    };
    Ok(vec![
        PayoutEvent::OutcomeResolved(OutcomeResolved {
            by,
            reason,
            attempt: p.attempt,
            evidence: Evidence {
                provider_ref,
                provider_status,
            },
            outcome,
        }),
        consequence,
    ])
}

fn retry(p: &Payout, by: String, reason: String) -> Result<Vec<PayoutEvent>, Rejection> {
    if p.status != PayoutStatus::Failed {
        return Err(refuse(p, "retry", "only a failed payout can be retried"));
    }
    if !p.no_attempt_can_be_paid() {
        return Err(Rejection::new(
            ErrorCode::InvalidState,
            "cannot retry: an attempt of this payout reached its provider or had an unknown \
             outcome, so it may still be paid; resolve it with the provider instead",
        ));
    }
    Ok(vec![PayoutEvent::Retried(Retried {
        by,
        reason,
        failed_attempt: p.attempt,
    })])
}

fn release(p: &Payout, by: String, reason: String) -> Result<Vec<PayoutEvent>, Rejection> {
    if p.status != PayoutStatus::Held {
        return Err(refuse(p, "release", "only a held payout can be released"));
    }
    Ok(vec![PayoutEvent::Released(Released { by, reason })])
}

fn cancel(p: &Payout, by: String, reason: String) -> Result<Vec<PayoutEvent>, Rejection> {
    match p.status {
        PayoutStatus::Scheduled | PayoutStatus::Requested | PayoutStatus::Held => {
            Ok(vec![PayoutEvent::Cancelled(Cancelled {
                reason: Some(reason),
                by: Some(by),
            })])
        }
        _ => Err(Rejection::new(
            ErrorCode::NotCancellable,
            format!(
                "payout is {}; only scheduled, requested or held payouts, which no provider has \
                 yet, can be cancelled",
                p.status
            ),
        )),
    }
}
