//! The canonical charge statuses and the one table of allowed transitions that `decide`, `evolve`
//! and every read model tracking statuses obey.
//!
//! | from        | to                                                                              |
//! |-------------|---------------------------------------------------------------------------------|
//! | requested   | submitting, cancelled, failed                                                   |
//! | submitting  | requested (retryable failure), pending, authorized, confirmed, paid, failed, cancelled, refunded, chargeback |
//! | pending     | authorized, confirmed, paid, failed, cancelled, refunded, chargeback            |
//! | authorized  | confirmed, paid, failed, cancelled, refunded, chargeback                        |
//! | confirmed   | paid, cancelled, refunded, chargeback                                           |
//! | paid        | refunded, chargeback                                                            |
//! | chargeback  | paid (dispute won)                                                              |
//! | failed      | paid (a late `paid` after `error`)                                              |
//! | cancelled, refunded | —                                                                       |
//!
//! Reports may arrive out of order, so every state a provider has the charge in may jump straight
//! to any later one. Two events keep the status where it is and still count: a partial refund of
//! a paid charge and a lost dispute of a charge already in `chargeback`.

use serde::{Deserialize, Serialize};

use super::event::ChargeEvent;
use super::report::ChargeOutcome;

/// The canonical charge statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChargeStatus {
    Requested,
    Submitting,
    Pending,
    Authorized,
    Confirmed,
    Paid,
    Failed,
    Cancelled,
    Refunded,
    /// Disputed by the payer: open, or lost (see `Charge::dispute`).
    Chargeback,
}

impl ChargeStatus {
    pub const ALL: [ChargeStatus; 10] = [
        ChargeStatus::Requested,
        ChargeStatus::Submitting,
        ChargeStatus::Pending,
        ChargeStatus::Authorized,
        ChargeStatus::Confirmed,
        ChargeStatus::Paid,
        ChargeStatus::Failed,
        ChargeStatus::Cancelled,
        ChargeStatus::Refunded,
        ChargeStatus::Chargeback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Requested => "requested",
            ChargeStatus::Submitting => "submitting",
            ChargeStatus::Pending => "pending",
            ChargeStatus::Authorized => "authorized",
            ChargeStatus::Confirmed => "confirmed",
            ChargeStatus::Paid => "paid",
            ChargeStatus::Failed => "failed",
            ChargeStatus::Cancelled => "cancelled",
            ChargeStatus::Refunded => "refunded",
            ChargeStatus::Chargeback => "chargeback",
        }
    }

    /// Final as far as Giro acts on its own; only a provider report can still move a terminal
    /// charge, and only along the documented paths: paid → refunded, paid → chargeback,
    /// chargeback → paid (won), failed → paid. Cancelled and refunded are never left.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ChargeStatus::Paid
                | ChargeStatus::Failed
                | ChargeStatus::Cancelled
                | ChargeStatus::Refunded
                | ChargeStatus::Chargeback
        )
    }

    /// Whether a provider may have the charge and the payer not yet have paid for good: from the
    /// claim of an attempt until a terminal result. Cancelling here needs the provider.
    pub fn is_at_provider(self) -> bool {
        matches!(
            self,
            ChargeStatus::Submitting
                | ChargeStatus::Pending
                | ChargeStatus::Authorized
                | ChargeStatus::Confirmed
        )
    }

    /// The transition table (see the module documentation).
    pub fn can_become(self, to: ChargeStatus) -> bool {
        use ChargeStatus::*;
        matches!(
            (self, to),
            (Requested, Submitting | Cancelled | Failed)
                | (
                    Submitting,
                    Requested
                        | Pending
                        | Authorized
                        | Confirmed
                        | Paid
                        | Failed
                        | Cancelled
                        | Refunded
                        | Chargeback
                )
                | (
                    Pending,
                    Authorized | Confirmed | Paid | Failed | Cancelled | Refunded | Chargeback
                )
                | (
                    Authorized,
                    Confirmed | Paid | Failed | Cancelled | Refunded | Chargeback
                )
                | (Confirmed, Paid | Cancelled | Refunded | Chargeback)
                | (Paid, Refunded | Chargeback)
                | (Chargeback, Paid)
                | (Failed, Paid)
        )
    }
}

impl std::fmt::Display for ChargeStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status an event aims at, before the table is consulted; `None` for events that never move
/// a status.
fn target(status: ChargeStatus, event: &ChargeEvent) -> Option<ChargeStatus> {
    use ChargeStatus as S;
    match event {
        ChargeEvent::Requested(_)
        | ChargeEvent::OutcomeUnknown(_)
        | ChargeEvent::CancelRequested(_)
        | ChargeEvent::RefundRequested(_)
        | ChargeEvent::RefundAttemptStarted(_)
        | ChargeEvent::RefundAttemptNotSent(_)
        | ChargeEvent::RefundAttemptUnknown(_)
        | ChargeEvent::RefundFailed(_)
        | ChargeEvent::CaptureRequested(_)
        | ChargeEvent::CaptureAttemptStarted(_)
        | ChargeEvent::CaptureFailed(_)
        | ChargeEvent::ReportUnmatched(_)
        | ChargeEvent::Discrepancy(_)
        | ChargeEvent::PersonalDataErased(_) => None,
        ChargeEvent::ProviderWaitAnnounced(_) => (status == S::Submitting).then_some(S::Requested),
        ChargeEvent::SubmissionStarted(_) => Some(S::Submitting),
        ChargeEvent::Submitted(_) => (status == S::Submitting).then_some(S::Pending),
        ChargeEvent::SubmissionFailed(f) => {
            (f.retryable && status == S::Submitting).then_some(S::Requested)
        }
        ChargeEvent::ProviderStatus(r) => {
            (r.outcome == ChargeOutcome::Pending && status == S::Submitting).then_some(S::Pending)
        }
        ChargeEvent::Authorized(_) => Some(S::Authorized),
        ChargeEvent::Confirmed(_) | ChargeEvent::Captured(_) => Some(S::Confirmed),
        ChargeEvent::Paid(_) | ChargeEvent::ChargebackWon(_) => Some(S::Paid),
        ChargeEvent::Failed(_) => Some(S::Failed),
        ChargeEvent::Cancelled(_) => Some(S::Cancelled),
        ChargeEvent::Refunded(r) if r.remaining.is_zero() => Some(S::Refunded),
        ChargeEvent::Refunded(_) => Some(S::Paid),
        ChargeEvent::ChargebackOpened(_) | ChargeEvent::ChargebackLost(_) => Some(S::Chargeback),
    }
}

/// The status `event` moves a charge in `status` to, if it moves it at all, by the transition
/// table. The one rule shared by `evolve` and by every read model that tracks statuses.
pub fn next_status(status: ChargeStatus, event: &ChargeEvent) -> Option<ChargeStatus> {
    let to = target(status, event)?;
    (to != status && status.can_become(to)).then_some(to)
}

/// Whether an event whose whole point is a status change fits a charge in `status`: it moves it
/// by the table, or it is one of the two events that count without moving it (a partial refund
/// of a paid charge, a lost dispute of a disputed one). Events that are not status changes fit.
pub fn fits(status: ChargeStatus, event: &ChargeEvent) -> bool {
    let stays = matches!(
        (status, event),
        (ChargeStatus::Paid, ChargeEvent::Refunded(_))
            | (ChargeStatus::Chargeback, ChargeEvent::ChargebackLost(_))
    );
    !is_status_change(event) || stays || next_status(status, event).is_some()
}

/// Events that exist only to change the status; one the table forbids is a corrupt log.
pub(crate) fn is_status_change(event: &ChargeEvent) -> bool {
    matches!(
        event,
        ChargeEvent::SubmissionStarted(_)
            | ChargeEvent::Authorized(_)
            | ChargeEvent::Confirmed(_)
            | ChargeEvent::Captured(_)
            | ChargeEvent::Paid(_)
            | ChargeEvent::Failed(_)
            | ChargeEvent::Cancelled(_)
            | ChargeEvent::Refunded(_)
            | ChargeEvent::ChargebackOpened(_)
            | ChargeEvent::ChargebackLost(_)
            | ChargeEvent::ChargebackWon(_)
    )
}
