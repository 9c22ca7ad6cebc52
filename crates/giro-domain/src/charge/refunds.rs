//! Giro's own record of each attempt at a charge's pending refund. A55 has no idempotency key for
//! refunds and shows one `refunded` status whatever the amount, so every attempt is claimed in the
//! log before it is sent, and what came of it (certainly not sent, or perhaps sent) is recorded,
//! so that whichever executor looks at the charge next never sends a refund twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::decide::invalid_state;
use super::event::ChargeEvent;
use super::state::Charge;
use super::status::ChargeStatus;
use crate::rejection::Rejection;

/// Attempt `attempt` at the refund requested by the charge's event `refund` (its version) is
/// being sent: appended before the provider is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RefundAttemptStarted {
    pub refund: u64,
    pub attempt: u32,
}

/// The attempt certainly did not happen (not sent, the provider not taking requests, or the
/// charge read afterwards shows no refund); it may be sent again after `wait_ms` at least.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RefundAttemptNotSent {
    pub refund: u64,
    pub attempt: u32,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<u64>,
}

/// The attempt may have reached the provider (its answer was lost): the charge is read before
/// anything is sent again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RefundAttemptUnknown {
    pub refund: u64,
    pub attempt: u32,
    pub reason: String,
}

/// The pending refund did not happen and Giro stops trying: the provider refused it, the
/// attempts ran out, or whether it happened cannot be told (a person must check at the provider).
/// The charge stays as it was; another refund may be requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RefundFailed {
    /// The version of the refund request it ends (0 when an old-form record did not say).
    pub refund: u64,
    /// `refund_refused`, `attempts_exhausted` or `refund_unknown`.
    pub code: String,
    pub reason: String,
}

/// The latest attempt at the pending refund, folded from the events above.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefundAttempt {
    /// The version of the refund request the attempts are for.
    pub refund: u64,
    /// The latest attempt claimed (0 before the first).
    pub attempt: u32,
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was found not to have happened, why, and how long the provider asked to wait.
    pub not_sent: Option<(DateTime<Utc>, String, Duration)>,
    /// Why its outcome is unknown.
    pub unknown: Option<String>,
}

impl RefundAttempt {
    /// Folds one refund-attempt event about the request `self.refund`; others are ignored.
    pub(crate) fn started(&mut self, e: &RefundAttemptStarted, at: DateTime<Utc>) {
        if e.refund == self.refund && e.attempt > self.attempt {
            *self = RefundAttempt {
                refund: self.refund,
                attempt: e.attempt,
                sent_at: Some(at),
                not_sent: None,
                unknown: None,
            };
        }
    }

    pub(crate) fn not_sent(&mut self, e: &RefundAttemptNotSent, at: DateTime<Utc>) {
        if e.refund == self.refund && e.attempt == self.attempt {
            let wait = Duration::from_millis(e.wait_ms.unwrap_or(0));
            self.not_sent = Some((at, e.reason.clone(), wait));
        }
    }

    pub(crate) fn unknown(&mut self, e: &RefundAttemptUnknown) {
        if e.refund == self.refund && e.attempt == self.attempt {
            self.unknown = Some(e.reason.clone());
        }
    }
}

/// Claims a refund attempt: only the next one, only while a refund is pending and the charge paid.
/// An attempt already claimed is a repeat.
pub(super) fn start_refund_attempt(
    c: &Charge,
    attempt: u32,
) -> Result<Vec<ChargeEvent>, Rejection> {
    if c.status != ChargeStatus::Paid || c.refund_requested.is_none() {
        return Err(invalid_state(c, "send a refund with none pending"));
    }
    let latest = &c.refund_attempt;
    if attempt <= latest.attempt {
        return Ok(vec![]);
    }
    if attempt != latest.attempt + 1 {
        return Err(invalid_state(c, "skip a refund attempt"));
    }
    Ok(vec![ChargeEvent::RefundAttemptStarted(
        RefundAttemptStarted {
            refund: latest.refund,
            attempt,
        },
    )])
}

/// Records what came of the pending refund's current attempt once: nothing when the attempt is
/// not the current one or its result is already recorded.
pub(super) fn refund_record(
    c: &Charge,
    attempt: u32,
    event: impl FnOnce(u64) -> ChargeEvent,
) -> Vec<ChargeEvent> {
    let latest = &c.refund_attempt;
    let recorded = latest.not_sent.is_some() || latest.unknown.is_some();
    if c.refund_requested.is_none() || latest.attempt != attempt || recorded {
        return vec![];
    }
    vec![event(latest.refund)]
}

/// Stops trying the pending refund; nothing when none is pending.
pub(super) fn fail_refund(c: &Charge, code: &str, reason: &str) -> Vec<ChargeEvent> {
    match c.refund_requested {
        Some(_) => vec![ChargeEvent::RefundFailed(RefundFailed {
            refund: c.refund_attempt.refund,
            code: code.to_string(),
            reason: reason.to_string(),
        })],
        None => vec![],
    }
}
