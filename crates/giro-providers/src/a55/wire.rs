//! A55's JSON (seed 003), exactly as it is sent and received. The webhook ingress reuses
//! [`Charge`] (the signed webhook's body) and [`LegacyWebhook`] (the older unsigned one).

use std::fmt;

use giro_domain::charge::{
    BoletoDetails, ChargeOutcome, ChargeReport, PaymentDetails, PixDetails, ReportSource,
};
use rust_decimal::Decimal;
use serde::Deserialize;

pub use super::request::{CaptureRequest, CreateCharge, RefundRequest, Unsupported};
use super::status::A55Status;
use crate::json;
use crate::report::report_id;

/// The OAuth2 token answer; `expires_in` is in seconds. Its `Debug` masks the token.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub expires_in: Option<Decimal>,
    #[serde(default)]
    pub token_type: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"***")
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type)
            .finish()
    }
}

/// A charge as A55 returns it (create, read, refund, cancel) and as a signed webhook's body.
#[derive(Debug, Clone, Deserialize)]
pub struct Charge {
    pub charge_uuid: String,
    pub status: String,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub local_currency: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub usd_currency: Option<Decimal>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub eur_currency: Option<Decimal>,
    /// The payment method.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub installment_count: Option<u32>,
    #[serde(default)]
    pub installments: Option<Vec<Installment>>,
    /// The hosted checkout (cards without card data).
    #[serde(default)]
    pub charge_payment_url: Option<String>,
    #[serde(default)]
    pub url_3ds: Option<String>,
    /// Why a charge is in `error`.
    #[serde(default)]
    pub message: Option<Problems>,
    #[serde(default)]
    pub subscription: Option<SubscriptionInfo>,
    #[serde(default)]
    pub reference_external_id: Option<String>,
    #[serde(default)]
    pub pix_qr_code: Option<String>,
    #[serde(default)]
    pub pix_copy_paste: Option<String>,
    #[serde(default)]
    pub barcode: Option<String>,
    #[serde(default)]
    pub digitable_line: Option<String>,
    #[serde(default)]
    pub boleto_url: Option<String>,
}

impl Charge {
    /// Parses a signed webhook's body (after verifying it on the same bytes).
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The status, parsed (unknown ones included).
    pub fn status(&self) -> A55Status {
        A55Status::parse(&self.status)
    }

    /// The identity of this status report (A55: dedupe by charge_uuid + status).
    pub fn report_id(&self) -> String {
        report_id(&self.charge_uuid, &self.status)
    }

    /// This charge's status as a report from `source`; an `error` carries its problems as reason.
    pub fn report(&self, source: ReportSource) -> ChargeReport {
        ChargeReport {
            source,
            raw_status: self.status.clone(),
            outcome: ChargeOutcome::from(&self.status()),
            report_id: self.report_id(),
            charge_uuid: Some(self.charge_uuid.clone()),
            reason: self.message.as_ref().map(|m| m.summary().1),
            amount: self.charged(),
            currency: self.currency.clone(),
            attempt: None,
            reported_at: None,
        }
    }

    /// What A55 says the payer is charged in all (`local_currency`), for the statuses that mean the
    /// payer is authorised or charged: the domain takes such a report only when this is the
    /// charge's total, so a charge A55 read per installment (total × count) is never recorded as
    /// paid at Giro's amount.
    fn charged(&self) -> Option<Decimal> {
        match ChargeOutcome::from(&self.status()) {
            ChargeOutcome::Authorized | ChargeOutcome::Confirmed | ChargeOutcome::Paid => {
                self.local_currency
            }
            _ => None,
        }
    }

    /// How the payer pays: the hosted checkout, the PIX code or the boleto.
    pub fn payment(&self) -> PaymentDetails {
        let pix =
            (self.pix_qr_code.is_some() || self.pix_copy_paste.is_some()).then(|| PixDetails {
                qr_code: self.pix_qr_code.clone(),
                copy_paste: self.pix_copy_paste.clone(),
            });
        let boleto = (self.barcode.is_some() || self.boleto_url.is_some()).then(|| BoletoDetails {
            barcode: self.barcode.clone().or_else(|| self.digitable_line.clone()),
            url: self.boleto_url.clone(),
        });
        PaymentDetails {
            payment_url: self.charge_payment_url.clone(),
            pix,
            boleto,
        }
    }
}

/// One installment.
#[derive(Debug, Clone, Deserialize)]
pub struct Installment {
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub local_currency: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub installment_number: Option<u32>,
}

/// The subscription created with a charge.
#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionInfo {
    #[serde(default)]
    pub subscription_uuid: Option<String>,
    #[serde(default)]
    pub cycle: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// One `{code, source, description}` of `message`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Problem {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `message`: a list of problems in the docs; a plain string is accepted too.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Problems {
    List(Vec<Problem>),
    Text(String),
}

impl Problems {
    /// The first problem's code and a readable description of all of them.
    pub fn summary(&self) -> (Option<String>, String) {
        match self {
            Problems::Text(text) => (None, text.clone()),
            Problems::List(list) => {
                let code = list
                    .first()
                    .map(|p| p.code.clone())
                    .filter(|c| !c.is_empty());
                let text = list
                    .iter()
                    .map(|p| match &p.description {
                        Some(d) => format!("{}: {d}", p.code),
                        None => p.code.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                (code, text)
            }
        }
    }
}

/// An error answer: `{"status": "error", "message": [{code, source, description}]}`.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub message: Option<Problems>,
    /// OAuth2 errors (`invalid_client`, …).
    #[serde(default)]
    pub error: Option<String>,
}

/// The older, unsigned webhook; confirm it by reading the charge before believing it.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacyWebhook {
    pub charge_uuid: String,
    pub status: String,
    #[serde(default)]
    pub transaction_reference: Option<String>,
    #[serde(default)]
    pub subscription_uuid: Option<String>,
    #[serde(default)]
    pub payment_link_uuid: Option<String>,
}

impl LegacyWebhook {
    /// Parses an unsigned webhook body.
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }
}
