//! Cashy payout order statuses (seeds 001 and 004), and what each means for the payout.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use giro_domain::payout::ReportedOutcome;

/// A Cashy `orderStatus`. Parsing never fails: anything else is [`CashyStatus::Unknown`], recorded
/// and never acted on. A final status can still be reversed later (SUCCESS ↔ FAIL, seed 004).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CashyStatus {
    /// Received; the status at creation.
    Processing,
    Waiting,
    Paying,
    Success,
    Fail,
    Cancel,
    Unknown(String),
}

const KNOWN: [(&str, CashyStatus); 6] = [
    ("PROCESSING", CashyStatus::Processing),
    ("WAITING", CashyStatus::Waiting),
    ("PAYING", CashyStatus::Paying),
    ("SUCCESS", CashyStatus::Success),
    ("FAIL", CashyStatus::Fail),
    ("CANCEL", CashyStatus::Cancel),
];

impl CashyStatus {
    /// Reads a status as Cashy writes it (case and surrounding spaces are ignored).
    pub fn parse(raw: &str) -> Self {
        let wanted = raw.trim().to_ascii_uppercase();
        KNOWN
            .iter()
            .find(|(name, _)| *name == wanted)
            .map(|(_, status)| status.clone())
            .unwrap_or_else(|| CashyStatus::Unknown(raw.to_string()))
    }

    /// The status as Cashy writes it.
    pub fn as_str(&self) -> &str {
        match self {
            CashyStatus::Unknown(raw) => raw,
            known => KNOWN
                .iter()
                .find(|(_, status)| status == known)
                .map_or("", |(name, _)| name),
        }
    }

    /// What the status means for the payout: CANCEL is a failure (nothing was paid).
    pub fn outcome(&self) -> ReportedOutcome {
        match self {
            CashyStatus::Processing | CashyStatus::Waiting | CashyStatus::Paying => {
                ReportedOutcome::InFlight
            }
            CashyStatus::Success => ReportedOutcome::Succeeded,
            CashyStatus::Fail | CashyStatus::Cancel => ReportedOutcome::Failed,
            CashyStatus::Unknown(_) => ReportedOutcome::Unknown,
        }
    }

    /// Whether this is the status an order has right after creation (it says no more than
    /// "received").
    pub fn is_initial(&self) -> bool {
        matches!(self, CashyStatus::Processing)
    }
}

impl FromStr for CashyStatus {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(CashyStatus::parse(s))
    }
}

impl fmt::Display for CashyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_statuses_map_to_their_outcomes() {
        let cases = [
            ("PROCESSING", ReportedOutcome::InFlight),
            ("WAITING", ReportedOutcome::InFlight),
            ("PAYING", ReportedOutcome::InFlight),
            ("SUCCESS", ReportedOutcome::Succeeded),
            ("FAIL", ReportedOutcome::Failed),
            ("CANCEL", ReportedOutcome::Failed),
        ];
        for (raw, outcome) in cases {
            let status = CashyStatus::parse(raw);
            assert_eq!(status.outcome(), outcome, "{raw}");
            assert_eq!(status.to_string(), raw);
        }
        assert_eq!(CashyStatus::parse("success"), CashyStatus::Success);
    }

    #[test]
    fn unknown_statuses_are_kept_never_a_panic() {
        for raw in ["REFUNDING", "", "SUCCESS_", "成功"] {
            let status: CashyStatus = raw.parse().unwrap_or_else(|e: Infallible| match e {});
            assert_eq!(status, CashyStatus::Unknown(raw.to_string()));
            assert_eq!(status.outcome(), ReportedOutcome::Unknown);
            assert_eq!(status.as_str(), raw);
        }
    }
}
