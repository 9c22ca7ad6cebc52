//! Payout events stored in the forms of earlier versions, read as today's: a "come back later"
//! refusal was a `payout.submission_failed` whose message ended in ` [come back after 60s]`, and
//! a resend after a lookup found nothing was a `payout.provider_status` with raw status
//! `not_found` and id `<handle>:not_found:<n>`, recorded after the resend when its outcome was
//! unknown too. It reads as the resend (`payout.resent`); the outcome it then found unknown is not
//! replayed, so an order whose log ends there is resolved as a send in flight: after the claim
//! time-out its outcome is recorded unknown and looked up.

use super::event::{PayoutEvent, ProviderReport, ProviderWaitAnnounced, ReportedOutcome, Resent};
use crate::envelope::Upcast;
use crate::ids::SubmissionHandle;
use crate::upcast::legacy_wait;

impl Upcast for PayoutEvent {
    fn upcast(self) -> Self {
        match self {
            PayoutEvent::SubmissionFailed(f) if f.retryable => match legacy_wait(&f.message) {
                Some((message, wait_ms)) => {
                    PayoutEvent::ProviderWaitAnnounced(ProviderWaitAnnounced {
                        attempt: f.attempt,
                        code: f.code,
                        message,
                        wait_ms,
                    })
                }
                None => PayoutEvent::SubmissionFailed(f),
            },
            PayoutEvent::ProviderStatus(r) => match legacy_resend(&r) {
                Some(resent) => PayoutEvent::Resent(resent),
                None => PayoutEvent::ProviderStatus(r),
            },
            other => other,
        }
    }
}

/// The resend an old-form `not_found` report recorded, if it is one.
fn legacy_resend(r: &ProviderReport) -> Option<Resent> {
    if r.raw_status != "not_found" || r.outcome != ReportedOutcome::Unknown {
        return None;
    }
    let (handle, n) = r.report_id.split_once(":not_found:")?;
    let attempt = handle.parse::<SubmissionHandle>().ok()?.attempt;
    Some(Resent {
        attempt,
        resend: n.parse().ok()?,
    })
}
