//! Charge events stored in the forms of earlier versions, read as today's: a "come back later"
//! refusal was a `charge.submission_failed` whose message ended in ` [come back after 60s]`, and
//! Giro's own refund attempts were recorded as invented provider reports with ids
//! `<charge_uuid>:refund:<k>:<n>:sent|not_sent|unknown`, `<charge_uuid>:refund:<k>:gave_up|
//! unresolved` and `<charge_uuid>:REFUND_REFUSED:<version>`.

use super::event::{
    ChargeEvent, ProviderWaitAnnounced, RefundAttemptNotSent, RefundAttemptStarted,
    RefundAttemptUnknown, RefundFailed,
};
use super::report::ChargeReport;
use crate::envelope::Upcast;
use crate::upcast::legacy_wait;

impl Upcast for ChargeEvent {
    fn upcast(self) -> Self {
        match self {
            ChargeEvent::SubmissionFailed(f) if f.retryable => match legacy_wait(&f.message) {
                Some((message, wait_ms)) => {
                    ChargeEvent::ProviderWaitAnnounced(ProviderWaitAnnounced {
                        attempt: f.attempt,
                        code: f.code,
                        message,
                        wait_ms,
                    })
                }
                None => ChargeEvent::SubmissionFailed(f),
            },
            ChargeEvent::ProviderStatus(r) => {
                legacy_refund(&r).unwrap_or(ChargeEvent::ProviderStatus(r))
            }
            other => other,
        }
    }
}

/// The refund-attempt event an old-form report recorded, if it is one.
fn legacy_refund(r: &ChargeReport) -> Option<ChargeEvent> {
    let reason = || r.reason.clone().unwrap_or_default();
    if r.report_id.contains(":REFUND_REFUSED:") {
        return Some(ChargeEvent::RefundFailed(RefundFailed {
            refund: 0,
            code: "refund_refused".into(),
            reason: reason(),
        }));
    }
    let (_, rest) = r.report_id.split_once(":refund:")?;
    let (k, rest) = rest.split_once(':')?;
    let refund: u64 = k.parse().ok()?;
    let failed = |code: &str| {
        Some(ChargeEvent::RefundFailed(RefundFailed {
            refund,
            code: code.into(),
            reason: reason(),
        }))
    };
    match rest {
        "gave_up" => return failed("attempts_exhausted"),
        "unresolved" => return failed("refund_unknown"),
        _ => {}
    }
    let (n, what) = rest.split_once(':')?;
    let attempt: u32 = n.parse().ok()?;
    match what {
        "sent" => Some(ChargeEvent::RefundAttemptStarted(RefundAttemptStarted {
            refund,
            attempt,
        })),
        "not_sent" => {
            let (reason, wait_ms) = legacy_wait(&reason()).unwrap_or((reason(), None));
            Some(ChargeEvent::RefundAttemptNotSent(RefundAttemptNotSent {
                refund,
                attempt,
                reason,
                wait_ms,
            }))
        }
        "unknown" => Some(ChargeEvent::RefundAttemptUnknown(RefundAttemptUnknown {
            refund,
            attempt,
            reason: reason(),
        })),
        _ => None,
    }
}
