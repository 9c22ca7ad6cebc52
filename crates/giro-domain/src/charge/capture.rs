//! Capturing an authorised charge (`capture: false` at creation, the provider's `pre_captured`):
//! asked by the caller (`charge.capture_requested`), each attempt claimed in the log before it is
//! sent (`charge.capture_attempt_started`), and ended by the provider's report that the payment
//! went through (`charge.captured`, the charge `confirmed` at the amount captured) or by Giro
//! giving up (`charge.capture_failed`, the charge still `authorized`).
//!
//! An authorisation nobody captures is not expired by Giro: it stays `authorized` until the
//! provider reports what became of it (a card authorisation lapses at the issuer, and the
//! provider then reports the charge `canceled`, which makes it `cancelled`); it may be cancelled
//! at any time before.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::decide::invalid_state;
use super::event::ChargeEvent;
use super::state::Charge;
use super::status::ChargeStatus;
use crate::money::Money;
use crate::payout::amount_rejection;
use crate::rejection::{ErrorCode, Rejection};

/// A capture the executor is to ask of the provider: `amount` of the authorised total (all of it
/// when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CaptureRequested {
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::AmountString>")
    )]
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Attempt `attempt` at the capture requested by the charge's event `capture` (its version) is
/// being sent: appended before the provider is asked, so no attempt is sent twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CaptureAttemptStarted {
    pub capture: u64,
    pub attempt: u32,
}

/// The provider reports the capture done: the payer is charged `amount` (the charge's
/// `confirmed`); what was authorised beyond it is released by the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChargeCaptured {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AmountString"))]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub raw_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The pending capture did not happen and Giro stops trying: `capture_refused` (the provider
/// said no) or `attempts_exhausted`. The charge stays `authorized`; another capture may be asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CaptureFailed {
    pub capture: u64,
    pub code: String,
    pub reason: String,
}

/// Giro's latest attempt at the pending capture, folded from the events above.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaptureAttempt {
    /// The version of the capture request the attempts are for.
    pub capture: u64,
    /// The latest attempt claimed (0 before the first).
    pub attempt: u32,
    pub sent_at: Option<DateTime<Utc>>,
}

impl CaptureAttempt {
    pub(crate) fn started(&mut self, e: &CaptureAttemptStarted, at: DateTime<Utc>) {
        if e.capture == self.capture && e.attempt > self.attempt {
            self.attempt = e.attempt;
            self.sent_at = Some(at);
        }
    }
}

/// `giro.cmd.charge.capture`: only an authorised charge not yet captured, with no cancellation
/// asked, at most its authorised total. The same request again is a repeat; another while one is
/// pending is refused.
pub(super) fn capture(
    c: &Charge,
    amount: Option<Decimal>,
    reason: &Option<String>,
) -> Result<Vec<ChargeEvent>, Rejection> {
    let request = CaptureRequested {
        amount,
        reason: reason.clone(),
    };
    if let Some(pending) = &c.capture_requested {
        return if *pending == request {
            Ok(vec![])
        } else {
            Err(invalid_state(
                c,
                "capture while another capture is in progress",
            ))
        };
    }
    if c.captured.is_some() {
        return Err(Rejection::new(
            ErrorCode::InvalidState,
            format!(
                "cannot capture: charge is already captured and {}",
                c.status
            ),
        ));
    }
    if c.status != ChargeStatus::Authorized {
        return Err(Rejection::new(
            ErrorCode::InvalidState,
            format!(
                "cannot capture: charge is {}; only an authorized charge (created with capture \
                 false) can be captured",
                c.status
            ),
        ));
    }
    if c.cancel_requested.is_some() {
        return Err(invalid_state(c, "capture a charge being cancelled"));
    }
    if let Some(a) = amount {
        let currency = c.request.money.currency();
        Money::new(a, currency).map_err(amount_rejection)?;
        let total = c.request.total();
        if a <= Decimal::ZERO || a > total {
            return Err(Rejection::at(
                ErrorCode::AmountOutOfRange,
                "amount",
                format!(
                    "a capture of {a} {currency} is not within the {total} {currency} authorised"
                ),
            ));
        }
    }
    Ok(vec![ChargeEvent::CaptureRequested(request)])
}

/// Claims capture attempt `attempt`: only the next one, only while a capture is pending on an
/// authorised charge. An attempt already claimed is a repeat.
pub(super) fn start_capture_attempt(
    c: &Charge,
    attempt: u32,
) -> Result<Vec<ChargeEvent>, Rejection> {
    if c.status != ChargeStatus::Authorized || c.capture_requested.is_none() {
        return Err(invalid_state(c, "send a capture with none pending"));
    }
    let latest = &c.capture_attempt;
    if attempt <= latest.attempt {
        return Ok(vec![]);
    }
    if attempt != latest.attempt + 1 {
        return Err(invalid_state(c, "skip a capture attempt"));
    }
    Ok(vec![ChargeEvent::CaptureAttemptStarted(
        CaptureAttemptStarted {
            capture: latest.capture,
            attempt,
        },
    )])
}

/// Stops trying the pending capture; nothing when none is pending.
pub(super) fn fail_capture(c: &Charge, code: &str, reason: &str) -> Vec<ChargeEvent> {
    match c.capture_requested {
        Some(_) => vec![ChargeEvent::CaptureFailed(CaptureFailed {
            capture: c.capture_attempt.capture,
            code: code.to_string(),
            reason: reason.to_string(),
        })],
        None => vec![],
    }
}

/// The amount a pending capture asks for: the authorised total when it names none.
pub(super) fn pending_amount(c: &Charge) -> Option<Decimal> {
    c.capture_requested
        .as_ref()
        .map(|r| r.amount.unwrap_or_else(|| c.request.total()))
}
