//! KillB payout statuses (seed 000 and the public docs), and what each means for the payout.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use giro_domain::payout::ReportedOutcome;

/// A KillB payout status. Parsing never fails: a status KillB adds later is kept as
/// [`KillbStatus::Unknown`] with its text, recorded and never acted on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KillbStatus {
    Pending,
    Created,
    Processing,
    CashInPending,
    CashInProcessing,
    CashInCompleted,
    KytOutPending,
    KytOutProcessing,
    KytOutCompleted,
    CashOutPending,
    CashOutProcessing,
    CashOutCompleted,
    ReviewNeeded,
    /// Paid.
    Completed,
    /// KillB's internal error; no funds moved.
    Error,
    /// Bad beneficiary data.
    Failed,
    /// Refused by compliance.
    Rejected,
    /// The money went back to the pre-fund balance.
    Refunded,
    RefundPending,
    RefundProcessing,
    RefundCompleted,
    /// A refund that did not go through: where the money is needs a person to look.
    RefundFailed,
    Unknown(String),
}

const KNOWN: [(&str, KillbStatus); 22] = [
    ("PENDING", KillbStatus::Pending),
    ("CREATED", KillbStatus::Created),
    ("PROCESSING", KillbStatus::Processing),
    ("CASH_IN_PENDING", KillbStatus::CashInPending),
    ("CASH_IN_PROCESSING", KillbStatus::CashInProcessing),
    ("CASH_IN_COMPLETED", KillbStatus::CashInCompleted),
    ("KYT_OUT_PENDING", KillbStatus::KytOutPending),
    ("KYT_OUT_PROCESSING", KillbStatus::KytOutProcessing),
    ("KYT_OUT_COMPLETED", KillbStatus::KytOutCompleted),
    ("CASH_OUT_PENDING", KillbStatus::CashOutPending),
    ("CASH_OUT_PROCESSING", KillbStatus::CashOutProcessing),
    ("CASH_OUT_COMPLETED", KillbStatus::CashOutCompleted),
    ("REVIEW_NEEDED", KillbStatus::ReviewNeeded),
    ("COMPLETED", KillbStatus::Completed),
    ("ERROR", KillbStatus::Error),
    ("FAILED", KillbStatus::Failed),
    ("REJECTED", KillbStatus::Rejected),
    ("REFUNDED", KillbStatus::Refunded),
    ("REFUND_PENDING", KillbStatus::RefundPending),
    ("REFUND_PROCESSING", KillbStatus::RefundProcessing),
    ("REFUND_COMPLETED", KillbStatus::RefundCompleted),
    ("REFUND_FAILED", KillbStatus::RefundFailed),
];

impl KillbStatus {
    /// Reads a status as KillB writes it (case and surrounding spaces are ignored).
    pub fn parse(raw: &str) -> Self {
        let wanted = raw.trim().to_ascii_uppercase();
        KNOWN
            .iter()
            .find(|(name, _)| *name == wanted)
            .map(|(_, status)| status.clone())
            .unwrap_or_else(|| KillbStatus::Unknown(raw.to_string()))
    }

    /// The status as KillB writes it.
    pub fn as_str(&self) -> &str {
        match self {
            KillbStatus::Unknown(raw) => raw,
            known => KNOWN
                .iter()
                .find(|(_, status)| status == known)
                .map_or("", |(name, _)| name),
        }
    }

    /// What the status means for the payout.
    pub fn outcome(&self) -> ReportedOutcome {
        use KillbStatus as S;
        match self {
            S::Completed => ReportedOutcome::Succeeded,
            S::Error | S::Failed | S::Rejected => ReportedOutcome::Failed,
            S::Refunded | S::RefundCompleted => ReportedOutcome::Refunded,
            S::Pending
            | S::Created
            | S::Processing
            | S::CashInPending
            | S::CashInProcessing
            | S::CashInCompleted
            | S::KytOutPending
            | S::KytOutProcessing
            | S::KytOutCompleted
            | S::CashOutPending
            | S::CashOutProcessing
            | S::CashOutCompleted
            | S::ReviewNeeded
            | S::RefundPending
            | S::RefundProcessing => ReportedOutcome::InFlight,
            S::RefundFailed | S::Unknown(_) => ReportedOutcome::Unknown,
        }
    }

    /// Why the payout did not go through, in KillB's documented words, for the statuses that end
    /// it without paying.
    pub fn explanation(&self) -> Option<&'static str> {
        match self {
            KillbStatus::Error => Some("KillB internal error; no funds moved"),
            KillbStatus::Failed => Some("invalid beneficiary data"),
            KillbStatus::Rejected => Some("rejected by KillB compliance"),
            KillbStatus::Refunded | KillbStatus::RefundCompleted => {
                Some("the money was returned to the pre-fund balance")
            }
            KillbStatus::RefundFailed => Some("KillB could not complete a refund"),
            _ => None,
        }
    }

    /// Whether this is the status a payout has right after creation (it says no more than
    /// "received").
    pub fn is_initial(&self) -> bool {
        matches!(self, KillbStatus::Pending | KillbStatus::Created)
    }
}

impl FromStr for KillbStatus {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(KillbStatus::parse(s))
    }
}

impl fmt::Display for KillbStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_statuses_map_to_their_outcomes() {
        let cases = [
            ("PENDING", ReportedOutcome::InFlight),
            ("PROCESSING", ReportedOutcome::InFlight),
            ("CASH_OUT_PROCESSING", ReportedOutcome::InFlight),
            ("REVIEW_NEEDED", ReportedOutcome::InFlight),
            ("COMPLETED", ReportedOutcome::Succeeded),
            ("ERROR", ReportedOutcome::Failed),
            ("FAILED", ReportedOutcome::Failed),
            ("REJECTED", ReportedOutcome::Failed),
            ("REFUNDED", ReportedOutcome::Refunded),
            ("REFUND_FAILED", ReportedOutcome::Unknown),
        ];
        for (raw, outcome) in cases {
            let status = KillbStatus::parse(raw);
            assert_eq!(status.outcome(), outcome, "{raw}");
            assert_eq!(status.as_str(), raw, "round trip");
        }
        assert_eq!(KillbStatus::parse(" completed "), KillbStatus::Completed);
    }

    #[test]
    fn every_known_status_round_trips() {
        for (name, status) in KNOWN {
            assert_eq!(KillbStatus::parse(name), status);
            assert_eq!(status.to_string(), name);
        }
    }

    #[test]
    fn unknown_statuses_are_kept_never_a_panic() {
        for raw in ["ON_HOLD", "", "  ", "ÇÀ", "COMPLETED_V2", "\u{0}"] {
            let status: KillbStatus = raw.parse().unwrap_or_else(|e: Infallible| match e {});
            assert_eq!(status, KillbStatus::Unknown(raw.to_string()));
            assert_eq!(status.outcome(), ReportedOutcome::Unknown);
            assert_eq!(status.as_str(), raw);
        }
    }
}
