//! A55 charge statuses (seed 003 and the public docs).

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use giro_domain::charge::ChargeOutcome;

/// An A55 charge status. Parsing never fails: anything else is [`A55Status::Unknown`] with its
/// text. The seed insists the synchronous answer is not the final word: the webhook is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum A55Status {
    /// Created; waiting for the payer.
    Issued,
    Pending,
    /// Authorised only (`capture: false`), waiting for a capture.
    PreCaptured,
    /// Payment confirmed, not yet settled.
    Confirmed,
    /// Settled.
    Paid,
    /// Declined or failed; `message` says why.
    Error,
    Canceled,
    Refunded,
    RefundError,
    ChargebackRequested,
    PreChargebackResolution,
    Chargeback,
    ChargebackReversed,
    ChargebackRefunded,
    Unknown(String),
}

const KNOWN: [(&str, A55Status); 14] = [
    ("issued", A55Status::Issued),
    ("pending", A55Status::Pending),
    ("pre_captured", A55Status::PreCaptured),
    ("confirmed", A55Status::Confirmed),
    ("paid", A55Status::Paid),
    ("error", A55Status::Error),
    ("canceled", A55Status::Canceled),
    ("refunded", A55Status::Refunded),
    ("refund_error", A55Status::RefundError),
    ("chargeback_requested", A55Status::ChargebackRequested),
    (
        "pre_chargeback_resolution",
        A55Status::PreChargebackResolution,
    ),
    ("chargeback", A55Status::Chargeback),
    ("chargeback_reversed", A55Status::ChargebackReversed),
    ("chargeback_refunded", A55Status::ChargebackRefunded),
];

impl A55Status {
    /// Reads a status as A55 writes it (case and surrounding spaces are ignored).
    pub fn parse(raw: &str) -> Self {
        let wanted = raw.trim().to_ascii_lowercase();
        KNOWN
            .iter()
            .find(|(name, _)| *name == wanted)
            .map(|(_, status)| status.clone())
            .unwrap_or_else(|| A55Status::Unknown(raw.to_string()))
    }

    /// The status as A55 writes it.
    pub fn as_str(&self) -> &str {
        match self {
            A55Status::Unknown(raw) => raw,
            known => KNOWN
                .iter()
                .find(|(_, status)| status == known)
                .map_or("", |(name, _)| name),
        }
    }

    /// Whether the charge has settled one way or the other: nothing follows without an operation
    /// (refund, capture) or a dispute. `issued`, `pending`, `pre_captured`, `confirmed`, the
    /// dispute in progress and unknown statuses are not final.
    pub fn is_final(&self) -> bool {
        use A55Status as S;
        match self {
            S::Paid
            | S::Error
            | S::Canceled
            | S::Refunded
            | S::RefundError
            | S::Chargeback
            | S::ChargebackReversed
            | S::ChargebackRefunded => true,
            S::Issued
            | S::Pending
            | S::PreCaptured
            | S::Confirmed
            | S::ChargebackRequested
            | S::PreChargebackResolution
            | S::Unknown(_) => false,
        }
    }
}

impl From<&A55Status> for ChargeOutcome {
    /// What each A55 status means for a charge (see [`ChargeOutcome`]'s variants); unknown
    /// statuses are recorded, never acted on.
    fn from(status: &A55Status) -> Self {
        use A55Status as S;
        match status {
            S::Issued | S::Pending => ChargeOutcome::Pending,
            S::PreCaptured => ChargeOutcome::Authorized,
            S::Confirmed => ChargeOutcome::Confirmed,
            S::Paid => ChargeOutcome::Paid,
            S::Error => ChargeOutcome::Failed,
            S::Canceled => ChargeOutcome::Cancelled,
            S::Refunded => ChargeOutcome::Refunded,
            S::RefundError => ChargeOutcome::RefundFailed,
            S::ChargebackRequested | S::PreChargebackResolution => ChargeOutcome::ChargebackOpened,
            S::Chargeback | S::ChargebackRefunded => ChargeOutcome::ChargebackLost,
            S::ChargebackReversed => ChargeOutcome::ChargebackWon,
            S::Unknown(_) => ChargeOutcome::Unknown,
        }
    }
}

impl FromStr for A55Status {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(A55Status::parse(s))
    }
}

impl fmt::Display for A55Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_statuses_round_trip() {
        for (name, status) in KNOWN {
            assert_eq!(A55Status::parse(name), status);
            assert_eq!(status.to_string(), name);
        }
        assert_eq!(A55Status::parse(" PAID "), A55Status::Paid);
        assert!(A55Status::Paid.is_final() && A55Status::Error.is_final());
        assert!(!A55Status::Issued.is_final() && !A55Status::Confirmed.is_final());
        assert_eq!(ChargeOutcome::from(&A55Status::Paid), ChargeOutcome::Paid);
        assert_eq!(
            ChargeOutcome::from(&A55Status::parse("mystery")),
            ChargeOutcome::Unknown
        );
    }

    #[test]
    fn unknown_statuses_are_kept_never_a_panic() {
        for raw in ["authorized", "", "paid!", "pagó"] {
            let status: A55Status = raw.parse().unwrap_or_else(|e: Infallible| match e {});
            assert_eq!(status, A55Status::Unknown(raw.to_string()));
            assert!(!status.is_final());
            assert_eq!(status.as_str(), raw);
        }
    }
}
