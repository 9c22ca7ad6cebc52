//! Charge events (CONTRACT.md §2). Each variant's serde name is its public event type. The
//! submission records are the payout's own types: both aggregates follow one submission protocol
//! (claim an attempt, then submitted, failed, or answer lost).

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::capture::{CaptureAttemptStarted, CaptureFailed, CaptureRequested, ChargeCaptured};
use super::order::ChargeRequested;
pub use super::refunds::{
    RefundAttemptNotSent, RefundAttemptStarted, RefundAttemptUnknown, RefundFailed,
};
use super::report::ChargeReport;
use crate::envelope::EventType;
pub use crate::payout::{
    Discrepancy, DiscrepancyField, DiscrepancySource, Failure, OutcomeUnknown,
    ProviderWaitAnnounced, SubmissionFailed, SubmissionStarted,
};

/// Everything that can happen to a charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "data")]
pub enum ChargeEvent {
    #[serde(rename = "charge.requested")]
    Requested(Arc<ChargeRequested>),
    #[serde(rename = "charge.submission_started")]
    SubmissionStarted(SubmissionStarted),
    #[serde(rename = "charge.submitted")]
    Submitted(ChargeSubmitted),
    #[serde(rename = "charge.submission_failed")]
    SubmissionFailed(SubmissionFailed),
    #[serde(rename = "charge.outcome_unknown")]
    OutcomeUnknown(OutcomeUnknown),
    #[serde(rename = "charge.provider_wait_announced")]
    ProviderWaitAnnounced(ProviderWaitAnnounced),
    #[serde(rename = "charge.provider_status")]
    ProviderStatus(ChargeReport),
    #[serde(rename = "charge.authorized")]
    Authorized(Reported),
    #[serde(rename = "charge.confirmed")]
    Confirmed(Reported),
    #[serde(rename = "charge.paid")]
    Paid(Reported),
    #[serde(rename = "charge.failed")]
    Failed(Failure),
    #[serde(rename = "charge.cancel_requested")]
    CancelRequested(ChargeCancelled),
    #[serde(rename = "charge.cancelled")]
    Cancelled(ChargeCancelled),
    #[serde(rename = "charge.refund_requested")]
    RefundRequested(RefundRequested),
    #[serde(rename = "charge.refund_attempt_started")]
    RefundAttemptStarted(RefundAttemptStarted),
    #[serde(rename = "charge.refund_attempt_not_sent")]
    RefundAttemptNotSent(RefundAttemptNotSent),
    #[serde(rename = "charge.refund_attempt_unknown")]
    RefundAttemptUnknown(RefundAttemptUnknown),
    #[serde(rename = "charge.refund_failed")]
    RefundFailed(RefundFailed),
    #[serde(rename = "charge.refunded")]
    Refunded(ChargeRefunded),
    #[serde(rename = "charge.capture_requested")]
    CaptureRequested(CaptureRequested),
    #[serde(rename = "charge.capture_attempt_started")]
    CaptureAttemptStarted(CaptureAttemptStarted),
    #[serde(rename = "charge.captured")]
    Captured(ChargeCaptured),
    #[serde(rename = "charge.capture_failed")]
    CaptureFailed(CaptureFailed),
    #[serde(rename = "charge.chargeback_opened")]
    ChargebackOpened(Reported),
    #[serde(rename = "charge.chargeback_lost")]
    ChargebackLost(Reported),
    #[serde(rename = "charge.chargeback_won")]
    ChargebackWon(Reported),
    #[serde(rename = "charge.report_unmatched")]
    ReportUnmatched(ChargeUnmatchedReport),
    /// What the provider's statement says about the charge differs from it: an exception for a
    /// person. Nothing else changes: the status follows what the provider reports.
    #[serde(rename = "charge.discrepancy")]
    Discrepancy(Discrepancy),
    #[serde(rename = "charge.personal_data_erased")]
    PersonalDataErased(crate::privacy::PersonalDataErased),
}

/// A provider report that names an attempt other than the charge's current one (or the current one
/// under another `charge_uuid`). Kept on the charge, it moves nothing: a person decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChargeUnmatchedReport {
    pub reason: crate::payout::Unmatched,
    /// The charge's attempt when the report arrived.
    pub current_attempt: u32,
    /// A payment reported on a replaced attempt or under another `charge_uuid`: the payer may
    /// have been charged twice.
    pub possible_double_charge: bool,
    pub report: ChargeReport,
}

impl EventType for ChargeEvent {
    fn event_type(&self) -> &'static str {
        match self {
            ChargeEvent::Requested(_) => "charge.requested",
            ChargeEvent::SubmissionStarted(_) => "charge.submission_started",
            ChargeEvent::Submitted(_) => "charge.submitted",
            ChargeEvent::SubmissionFailed(_) => "charge.submission_failed",
            ChargeEvent::OutcomeUnknown(_) => "charge.outcome_unknown",
            ChargeEvent::ProviderWaitAnnounced(_) => "charge.provider_wait_announced",
            ChargeEvent::RefundAttemptStarted(_) => "charge.refund_attempt_started",
            ChargeEvent::RefundAttemptNotSent(_) => "charge.refund_attempt_not_sent",
            ChargeEvent::RefundAttemptUnknown(_) => "charge.refund_attempt_unknown",
            ChargeEvent::RefundFailed(_) => "charge.refund_failed",
            ChargeEvent::ProviderStatus(_) => "charge.provider_status",
            ChargeEvent::Authorized(_) => "charge.authorized",
            ChargeEvent::Confirmed(_) => "charge.confirmed",
            ChargeEvent::Paid(_) => "charge.paid",
            ChargeEvent::Failed(_) => "charge.failed",
            ChargeEvent::CancelRequested(_) => "charge.cancel_requested",
            ChargeEvent::Cancelled(_) => "charge.cancelled",
            ChargeEvent::RefundRequested(_) => "charge.refund_requested",
            ChargeEvent::Refunded(_) => "charge.refunded",
            ChargeEvent::CaptureRequested(_) => "charge.capture_requested",
            ChargeEvent::CaptureAttemptStarted(_) => "charge.capture_attempt_started",
            ChargeEvent::Captured(_) => "charge.captured",
            ChargeEvent::CaptureFailed(_) => "charge.capture_failed",
            ChargeEvent::ChargebackOpened(_) => "charge.chargeback_opened",
            ChargeEvent::ChargebackLost(_) => "charge.chargeback_lost",
            ChargeEvent::ChargebackWon(_) => "charge.chargeback_won",
            ChargeEvent::ReportUnmatched(_) => "charge.report_unmatched",
            ChargeEvent::Discrepancy(_) => "charge.discrepancy",
            ChargeEvent::PersonalDataErased(_) => "charge.personal_data_erased",
        }
    }

    fn is_failure(&self) -> bool {
        matches!(
            self,
            ChargeEvent::SubmissionFailed(_)
                | ChargeEvent::Failed(_)
                | ChargeEvent::RefundFailed(_)
                | ChargeEvent::CaptureFailed(_)
        )
    }
}

impl ChargeEvent {
    /// The event's data with the payer masked: what timelines, logs and query replies show.
    pub fn masked_data(&self) -> Value {
        match self {
            ChargeEvent::Requested(r) => {
                let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
                if let Some(payer) = v.get_mut("payer").and_then(Value::as_object_mut) {
                    payer.insert("name".into(), r.payer.name.masked().into());
                    payer.insert("email".into(), r.payer.email.masked().into());
                    payer.insert("tax_id".into(), r.payer.tax_id.masked().into());
                    payer.insert("phone".into(), r.payer.phone.masked().into());
                }
                if let Some(token) = &r.wallet_token {
                    v["wallet_token"] = token.masked().into();
                }
                if let Some(ip) = r.device_info.as_ref().and_then(|d| d.ip_address.as_ref())
                    && let Some(device) = v.get_mut("device_info").and_then(Value::as_object_mut)
                {
                    device.insert("ip_address".into(), ip.masked().into());
                }
                v
            }
            other => match serde_json::to_value(other) {
                Ok(Value::Object(mut obj)) => obj.remove("data").unwrap_or(Value::Null),
                _ => Value::Null,
            },
        }
    }
}

/// The provider took the attempt and said how the payer pays. Its status is never final: the
/// webhooks are (seed 003), so a submitted charge is `pending` whatever `raw_status` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChargeSubmitted {
    pub attempt: u32,
    pub charge_uuid: String,
    pub raw_status: String,
    #[serde(flatten)]
    pub payment: PaymentDetails,
}

/// Where and how the payer pays: the hosted checkout page, a PIX code or a boleto.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PaymentDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pix: Option<PixDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boleto: Option<BoletoDetails>,
}

/// A PIX payment's QR code and its copy-and-paste form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PixDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_paste: Option<String>,
}

/// A boleto's barcode and printable page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BoletoDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The provider report a status change follows from, for the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reported {
    pub raw_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A cancellation: asked of the provider (`charge.cancel_requested`) or done
/// (`charge.cancelled`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChargeCancelled {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A refund the executor is to ask of the provider; no amount is the whole refundable rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RefundRequested {
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

/// Money the provider gave back to the payer. `remaining` is what stays charged afterwards: zero
/// makes the charge `refunded`, anything else (a partial refund) leaves it `paid`, so a read model
/// can follow the status from the event alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChargeRefunded {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AmountString"))]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AmountString"))]
    #[serde(with = "rust_decimal::serde::str")]
    pub remaining: Decimal,
}
