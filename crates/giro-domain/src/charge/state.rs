//! A charge's state, rebuilt by folding `evolve` over its events.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::capture::{CaptureAttempt, CaptureRequested};
use super::event::{
    ChargeCancelled, ChargeEvent, Discrepancy, Failure, PaymentDetails, RefundRequested,
};
use super::order::ChargeRequested;
use super::refunds::RefundAttempt;
use super::report::{ChargeOutcome, ChargeReport};
use super::status::{ChargeStatus, fits, is_status_change, next_status};
use crate::attempts::AttemptLog;
use crate::envelope::Envelope;
use crate::ids::OrderId;

/// Where a payer's dispute stands: `chargeback` is one status, open or lost; a won dispute
/// returns the charge to `paid` and is remembered here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dispute {
    Open,
    Lost,
    Won,
}

/// The latest recorded report with a decisive outcome, and whether its consequence has been
/// stored. A crash between the two appends leaves `applied` false; a repeat of this report then
/// re-derives the consequence, and only once, even for consequences that keep the status (a
/// partial refund).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisiveReport {
    pub report_id: String,
    pub outcome: ChargeOutcome,
    pub applied: bool,
}

/// A charge as its events describe it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Charge {
    pub id: OrderId,
    pub request: std::sync::Arc<ChargeRequested>,
    pub status: ChargeStatus,
    /// The current or last submission attempt (0 before the first).
    pub attempt: u32,
    /// The handle of the current attempt, sent to A55 as `reference_external_id`.
    pub handle: Option<String>,
    /// The attempt for which `charge.submitted` has been recorded.
    pub submitted_attempt: Option<u32>,
    /// Set while the current attempt's outcome is unknown: only a provider query may resolve it.
    pub outcome_unknown: bool,
    /// A55's id of the charge, from the submission or the first report that names it.
    pub charge_uuid: Option<String>,
    /// How the payer pays (checkout page, PIX code, boleto).
    pub payment: PaymentDetails,
    pub failure: Option<Failure>,
    /// A cancellation asked of the provider and not yet confirmed by it.
    pub cancel_requested: Option<ChargeCancelled>,
    /// A refund asked of the provider and not yet reported done or failed.
    pub refund_requested: Option<RefundRequested>,
    /// Giro's attempts at the pending refund.
    pub refund_attempt: RefundAttempt,
    /// A capture asked of the provider and not yet reported done or given up.
    pub capture_requested: Option<CaptureRequested>,
    /// Giro's attempts at the pending capture.
    pub capture_attempt: CaptureAttempt,
    /// What the payer was charged when the authorisation was captured (`charge.captured`).
    pub captured: Option<Decimal>,
    /// What the executor remembers of the submission attempts.
    pub attempts: AttemptLog,
    /// The sum of every refund the provider reported.
    pub refunded: Decimal,
    pub dispute: Option<Dispute>,
    /// Ids of every provider report recorded, oldest first.
    pub report_ids: Vec<String>,
    pub last_decisive_report: Option<DecisiveReport>,
    /// Reports recorded about attempts other than the current one (`charge.report_unmatched`).
    pub unmatched_reports: u32,
    /// Differences between the charge and what its provider stated (`charge.discrepancy`).
    pub discrepancies: Vec<Discrepancy>,
    /// Whether the payer's personal data was erased (`charge.personal_data_erased`).
    pub personal_data_erased: bool,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the charge entered its current status.
    pub status_since: DateTime<Utc>,
}

impl Charge {
    fn new(env: &Envelope<ChargeEvent>, request: &std::sync::Arc<ChargeRequested>) -> Charge {
        Charge {
            id: env.order_id,
            request: request.clone(),
            status: ChargeStatus::Requested,
            attempt: 0,
            handle: None,
            submitted_attempt: None,
            outcome_unknown: false,
            charge_uuid: None,
            payment: PaymentDetails::default(),
            failure: None,
            cancel_requested: None,
            refund_requested: None,
            refund_attempt: RefundAttempt::default(),
            capture_requested: None,
            capture_attempt: CaptureAttempt::default(),
            captured: None,
            attempts: AttemptLog::default(),
            refunded: Decimal::ZERO,
            dispute: None,
            report_ids: Vec::new(),
            unmatched_reports: 0,
            discrepancies: Vec::new(),
            personal_data_erased: false,
            last_decisive_report: None,
            version: 1,
            created_at: env.at,
            updated_at: env.at,
            status_since: env.at,
        }
    }

    /// What can still be refunded: the charged total less every refund reported.
    pub fn refundable(&self) -> Decimal {
        (self.charged() - self.refunded).max(Decimal::ZERO)
    }

    /// What the payer is charged in all: the amount captured, or the whole total when the charge
    /// was captured at once (or is not yet).
    pub fn charged(&self) -> Decimal {
        self.captured.unwrap_or_else(|| self.request.total())
    }
}

/// Applies one stored event. Events that would break the transition table are ignored, so even a
/// corrupt log cannot move a terminal charge off the documented paths.
pub fn evolve(state: Option<Charge>, env: &Envelope<ChargeEvent>) -> Option<Charge> {
    let Some(mut c) = state else {
        return match &env.event {
            ChargeEvent::Requested(r) if env.version == 1 => Some(Charge::new(env, r)),
            _ => None,
        };
    };
    if !fits(c.status, &env.event) {
        return Some(c);
    }
    let next = next_status(c.status, &env.event);
    if is_status_change(&env.event) && !matches!(env.event, ChargeEvent::SubmissionStarted(_)) {
        if let Some(d) = c.last_decisive_report.as_mut() {
            d.applied = true;
        }
        c.outcome_unknown = false;
    }
    apply(&mut c, &env.event, env);
    if let Some(to) = next {
        c.status = to;
        c.status_since = env.at;
    }
    c.version = env.version;
    c.updated_at = env.at;
    Some(c)
}

/// The fields an event sets, beyond the status.
fn apply(c: &mut Charge, event: &ChargeEvent, env: &Envelope<ChargeEvent>) {
    match event {
        ChargeEvent::Requested(_)
        | ChargeEvent::Authorized(_)
        | ChargeEvent::Confirmed(_)
        | ChargeEvent::Paid(_) => {}
        ChargeEvent::SubmissionStarted(s) => {
            c.attempt = s.attempt;
            c.handle = Some(s.handle.clone());
            c.outcome_unknown = false;
            c.attempts.claimed(env.at);
        }
        ChargeEvent::Submitted(s) => {
            c.attempts.ended_run();
            c.submitted_attempt = Some(s.attempt);
            if c.charge_uuid.is_none() {
                c.charge_uuid = Some(s.charge_uuid.clone());
            }
            c.payment = s.payment.clone();
            if s.attempt == c.attempt {
                c.outcome_unknown = false;
            }
        }
        ChargeEvent::SubmissionFailed(f) => {
            c.outcome_unknown = false;
            c.attempts.ended_run();
            c.failure = Some(Failure {
                code: f.code.clone(),
                message: f.message.clone(),
            });
        }
        ChargeEvent::ProviderWaitAnnounced(w) => {
            c.outcome_unknown = false;
            c.attempts.deferred(w, env.at);
            c.failure = Some(Failure {
                code: w.code.clone(),
                message: w.message.clone(),
            });
        }
        ChargeEvent::OutcomeUnknown(u) => {
            c.outcome_unknown = c.status == ChargeStatus::Submitting;
            c.attempts.unknown(&u.reason);
        }
        ChargeEvent::ProviderStatus(r) => record_report(c, r),
        ChargeEvent::Failed(f) => {
            c.failure = Some(f.clone());
            c.capture_requested = None;
        }
        ChargeEvent::CancelRequested(r) => c.cancel_requested = Some(r.clone()),
        ChargeEvent::Cancelled(_) => {
            c.cancel_requested = None;
            c.capture_requested = None;
        }
        ChargeEvent::CaptureRequested(r) => {
            c.capture_requested = Some(r.clone());
            c.capture_attempt = CaptureAttempt {
                capture: env.version,
                ..CaptureAttempt::default()
            };
        }
        ChargeEvent::CaptureAttemptStarted(e) => c.capture_attempt.started(e, env.at),
        ChargeEvent::Captured(e) => {
            c.captured = Some(e.amount);
            c.capture_requested = None;
        }
        ChargeEvent::CaptureFailed(_) => c.capture_requested = None,
        ChargeEvent::RefundRequested(r) => {
            c.refund_requested = Some(r.clone());
            c.refund_attempt = RefundAttempt {
                refund: env.version,
                ..RefundAttempt::default()
            };
        }
        ChargeEvent::RefundAttemptStarted(e) => c.refund_attempt.started(e, env.at),
        ChargeEvent::RefundAttemptNotSent(e) => c.refund_attempt.not_sent(e, env.at),
        ChargeEvent::RefundAttemptUnknown(e) => c.refund_attempt.unknown(e),
        ChargeEvent::RefundFailed(_) => c.refund_requested = None,
        ChargeEvent::Refunded(r) => {
            c.refunded += r.amount;
            c.refund_requested = None;
        }
        ChargeEvent::ChargebackOpened(_) => c.dispute = Some(Dispute::Open),
        ChargeEvent::ChargebackLost(_) => c.dispute = Some(Dispute::Lost),
        ChargeEvent::ChargebackWon(_) => c.dispute = Some(Dispute::Won),
        ChargeEvent::ReportUnmatched(u) => {
            c.report_ids.push(u.report.report_id.clone());
            c.unmatched_reports += 1;
        }
        ChargeEvent::Discrepancy(d) => c.discrepancies.push(d.clone()),
        ChargeEvent::PersonalDataErased(_) => c.personal_data_erased = true,
    }
}

/// What a provider's report tells besides the status: its id (for de-duplication), whether it
/// decides the charge, and the provider's reference.
fn record_report(c: &mut Charge, r: &ChargeReport) {
    c.report_ids.push(r.report_id.clone());
    if r.outcome.is_decisive() {
        c.last_decisive_report = Some(DecisiveReport {
            report_id: r.report_id.clone(),
            outcome: r.outcome,
            applied: false,
        });
    }
    if r.outcome == ChargeOutcome::RefundFailed {
        c.refund_requested = None;
    }
    if c.charge_uuid.is_none() {
        c.charge_uuid.clone_from(&r.charge_uuid);
    }
    if r.outcome != ChargeOutcome::Unknown {
        c.outcome_unknown = false;
    }
}
