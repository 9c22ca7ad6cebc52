//! A payout's state, rebuilt by folding `evolve` over its events, and the one table of allowed
//! status transitions that both `decide` and `evolve` obey.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::event::{Discrepancy, Failure, PayoutEvent, PayoutRequested, ReportedOutcome};
use super::failover::Failover;
use crate::approvals::ApprovalDecision;
use crate::attempts::AttemptLog;
use crate::envelope::Envelope;
use crate::ids::OrderId;

/// The canonical payout statuses of CONTRACT.md §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    /// Waiting for an approver (an approval rule or velocity limit caught it).
    PendingApproval,
    /// Waiting for its `execute_at`; no provider sees it until then.
    Scheduled,
    Requested,
    Held,
    Submitting,
    Submitted,
    Processing,
    Succeeded,
    Failed,
    Cancelled,
    Reversed,
    Refunded,
}

impl PayoutStatus {
    pub const ALL: [PayoutStatus; 12] = [
        PayoutStatus::PendingApproval,
        PayoutStatus::Scheduled,
        PayoutStatus::Requested,
        PayoutStatus::Held,
        PayoutStatus::Submitting,
        PayoutStatus::Submitted,
        PayoutStatus::Processing,
        PayoutStatus::Succeeded,
        PayoutStatus::Failed,
        PayoutStatus::Cancelled,
        PayoutStatus::Reversed,
        PayoutStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::PendingApproval => "pending_approval",
            PayoutStatus::Scheduled => "scheduled",
            PayoutStatus::Requested => "requested",
            PayoutStatus::Held => "held",
            PayoutStatus::Submitting => "submitting",
            PayoutStatus::Submitted => "submitted",
            PayoutStatus::Processing => "processing",
            PayoutStatus::Succeeded => "succeeded",
            PayoutStatus::Failed => "failed",
            PayoutStatus::Cancelled => "cancelled",
            PayoutStatus::Reversed => "reversed",
            PayoutStatus::Refunded => "refunded",
        }
    }

    /// Final as far as Giro acts on its own; only a provider report can still move a terminal
    /// payout, and only along [`PayoutStatus::can_become`]'s reversal and refund paths.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            PayoutStatus::Succeeded
                | PayoutStatus::Failed
                | PayoutStatus::Cancelled
                | PayoutStatus::Reversed
                | PayoutStatus::Refunded
        )
    }

    /// Whether the provider may have the money in hand: from the claim until a terminal result.
    pub fn is_at_provider(self) -> bool {
        matches!(
            self,
            PayoutStatus::Submitting | PayoutStatus::Submitted | PayoutStatus::Processing
        )
    }

    /// The transition table. Terminal states are left only by the documented provider paths:
    /// succeeded → reversed (SUCCESS → FAIL), succeeded → refunded (KillB REFUNDED after
    /// COMPLETED), failed → succeeded (FAIL → SUCCESS), and by an operator's retry of a payout no
    /// provider can pay (failed → requested, `payout.retried`).
    pub fn can_become(self, to: PayoutStatus) -> bool {
        use PayoutStatus::*;
        matches!(
            (self, to),
            (PendingApproval, Scheduled | Requested | Cancelled)
                | (Scheduled, Requested | Cancelled)
                | (Requested, Held | Submitting | Cancelled | Failed)
                | (Held, Requested | Submitting | Cancelled | Failed)
                | (
                    Submitting,
                    Requested | Submitted | Processing | Succeeded | Failed | Refunded
                )
                | (Submitted, Processing | Succeeded | Failed | Refunded)
                | (Processing, Succeeded | Failed | Refunded)
                | (Succeeded, Reversed | Refunded)
                | (Failed, Succeeded | Requested)
        )
    }
}

impl std::fmt::Display for PayoutStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PayoutRequested {
    /// The status `payout.requested` starts a payout in: waiting for an approver, else for its
    /// `execute_at`, else requested.
    pub fn initial_status(&self) -> PayoutStatus {
        if self.approval.is_some() {
            PayoutStatus::PendingApproval
        } else if self.execute_at.is_some() {
            PayoutStatus::Scheduled
        } else {
            PayoutStatus::Requested
        }
    }
}

/// A payout as its events describe it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payout {
    pub id: OrderId,
    pub request: Arc<PayoutRequested>,
    pub status: PayoutStatus,
    /// The current or last submission attempt (0 before the first).
    pub attempt: u32,
    /// The handle of the current attempt.
    pub handle: Option<String>,
    /// The attempt for which `payout.submitted` has been recorded.
    pub submitted_attempt: Option<u32>,
    /// Set while the current attempt's outcome is unknown: only a provider query may resolve it.
    pub outcome_unknown: bool,
    pub provider_ref: Option<String>,
    /// The fee the provider keeps, as the latest event stating it said (see
    /// [`super::fee_stated`]): cleared by a reversal whose report names none.
    pub fee: Option<Decimal>,
    pub hold_reason: Option<String>,
    pub failure: Option<Failure>,
    /// What the executor remembers of the attempts (deferrals, resends, last send).
    pub attempts: AttemptLog,
    /// Ids of every provider report recorded, oldest first.
    pub report_ids: Vec<String>,
    /// The latest recorded report with a decisive outcome (succeeded, failed, refunded), for
    /// re-deriving a consequence that a crash between two appends lost.
    pub last_decisive_report: Option<(String, ReportedOutcome)>,
    /// Reports recorded about attempts other than the current one (`payout.report_unmatched`).
    pub unmatched_reports: u32,
    /// Differences found between the order and what its provider reported.
    pub discrepancies: Vec<Discrepancy>,
    /// The amount the provider last reported moving on the current attempt, as it wrote it.
    pub reported_amount: Option<Decimal>,
    /// How its approval was decided, once it was (`payout.approved`, `…approval_rejected`,
    /// `…approval_expired`).
    pub approval_decision: Option<crate::approvals::ApprovalDecision>,
    /// Whether its personal data was erased (`payout.personal_data_erased`).
    pub personal_data_erased: bool,
    /// The provider it is at now and those it left (`payout.rerouted`).
    pub failover: Failover,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the payout entered its current status.
    pub status_since: DateTime<Utc>,
}

/// The status `event` moves a payout in `status` to, if it moves it at all, by the transition
/// table. The one rule shared by `evolve` and by every read model that tracks statuses.
pub fn next_status(status: PayoutStatus, event: &PayoutEvent) -> Option<PayoutStatus> {
    use PayoutStatus as S;
    let to = match event {
        PayoutEvent::Requested(_)
        | PayoutEvent::OutcomeUnknown(_)
        | PayoutEvent::Resent(_)
        | PayoutEvent::ReportUnmatched(_)
        | PayoutEvent::Discrepancy(_)
        | PayoutEvent::PersonalDataErased(_)
        | PayoutEvent::OutcomeResolved(_)
        | PayoutEvent::DeadLetterReplayed(_)
        | PayoutEvent::NoteAdded(_) => None,
        PayoutEvent::ProviderWaitAnnounced(_) => (status == S::Submitting).then_some(S::Requested),
        PayoutEvent::Rerouted(_) => (status == S::Submitting).then_some(S::Requested),
        PayoutEvent::Held(_) => Some(S::Held),
        PayoutEvent::BecameDue(_) => (status == S::Scheduled).then_some(S::Requested),
        PayoutEvent::Retried(_) => (status == S::Failed).then_some(S::Requested),
        PayoutEvent::Released(_) => (status == S::Held).then_some(S::Requested),
        PayoutEvent::SubmissionStarted(_) => Some(S::Submitting),
        PayoutEvent::Submitted(_) => (status == S::Submitting).then_some(S::Submitted),
        PayoutEvent::SubmissionFailed(f) => {
            (f.retryable && status == S::Submitting).then_some(S::Requested)
        }
        PayoutEvent::ProviderStatus(r) => (r.outcome == ReportedOutcome::InFlight
            && matches!(status, S::Submitting | S::Submitted))
        .then_some(S::Processing),
        PayoutEvent::Succeeded(_) => Some(S::Succeeded),
        PayoutEvent::Failed(_) => Some(S::Failed),
        PayoutEvent::Reversed(_) => Some(S::Reversed),
        PayoutEvent::Refunded(_) => Some(S::Refunded),
        PayoutEvent::Cancelled(_) => Some(S::Cancelled),
        PayoutEvent::Approved(a) => Some(if a.execute_at.is_some() {
            S::Scheduled
        } else {
            S::Requested
        }),
        PayoutEvent::ApprovalRejected(_) | PayoutEvent::ApprovalExpired(_) => Some(S::Cancelled),
    }?;
    (to != status && status.can_become(to)).then_some(to)
}

/// Applies one stored event. Events that would break the transition table are ignored, so even a
/// corrupt log cannot move a terminal payout off the documented paths.
pub fn evolve(state: Option<Payout>, env: &Envelope<PayoutEvent>) -> Option<Payout> {
    let Some(mut p) = state else {
        return created(env);
    };
    let next = next_status(p.status, &env.event);
    if env.event.moves_status() && next.is_none() {
        // An event whose whole point is a transition the table forbids: a corrupt log.
        return Some(p);
    }
    record(&mut p, env);
    if let Some(to) = next {
        p.status = to;
        p.status_since = env.at;
    }
    p.version = env.version;
    p.updated_at = env.at;
    Some(p)
}

/// What `env` tells about the payout besides its status: attempts, references, fee, failure.
fn record(p: &mut Payout, env: &Envelope<PayoutEvent>) {
    if let Some(fee) = super::fee_stated(&env.event) {
        p.fee = fee;
    }
    match &env.event {
        PayoutEvent::Requested(_) | PayoutEvent::BecameDue(_) => {}
        PayoutEvent::Approved(_) => p.approval_decision = Some(ApprovalDecision::Approved),
        PayoutEvent::ApprovalRejected(_) => p.approval_decision = Some(ApprovalDecision::Rejected),
        PayoutEvent::ApprovalExpired(_) => p.approval_decision = Some(ApprovalDecision::Expired),
        PayoutEvent::Held(h) => p.hold_reason = Some(h.reason.clone()),
        PayoutEvent::SubmissionStarted(s) => {
            p.attempt = s.attempt;
            p.handle = Some(s.handle.clone());
            p.outcome_unknown = false;
            p.attempts.claimed(env.at);
        }
        PayoutEvent::Submitted(s) => {
            p.attempts.ended_run();
            p.submitted_attempt = Some(s.attempt);
            if p.provider_ref.is_none() {
                p.provider_ref.clone_from(&s.provider_ref);
            }
            if s.attempt == p.attempt {
                p.outcome_unknown = false;
            }
        }
        PayoutEvent::SubmissionFailed(f) => {
            p.outcome_unknown = false;
            p.attempts.ended_run();
            p.failure = Some(Failure {
                code: f.code.clone(),
                message: f.message.clone(),
            });
        }
        PayoutEvent::ProviderWaitAnnounced(w) => {
            p.outcome_unknown = false;
            p.attempts.deferred(w, env.at);
            p.failure = Some(Failure {
                code: w.code.clone(),
                message: w.message.clone(),
            });
        }
        PayoutEvent::OutcomeUnknown(u) => {
            p.outcome_unknown = p.status == PayoutStatus::Submitting;
            p.failover.ever_unknown = true;
            p.attempts.unknown(&u.reason);
        }
        PayoutEvent::Resent(_) => {
            // Sent again: in flight, like a fresh claim, until its outcome is recorded.
            p.outcome_unknown = false;
            p.attempts.resent(env.at);
        }
        PayoutEvent::ProviderStatus(r) => {
            p.report_ids.push(r.report_id.clone());
            if matches!(
                r.outcome,
                ReportedOutcome::Succeeded | ReportedOutcome::Failed | ReportedOutcome::Refunded
            ) {
                p.last_decisive_report = Some((r.report_id.clone(), r.outcome));
            }
            if p.provider_ref.is_none() {
                p.provider_ref.clone_from(&r.provider_ref);
            }
            if let Some(amount) = r.amount_in(p.request.money.currency()) {
                p.reported_amount = Some(amount);
            }
            if r.outcome != ReportedOutcome::Unknown {
                p.outcome_unknown = false;
            }
        }
        PayoutEvent::Succeeded(s) => {
            if s.provider_ref.is_some() {
                p.provider_ref.clone_from(&s.provider_ref);
            }
            p.outcome_unknown = false;
        }
        PayoutEvent::Failed(f) | PayoutEvent::Reversed(f) => {
            p.failure = Some(f.clone());
            p.outcome_unknown = false;
        }
        PayoutEvent::Refunded(_) | PayoutEvent::Cancelled(_) => p.outcome_unknown = false,
        PayoutEvent::ReportUnmatched(u) => {
            p.report_ids.push(u.report.report_id.clone());
            p.unmatched_reports += 1;
        }
        PayoutEvent::Discrepancy(d) => p.discrepancies.push(d.clone()),
        PayoutEvent::PersonalDataErased(_) => p.personal_data_erased = true,
        PayoutEvent::Rerouted(r) => {
            // A new provider: nothing it said yet, and no wait a former one announced applies.
            p.failover.rerouted(r);
            p.provider_ref = None;
            p.attempts.ended_run();
        }
        PayoutEvent::OutcomeResolved(r) => {
            p.outcome_unknown = false;
            p.provider_ref = Some(r.evidence.provider_ref.clone());
        }
        PayoutEvent::Retried(_) => {
            p.failure = None;
            p.attempts.restarted(p.attempt);
        }
        PayoutEvent::Released(_) => p.hold_reason = None,
        PayoutEvent::DeadLetterReplayed(_) | PayoutEvent::NoteAdded(_) => {}
    }
}

/// The payout a first event creates: only `payout.requested` at version 1 does.
fn created(env: &Envelope<PayoutEvent>) -> Option<Payout> {
    match &env.event {
        PayoutEvent::Requested(r) if env.version == 1 => Some(Payout {
            id: env.order_id,
            request: r.clone(),
            status: r.initial_status(),
            attempt: 0,
            handle: None,
            submitted_attempt: None,
            outcome_unknown: false,
            provider_ref: None,
            fee: None,
            hold_reason: None,
            failure: None,
            attempts: AttemptLog::default(),
            report_ids: Vec::new(),
            last_decisive_report: None,
            unmatched_reports: 0,
            discrepancies: Vec::new(),
            reported_amount: None,
            approval_decision: None,
            personal_data_erased: false,
            failover: Failover::at(r.provider.clone()),
            version: 1,
            created_at: env.at,
            updated_at: env.at,
            status_since: env.at,
        }),
        _ => None,
    }
}
