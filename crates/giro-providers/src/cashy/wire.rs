//! Cashy's JSON (seeds 001 and 004), exactly as it is sent and received, and the conversions
//! between it and Giro's domain. The webhook ingress reuses [`Callback`].

use std::fmt;

use giro_domain::checks::tz_national_number;
use giro_domain::co_banks;
use giro_domain::payout::{ProviderReport, ReportSource};
use giro_domain::rail::{CoAccountType, Document, PayoutBeneficiary, TzOperator};
use giro_domain::secret::{MaskStyle, mask};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::status::CashyStatus;
use super::{CashyConfig, CashyCountry};
use crate::capability::PayoutOrder;
use crate::json;
use crate::report::report_id;

/// Colombian e-wallets (Nequi, Daviplata): Cashy wants accountType 1 for them whatever the holder
/// calls the account.
const CO_EWALLETS: [&str; 2] = ["507", "551"];

/// `POST /api/payOut`. Its `Debug` masks the holder's name, account, document, phone and e-mail.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayOutRequest<'a> {
    pub account_name: String,
    pub account_no: &'a str,
    pub account_type: u8,
    pub currency: &'static str,
    #[serde(serialize_with = "json::number")]
    pub amount: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_id: Option<i64>,
    pub mch_order_no: &'a str,
    pub notify_url: &'a str,
    pub nonce_str: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_card: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    pub remark: String,
}

impl fmt::Debug for PayOutRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last_four = |v: Option<&str>| v.map(|v| mask(v, MaskStyle::LastFour));
        f.debug_struct("PayOutRequest")
            .field(
                "account_name",
                &mask(&self.account_name, MaskStyle::Initials),
            )
            .field("account_no", &mask(self.account_no, MaskStyle::LastFour))
            .field("account_type", &self.account_type)
            .field("currency", &self.currency)
            .field("amount", &self.amount)
            .field("bank_id", &self.bank_id)
            .field("mch_order_no", &self.mch_order_no)
            .field("notify_url", &self.notify_url)
            .field("nonce_str", &self.nonce_str)
            .field("id_type", &self.id_type)
            .field("id_card", &last_four(self.id_card))
            .field("phone", &last_four(self.phone))
            .field("email", &self.email.map(|e| mask(e, MaskStyle::Email)))
            .field("remark", &self.remark)
            .finish()
    }
}

/// `POST /api/payOutQuery`: at least one id; `orderNo` is preferred when known.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryRequest<'a> {
    pub mch_order_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_no: Option<&'a str>,
    pub nonce_str: String,
}

/// `POST /api/bankListQuery` (and any call that needs only a nonce).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NonceRequest {
    pub nonce_str: String,
}

/// Why a payout cannot be sent to this Cashy merchant at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Unsupported {
    pub field: &'static str,
    pub message: String,
}

fn unsupported(field: &'static str, message: impl Into<String>) -> Unsupported {
    Unsupported {
        field,
        message: message.into(),
    }
}

/// Cashy's `idType`: CC 1, CE 2, TI 3, NIT 4, PA/PASSPORT 5 (PROVIDERS.md §2).
fn id_type(document: &Document) -> Option<&'static str> {
    match document.doc_type.trim().to_ascii_uppercase().as_str() {
        "CC" => Some("1"),
        "CE" => Some("2"),
        "TI" => Some("3"),
        "NIT" => Some("4"),
        "PA" | "PASSPORT" => Some("5"),
        _ => None,
    }
}

/// The first `max` characters of `text`, trimmed.
fn clip(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

/// An optional field, left out when longer than Cashy's column.
fn fits(value: &str, max: usize) -> Option<&str> {
    (!value.is_empty() && value.chars().count() <= max).then_some(value)
}

impl<'a> PayOutRequest<'a> {
    /// The body for `order` at the merchant of `config`. `bank_id` is the Cashy bank of a
    /// Colombian account (from `bankListQuery`).
    pub fn new(
        config: &'a CashyConfig,
        order: PayoutOrder<'a>,
        bank_id: Option<i64>,
        nonce_str: String,
    ) -> Result<Self, Unsupported> {
        let request = order.request;
        let currency = config.country.currency();
        if request.money.currency() != currency {
            return Err(unsupported(
                "currency",
                format!(
                    "this Cashy merchant pays {}, not {}",
                    currency,
                    request.money.currency()
                ),
            ));
        }
        let mut body = PayOutRequest {
            account_name: String::new(),
            account_no: "",
            account_type: 0,
            currency: currency.code(),
            amount: request.money.amount(),
            bank_id,
            mch_order_no: order.handle,
            notify_url: &config.notify_url,
            nonce_str,
            id_type: None,
            id_card: None,
            phone: None,
            email: None,
            remark: remark(&config.remark),
        };
        match (config.country, &request.beneficiary) {
            (CashyCountry::Co, PayoutBeneficiary::CoBank(a)) => {
                let bank = co_banks::find(&a.bank_code)
                    .ok_or_else(|| unsupported("beneficiary.bank_code", "unknown bank code"))?;
                body.bank_id = Some(bank_id.ok_or_else(|| {
                    unsupported("beneficiary.bank_code", "no Cashy bankId for this bank")
                })?);
                body.account_name = clip(&request.beneficiary.holder_name(), 32);
                body.account_no = a.account_number.expose();
                body.account_type = match a.account_type {
                    _ if CO_EWALLETS.contains(&bank.code) => 1,
                    CoAccountType::Checking => 0,
                    CoAccountType::Savings => 1,
                };
                let id = id_type(&a.document).ok_or_else(|| {
                    unsupported(
                        "beneficiary.document.type",
                        "Cashy takes CC, CE, TI, NIT or PA",
                    )
                })?;
                body.id_type = Some(id.to_string());
                body.id_card = Some(a.document.number.expose());
                body.phone = fits(a.phone.expose(), 32);
                body.email = fits(a.email.expose(), 32);
            }
            (CashyCountry::Tz, PayoutBeneficiary::TzMobile(w)) => {
                if !body.amount.fract().is_zero() {
                    return Err(unsupported("amount", "TZS payouts are whole shillings"));
                }
                body.amount = body.amount.trunc();
                body.account_name = clip(&request.beneficiary.holder_name(), 64);
                body.account_no = tz_national_number(w.msisdn.expose())
                    .map_err(|e| unsupported("beneficiary.msisdn", e.to_string()))?;
                body.account_type = match w.operator {
                    TzOperator::Airtel => 0,
                    TzOperator::Tigo => 1,
                    TzOperator::Halotel => 2,
                    TzOperator::Vodacom => 3,
                };
                if let Some(document) = &w.document {
                    let raw = document.doc_type.trim();
                    body.id_type = Some(id_type(document).unwrap_or(raw).to_string());
                    body.id_card = Some(document.number.expose());
                }
                body.phone = w.phone.as_ref().and_then(|p| fits(p.expose(), 32));
                body.email = w.email.as_ref().and_then(|e| fits(e.expose(), 64));
            }
            (country, other) => {
                return Err(unsupported(
                    "beneficiary.rail",
                    format!("Cashy {country:?} does not pay {}", other.rail().as_str()),
                ));
            }
        }
        Ok(body)
    }
}

/// The remark: English or unaccented Spanish, at most 32 characters; ASCII is kept, the rest
/// dropped.
fn remark(configured: &str) -> String {
    let kept: String = configured
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .take(32)
        .collect();
    if kept.trim().is_empty() {
        "payout".to_string()
    } else {
        kept
    }
}

/// Every answer: `{code, msg, data}`; only `code == 200` is success.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default, deserialize_with = "json::opt_text")]
    pub code: Option<String>,
    #[serde(default)]
    pub msg: Option<String>,
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
}

/// `data` of a `payOut` answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayOutData {
    #[serde(default, deserialize_with = "json::opt_text")]
    pub merchant_id: Option<String>,
    #[serde(default)]
    pub mch_order_no: Option<String>,
    pub order_no: String,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub amount: Option<Decimal>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub fee: Option<Decimal>,
    pub order_status: String,
}

/// `data` of a `payOutQuery` answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderData {
    #[serde(default, deserialize_with = "json::opt_text")]
    pub merchant_id: Option<String>,
    #[serde(default)]
    pub mch_order_no: Option<String>,
    pub order_no: String,
    #[serde(default)]
    pub channel_order_no: Option<String>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub amount: Option<Decimal>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub fee: Option<Decimal>,
    pub order_status: String,
    /// `yyyy-MM-dd HH:mm:ss`, in a time zone Cashy does not state.
    #[serde(default)]
    pub completion_time: Option<String>,
    #[serde(default)]
    pub result_desc: Option<String>,
}

/// A callback to `notifyUrl`: the query data plus `nonceStr` and `payType`, signed like a request
/// (verify `Sign` over the raw bytes before parsing).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Callback {
    #[serde(default, deserialize_with = "json::opt_text")]
    pub merchant_id: Option<String>,
    #[serde(default)]
    pub mch_order_no: Option<String>,
    pub order_no: String,
    #[serde(default)]
    pub channel_order_no: Option<String>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub amount: Option<Decimal>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub fee: Option<Decimal>,
    pub order_status: String,
    #[serde(default)]
    pub completion_time: Option<String>,
    #[serde(default)]
    pub result_desc: Option<String>,
    #[serde(default, deserialize_with = "json::opt_text")]
    pub nonce_str: Option<String>,
    #[serde(default, deserialize_with = "json::opt_text")]
    pub pay_type: Option<String>,
}

/// One entry of `bankListQuery`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bank {
    #[serde(default, deserialize_with = "json::opt_text")]
    pub bank_id: Option<String>,
    #[serde(default, deserialize_with = "json::opt_text")]
    pub bank_code: Option<String>,
    #[serde(default)]
    pub bank_name: Option<String>,
}

impl Bank {
    /// Whether this is the Colombian bank Giro knows as `code` (`001`…). Cashy lists ACH codes
    /// with a leading `1` (`1007` Bancolombia) or `0`; the last three digits are compared.
    pub fn is_co_bank(&self, code: &str) -> bool {
        let Some(giro) = co_banks::find(code) else {
            return false;
        };
        let listed: String = self
            .bank_code
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let listed = match listed.len() {
            4 if listed.starts_with(['0', '1']) => &listed[1..],
            _ => listed.as_str(),
        };
        listed == giro.code
    }
}

fn report(
    order_no: &str,
    status: &str,
    result_desc: &Option<String>,
    fee: Option<Decimal>,
    source: ReportSource,
) -> ProviderReport {
    ProviderReport {
        source,
        raw_status: status.to_string(),
        outcome: CashyStatus::parse(status).outcome(),
        report_id: report_id(order_no, status),
        provider_ref: Some(order_no.to_string()),
        reason: result_desc.clone().filter(|d| !d.trim().is_empty()),
        fee,
        reported_at: None,
    }
}

impl PayOutData {
    /// The status in the `payOut` answer as a report.
    pub fn report(&self) -> ProviderReport {
        report(
            &self.order_no,
            &self.order_status,
            &None,
            None,
            ReportSource::SubmitResponse,
        )
    }
}

impl OrderData {
    /// The queried status as a report (`source` Poll).
    pub fn report(&self) -> ProviderReport {
        let (status, desc) = (&self.order_status, &self.result_desc);
        report(&self.order_no, status, desc, self.fee, ReportSource::Poll)
    }
}

impl Callback {
    /// Parses a callback body (after its `Sign` was verified on the same bytes).
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The announced status as a report (`source` Webhook); the same status polled gives the same
    /// `report_id`.
    pub fn report(&self) -> ProviderReport {
        let (status, desc) = (&self.order_status, &self.result_desc);
        report(
            &self.order_no,
            status,
            desc,
            self.fee,
            ReportSource::Webhook,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payout_requests_debug_masked() {
        let body = PayOutRequest {
            account_name: "Wilhelmina Quintero".into(),
            account_no: "40087654321",
            account_type: 1,
            currency: "COP",
            amount: Decimal::new(150_000, 0),
            bank_id: Some(7),
            mch_order_no: "G0abc01",
            notify_url: "https://giro.example.com/webhooks/cashy",
            nonce_str: "n0nce".into(),
            id_type: Some("1".into()),
            id_card: Some("8001234567"),
            phone: Some("3157654321"),
            email: Some("wilhelmina.q@example.org"),
            remark: "giro payout".into(),
        };
        let debug = format!("{body:?} {body:#?}");
        for raw in [
            "Wilhelmina",
            "Quintero",
            "40087654321",
            "8001234567",
            "3157654321",
            "wilhelmina.q@example.org",
        ] {
            assert!(!debug.contains(raw), "{raw} in {debug}");
        }
        for shown in [
            "W*** Q***",
            "****4321",
            "****4567",
            "w***@example.org",
            "G0abc01",
        ] {
            assert!(debug.contains(shown), "{shown} not in {debug}");
        }
        let wallet = PayOutRequest {
            account_no: "713579246",
            id_card: None,
            phone: None,
            email: None,
            ..body
        };
        let debug = format!("{wallet:?}");
        assert!(!debug.contains("713579246"), "{debug}");
    }
}
