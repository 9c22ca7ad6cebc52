//! The charge decider: what each command means for a charge in its current state.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::capture::{capture, fail_capture, start_capture_attempt};
use super::consequence::decide_report;
use super::event::*;
use super::record::{record_failure, record_submitted, record_unknown, record_wait};
use super::refunds::{fail_refund, refund_record, start_refund_attempt};
use super::report::ChargeReport;
use super::request::CreateCharge;
use super::state::Charge;
use super::status::ChargeStatus;
use crate::ids::SubmissionHandle;
use crate::money::Money;
use crate::payout::amount_rejection;
use crate::rejection::{ErrorCode, Rejection};

/// What intake, the executor, the ingress and the reconciler ask of a charge.
#[derive(Debug, Clone, PartialEq)]
pub enum ChargeCommand {
    Create(Box<CreateCharge>),
    /// The caller withdraws the charge: at once while no provider has it, else by asking the
    /// provider (`charge.cancel_requested`), whose `canceled` report completes it.
    Cancel {
        reason: Option<String>,
    },
    /// Give money back to the payer; only a paid charge, at most what is still charged. No amount
    /// is the whole rest.
    Refund {
        amount: Option<Decimal>,
        reason: Option<String>,
    },
    /// Capture an authorised charge (`capture: false` at creation): all of it, or `amount` of it.
    Capture {
        amount: Option<Decimal>,
        reason: Option<String>,
    },
    /// Claim attempt `attempt` at the pending capture, before the provider is asked.
    StartCaptureAttempt {
        attempt: u32,
    },
    /// Stop trying the pending capture (refused by the provider, or attempts spent).
    FailCapture {
        code: String,
        reason: String,
    },
    /// Claim the next submission attempt (appended before the provider call).
    StartSubmission,
    RecordSubmitted(ChargeSubmitted),
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
    /// The provider turned the attempt away with "come back later".
    RecordProviderWait(ProviderWaitAnnounced),
    /// A provider report from a webhook or a poll.
    RecordReport(ChargeReport),
    /// Claim attempt `attempt` at the pending refund, before the provider is asked.
    StartRefundAttempt {
        attempt: u32,
    },
    /// The refund attempt certainly did not happen.
    RecordRefundNotSent {
        attempt: u32,
        reason: String,
        wait_ms: Option<u64>,
    },
    /// The refund attempt may have reached the provider.
    RecordRefundUnknown {
        attempt: u32,
        reason: String,
    },
    /// Stop trying the pending refund (refused, attempts spent, or not resolvable).
    FailRefund {
        code: String,
        reason: String,
    },
    /// Give up on a charge no provider has (attempts exhausted).
    Fail {
        code: String,
        message: String,
    },
    /// A difference between the charge and the provider's statement (`giro reconcile
    /// --statement`): recorded once, the same difference again is a repeat.
    RecordDiscrepancy(Discrepancy),
    /// Erase the payer's personal data (`giro.cmd.privacy.erase`); only once the charge is final
    /// and no refund is under way.
    ErasePersonalData {
        reason: String,
    },
}

pub(super) fn invalid_state(c: &Charge, what: &str) -> Rejection {
    Rejection::new(
        ErrorCode::InvalidState,
        format!("cannot {what}: charge is {}", c.status),
    )
}

/// Decides a command against a charge's state. An empty result means "already done".
pub fn decide(
    state: &Option<Charge>,
    command: &ChargeCommand,
    _now: DateTime<Utc>,
) -> Result<Vec<ChargeEvent>, Rejection> {
    let c = match (state, command) {
        (None, ChargeCommand::Create(create)) => {
            return Ok(vec![ChargeEvent::Requested(std::sync::Arc::new(
                create.requested.clone(),
            ))]);
        }
        (Some(c), ChargeCommand::Create(create)) => {
            if c.request.fingerprint == create.requested.fingerprint {
                return Ok(vec![]);
            }
            return Err(Rejection::at(
                ErrorCode::IdempotencyConflict,
                "idempotency_key",
                "was already used for a charge with a different body",
            ));
        }
        (None, _) => return Err(Rejection::new(ErrorCode::NotFound, "no such charge")),
        (Some(c), _) => c,
    };
    match command {
        ChargeCommand::Create(_) => Ok(vec![]),
        ChargeCommand::Cancel { reason } => cancel(c, reason),
        ChargeCommand::Refund { amount, reason } => refund(c, *amount, reason),
        ChargeCommand::Capture { amount, reason } => capture(c, *amount, reason),
        ChargeCommand::StartCaptureAttempt { attempt } => start_capture_attempt(c, *attempt),
        ChargeCommand::FailCapture { code, reason } => Ok(fail_capture(c, code, reason)),
        ChargeCommand::StartSubmission => start_submission(c),
        ChargeCommand::RecordSubmitted(s) => record_submitted(c, s),
        ChargeCommand::RecordSubmissionFailure {
            attempt,
            code,
            message,
            retryable,
        } => record_failure(c, *attempt, code, message, *retryable),
        ChargeCommand::RecordOutcomeUnknown { attempt, reason } => {
            record_unknown(c, *attempt, reason)
        }
        ChargeCommand::RecordProviderWait(wait) => record_wait(c, wait),
        ChargeCommand::RecordReport(report) => Ok(decide_report(c, report)),
        ChargeCommand::StartRefundAttempt { attempt } => start_refund_attempt(c, *attempt),
        ChargeCommand::RecordRefundNotSent {
            attempt,
            reason,
            wait_ms,
        } => Ok(refund_record(c, *attempt, |refund| {
            ChargeEvent::RefundAttemptNotSent(RefundAttemptNotSent {
                refund,
                attempt: *attempt,
                reason: reason.clone(),
                wait_ms: *wait_ms,
            })
        })),
        ChargeCommand::RecordRefundUnknown { attempt, reason } => {
            Ok(refund_record(c, *attempt, |refund| {
                ChargeEvent::RefundAttemptUnknown(RefundAttemptUnknown {
                    refund,
                    attempt: *attempt,
                    reason: reason.clone(),
                })
            }))
        }
        ChargeCommand::FailRefund { code, reason } => Ok(fail_refund(c, code, reason)),
        ChargeCommand::Fail { code, message } => fail(c, code, message),
        ChargeCommand::RecordDiscrepancy(d) => {
            Ok(if crate::payout::repeats_discrepancy(&c.discrepancies, d) {
                vec![]
            } else {
                vec![ChargeEvent::Discrepancy(d.clone())]
            })
        }
        ChargeCommand::ErasePersonalData { reason } => erase(c, reason),
    }
}

/// Erasure waits for a final charge with no refund under way.
fn erase(c: &Charge, reason: &str) -> Result<Vec<ChargeEvent>, Rejection> {
    if c.personal_data_erased {
        return Ok(vec![]);
    }
    if !c.status.is_terminal() || c.refund_requested.is_some() {
        let status = if c.refund_requested.is_some() {
            "being refunded"
        } else {
            c.status.as_str()
        };
        return Err(crate::privacy::erase_refused("charge", status));
    }
    Ok(vec![ChargeEvent::PersonalDataErased(
        crate::privacy::PersonalDataErased {
            reason: reason.to_string(),
        },
    )])
}

fn cancel(c: &Charge, reason: &Option<String>) -> Result<Vec<ChargeEvent>, Rejection> {
    let cancellation = ChargeCancelled {
        reason: reason.clone(),
    };
    match c.status {
        ChargeStatus::Requested => Ok(vec![ChargeEvent::Cancelled(cancellation)]),
        ChargeStatus::Cancelled => Ok(vec![]),
        _ if c.capture_requested.is_some() && c.cancel_requested.is_none() => Err(Rejection::new(
            ErrorCode::NotCancellable,
            "a capture of the charge is in progress; cancel once it has ended",
        )),
        s if s.is_at_provider() => Ok(if c.cancel_requested.is_some() {
            vec![]
        } else {
            vec![ChargeEvent::CancelRequested(cancellation)]
        }),
        other => Err(Rejection::new(
            ErrorCode::NotCancellable,
            format!(
                "charge is {other}; only a charge the payer has not yet paid can be cancelled \
                 (a paid one can be refunded)"
            ),
        )),
    }
}

fn refund(
    c: &Charge,
    amount: Option<Decimal>,
    reason: &Option<String>,
) -> Result<Vec<ChargeEvent>, Rejection> {
    let request = RefundRequested {
        amount,
        reason: reason.clone(),
    };
    match c.status {
        ChargeStatus::Paid => {}
        ChargeStatus::Refunded if amount.is_none() => return Ok(vec![]),
        ChargeStatus::Refunded => {
            return Err(Rejection::at(
                ErrorCode::AmountOutOfRange,
                "amount",
                "the charge is already refunded in full",
            ));
        }
        _ => return Err(invalid_state(c, "refund a charge that is not paid")),
    }
    if let Some(pending) = &c.refund_requested {
        return if *pending == request {
            Ok(vec![])
        } else {
            Err(invalid_state(
                c,
                "refund while another refund is in progress",
            ))
        };
    }
    if let Some(a) = amount {
        let currency = c.request.money.currency();
        Money::new(a, currency).map_err(amount_rejection)?;
        let rest = c.refundable();
        if a > rest {
            return Err(Rejection::at(
                ErrorCode::AmountOutOfRange,
                "amount",
                format!(
                    "a refund of {a} {currency} exceeds the {rest} {currency} still refundable of \
                     the {} {currency} charged in all",
                    c.request.total(),
                ),
            ));
        }
    }
    Ok(vec![ChargeEvent::RefundRequested(request)])
}

fn start_submission(c: &Charge) -> Result<Vec<ChargeEvent>, Rejection> {
    if c.status != ChargeStatus::Requested
        || c.attempt >= SubmissionHandle::MAX_ATTEMPT
        || c.cancel_requested.is_some()
    {
        return Err(invalid_state(c, "start a submission"));
    }
    let attempt = c.attempt + 1;
    let handle = SubmissionHandle {
        order_id: c.id,
        attempt,
    }
    .to_string();
    Ok(vec![ChargeEvent::SubmissionStarted(SubmissionStarted {
        attempt,
        handle,
    })])
}

fn fail(c: &Charge, code: &str, message: &str) -> Result<Vec<ChargeEvent>, Rejection> {
    match c.status {
        ChargeStatus::Requested => Ok(vec![ChargeEvent::Failed(Failure {
            code: code.to_string(),
            message: message.to_string(),
        })]),
        ChargeStatus::Failed => Ok(vec![]),
        _ => Err(invalid_state(c, "fail a charge a provider may have")),
    }
}
