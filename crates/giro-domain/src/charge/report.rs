//! Provider reports about a charge: every webhook or poll, with the provider's raw status and what
//! it means. Webhooks are the source of truth (seed 003) and may repeat or arrive out of order, so
//! a report is a fact to record first and to act on only if it still fits.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::status::ChargeStatus;

pub use crate::payout::ReportSource;

/// What a provider status means for a charge. The A55 statuses each variant stands for are named
/// on it; statuses Giro does not know are `Unknown`: recorded, never acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChargeOutcome {
    /// `issued`, `pending`: waiting for the payer.
    Pending,
    /// `pre_captured`: a card authorised but not captured (`capture: false`).
    Authorized,
    /// `confirmed`: the payment went through, not yet settled.
    Confirmed,
    /// `paid`: settled.
    Paid,
    /// `error`.
    Failed,
    /// `canceled`.
    Cancelled,
    /// `refunded`.
    Refunded,
    /// `refund_error`: the refund asked for did not happen; the charge stays paid.
    RefundFailed,
    /// `chargeback_requested`, `pre_chargeback_resolution`: the payer disputes the charge.
    ChargebackOpened,
    /// `chargeback`, `chargeback_refunded`: the dispute took the money back.
    ChargebackLost,
    /// `chargeback_reversed`: the merchant won the dispute; the money is back.
    ChargebackWon,
    Unknown,
}

impl ChargeOutcome {
    /// Whether the outcome has a consequence event of its own. Only the newest decisive report may
    /// re-derive a consequence lost to a crash; `pending` moves the status through the report
    /// itself and `refund_error` only clears the refund in progress.
    pub fn is_decisive(self) -> bool {
        !matches!(
            self,
            ChargeOutcome::Pending | ChargeOutcome::RefundFailed | ChargeOutcome::Unknown
        )
    }

    /// The status a charge holds once the provider has it in this state, by the decider's own
    /// reading: what reconciliation expects of a charge whose provider states this outcome.
    /// A refund leaves a partly refunded charge `paid` (see `ChargeRefunded`); a failed refund
    /// leaves it `paid`; an unknown status says nothing (`None`).
    pub fn status(self) -> Option<ChargeStatus> {
        use ChargeOutcome as O;
        use ChargeStatus as S;
        Some(match self {
            O::Pending => S::Pending,
            O::Authorized => S::Authorized,
            O::Confirmed => S::Confirmed,
            O::Paid | O::RefundFailed | O::ChargebackWon => S::Paid,
            O::Failed => S::Failed,
            O::Cancelled => S::Cancelled,
            O::Refunded => S::Refunded,
            O::ChargebackOpened | O::ChargebackLost => S::Chargeback,
            O::Unknown => return None,
        })
    }
}

/// One provider report (webhook or poll), with the provider's raw status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChargeReport {
    pub source: ReportSource,
    pub raw_status: String,
    pub outcome: ChargeOutcome,
    /// The provider's identity for this report; a report seen before is not recorded again.
    pub report_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The amount the report is about, when the provider says: for a refund or chargeback the
    /// amount taken back; for an authorisation, confirmation or payment the total charged (A55's
    /// `local_currency`), which must be the charge's total or the report is not acted on as one.
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
    /// The currency the report states (A55's `currency`), when it states one: compared with the
    /// charge's, as the amount is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_at: Option<DateTime<Utc>>,
    /// The attempt the report names (read from the handle it carries, or the attempt a lookup
    /// asked about); `None` when it names none, taken as the current attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
}
