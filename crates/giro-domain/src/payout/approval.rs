//! Deciding a payout that waits for an approver (see [`crate::approvals`]): approve, reject,
//! expire. Only a payout `pending_approval` is decided; the requester may not approve or reject
//! their own payout; the same decision again is a repeat, another one a conflict.

use chrono::{DateTime, Utc};

use super::decide::invalid_state;
use super::event::PayoutEvent;
use super::state::{Payout, PayoutStatus};
use crate::approvals::{ApprovalDecision, ApprovalExpired, ApprovalRejected, Approved};
use crate::rejection::{ErrorCode, Rejection};

/// The payout's requirement, or why it has none to decide.
fn pending<'a>(
    p: &'a Payout,
    what: &str,
) -> Result<&'a crate::approvals::ApprovalRequired, Rejection> {
    match (&p.request.approval, p.status) {
        (Some(required), PayoutStatus::PendingApproval) => Ok(required),
        (None, _) => Err(Rejection::new(
            ErrorCode::InvalidState,
            format!("cannot {what}: payout {} needs no approval", p.id),
        )),
        _ => Err(invalid_state(p, what)),
    }
}

/// Maker–checker: the approver is someone other than the requester.
fn not_the_requester(
    required: &crate::approvals::ApprovalRequired,
    by: &str,
) -> Result<(), Rejection> {
    if required.requested_by.as_deref() == Some(by) {
        return Err(Rejection::new(
            ErrorCode::Forbidden,
            format!(
                "{by} requested this payout and may not decide its approval; another approver must"
            ),
        ));
    }
    Ok(())
}

pub(super) fn approve(
    p: &Payout,
    by: &str,
    reason: &Option<String>,
) -> Result<Vec<PayoutEvent>, Rejection> {
    if p.approval_decision == Some(ApprovalDecision::Approved) {
        return Ok(vec![]);
    }
    let required = pending(p, "approve")?;
    not_the_requester(required, by)?;
    Ok(vec![PayoutEvent::Approved(Approved {
        by: by.to_string(),
        reason: reason.clone(),
        execute_at: p.request.execute_at,
    })])
}

pub(super) fn reject(p: &Payout, by: &str, reason: &str) -> Result<Vec<PayoutEvent>, Rejection> {
    if p.approval_decision == Some(ApprovalDecision::Rejected) {
        return Ok(vec![]);
    }
    let required = pending(p, "reject")?;
    not_the_requester(required, by)?;
    if reason.trim().is_empty() {
        return Err(Rejection::at(
            ErrorCode::MissingField,
            "reason",
            "a rejection says why",
        ));
    }
    Ok(vec![PayoutEvent::ApprovalRejected(ApprovalRejected {
        by: by.to_string(),
        reason: reason.to_string(),
    })])
}

/// The schedule fired: past `expires_at` the payout expires; early, the wake comes again.
pub(super) fn expire(p: &Payout, now: DateTime<Utc>) -> Result<Vec<PayoutEvent>, Rejection> {
    let required = pending(p, "expire the approval")?;
    if now < required.expires_at {
        return Err(Rejection::new(
            ErrorCode::InvalidState,
            format!("approval expires at {}", required.expires_at.to_rfc3339()),
        ));
    }
    Ok(vec![PayoutEvent::ApprovalExpired(ApprovalExpired {
        expires_at: required.expires_at,
    })])
}
