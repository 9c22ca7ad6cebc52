//! KillB's JSON (v2 API), exactly as it is sent and received, and the conversions between it and
//! Giro's domain. The webhook ingress reuses [`WebhookEnvelope`] and [`Payout::report`].

use chrono::{DateTime, Utc};
use giro_domain::Pii;
use giro_domain::co_banks;
use giro_domain::payout::{PayoutRequested, ProviderReport, ReportSource};
use giro_domain::rail::{AliasType, CoAccountType, Document, PayoutBeneficiary};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::status::KillbStatus;
use crate::providers::json;
use crate::providers::report::report_id;

/// `POST /api/v2/auth/login`.
#[derive(Serialize)]
pub struct LoginRequest<'a> {
    pub email: &'a str,
    pub password: &'a str,
}

/// `POST /api/v2/auth/refresh`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest<'a> {
    pub refresh_token: &'a str,
}

/// The answer to login and refresh. `expiresIn` is in **milliseconds**.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub expires_in: Option<Decimal>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// `POST /api/v2/payouts`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePayout<'a> {
    pub pre_fund_account_id: &'a str,
    #[serde(serialize_with = "json::number")]
    pub amount: Decimal,
    pub external_id: &'a str,
    pub beneficiary: Beneficiary<'a>,
}

/// `{type: PSE|BREB, account: {...}}`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", content = "account")]
pub enum Beneficiary<'a> {
    #[serde(rename = "PSE")]
    Pse(PseAccount<'a>),
    #[serde(rename = "BREB")]
    Breb(BrebAccount<'a>),
}

/// Who receives: a person (first and last name) or a company, with contact and document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<&'a str>,
    pub email: &'a str,
    pub phone: &'a str,
    pub document: DocumentOut<'a>,
}

/// `{type, number}`; `type` in KillB's words (CC, CE, NIT, NUIP, PASSPORT, …).
#[derive(Debug, Serialize)]
pub struct DocumentOut<'a> {
    #[serde(rename = "type")]
    pub doc_type: String,
    pub number: &'a str,
}

/// A Colombian bank account (PSE).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PseAccount<'a> {
    #[serde(flatten)]
    pub holder: Holder<'a>,
    pub account_number: &'a str,
    pub bank_code: &'static str,
    #[serde(rename = "type")]
    pub account_type: &'static str,
    pub country_code: &'static str,
}

/// A registered BREB alias.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrebAccount<'a> {
    #[serde(flatten)]
    pub holder: Holder<'a>,
    pub alias_type: AliasType,
    pub alias: &'a str,
    pub country_code: &'static str,
}

/// Why a payout cannot be sent to KillB at all (not retryable: the order itself is wrong here).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Unsupported {
    pub field: &'static str,
    pub message: String,
}

fn holder<'a>(
    first: &'a Option<Pii>,
    last: &'a Option<Pii>,
    company: &'a Option<String>,
    email: &'a Pii,
    phone: &'a Pii,
    document: &'a Document,
) -> Holder<'a> {
    let doc_type = match document.doc_type.trim().to_ascii_uppercase().as_str() {
        "PA" => "PASSPORT".to_string(),
        other => other.to_string(),
    };
    Holder {
        first_name: first.as_ref().map(|p| p.expose().trim()),
        last_name: last.as_ref().map(|p| p.expose().trim()),
        company_name: company.as_deref().map(str::trim),
        email: email.expose(),
        phone: phone.expose(),
        document: DocumentOut {
            doc_type,
            number: document.number.expose(),
        },
    }
}

impl<'a> CreatePayout<'a> {
    /// The body for `request`, paid from `pre_fund_account_id`, under `handle` as `externalId`.
    pub fn new(
        pre_fund_account_id: &'a str,
        handle: &'a str,
        request: &'a PayoutRequested,
    ) -> Result<Self, Unsupported> {
        let beneficiary = match &request.beneficiary {
            PayoutBeneficiary::CoBank(a) => {
                let bank = co_banks::find(&a.bank_code).ok_or_else(|| Unsupported {
                    field: "beneficiary.bank_code",
                    message: format!("{:?} is not in KillB's Colombian bank list", a.bank_code),
                })?;
                Beneficiary::Pse(PseAccount {
                    holder: holder(
                        &a.first_name,
                        &a.last_name,
                        &a.company_name,
                        &a.email,
                        &a.phone,
                        &a.document,
                    ),
                    account_number: a.account_number.expose(),
                    bank_code: bank.code,
                    account_type: match a.account_type {
                        CoAccountType::Savings => "savings",
                        CoAccountType::Checking => "checking",
                    },
                    country_code: "CO",
                })
            }
            PayoutBeneficiary::CoAlias(a) => Beneficiary::Breb(BrebAccount {
                holder: holder(
                    &a.first_name,
                    &a.last_name,
                    &a.company_name,
                    &a.email,
                    &a.phone,
                    &a.document,
                ),
                alias_type: a.alias_type,
                alias: a.alias.expose(),
                country_code: "CO",
            }),
            PayoutBeneficiary::TzMobile(_) => {
                return Err(Unsupported {
                    field: "beneficiary.rail",
                    message: "KillB does not pay Tanzanian mobile wallets".into(),
                });
            }
        };
        Ok(CreatePayout {
            pre_fund_account_id,
            amount: request.money.amount(),
            external_id: handle,
            beneficiary,
        })
    }
}

/// A payout as KillB returns it (create, get, list, webhook `data`). The beneficiary is not read:
/// Giro has it already, and personal data is not kept where it is not needed.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payout {
    pub id: String,
    pub status: String,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub amount: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub pre_fund_account_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl Payout {
    /// The status, parsed (unknown ones included).
    pub fn status(&self) -> KillbStatus {
        KillbStatus::parse(&self.status)
    }

    /// The payout's current status as a report from `source`; a poll and a webhook of the same
    /// status give the same `report_id`.
    pub fn report(&self, source: ReportSource) -> ProviderReport {
        let status = self.status();
        ProviderReport {
            source,
            raw_status: self.status.clone(),
            outcome: status.outcome(),
            report_id: report_id(&self.id, &self.status),
            provider_ref: Some(self.id.clone()),
            reason: status.explanation().map(str::to_string),
            fee: None,
            reported_at: self
                .updated_at
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// `GET /api/v2/payouts?...`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutPage {
    #[serde(default)]
    pub payouts: Vec<Payout>,
    #[serde(default)]
    pub total_page: Option<u64>,
}

/// One entry of `GET /api/v2/customers/balances`; `amount` is a string decimal.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    #[serde(default)]
    pub id: Option<String>,
    pub currency: String,
    #[serde(deserialize_with = "json::decimal")]
    pub amount: Decimal,
    pub account_id: String,
}

/// `{errorCode, message: [...], statusCode, arguments: [{key, value}]}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub message: Option<Messages>,
    #[serde(default)]
    pub status_code: Option<serde_json::Value>,
    #[serde(default)]
    pub arguments: Vec<Argument>,
}

/// `message` is a list in the docs; a single string is accepted too.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Messages {
    Many(Vec<String>),
    One(String),
}

impl Messages {
    /// The messages on one line.
    pub fn joined(&self) -> String {
        match self {
            Messages::Many(list) => list.join("; "),
            Messages::One(one) => one.clone(),
        }
    }
}

/// One `{key, value}` of `arguments`.
#[derive(Debug, Deserialize)]
pub struct Argument {
    pub key: String,
    #[serde(default)]
    pub value: serde_json::Value,
}

/// A webhook as KillB posts it: `{id, event: "PAYOUT", action: CREATE|UPDATE|DELETE, data,
/// createdAt, updatedAt, attempts}`. `data` is kept raw until the event says what it is.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEnvelope {
    pub id: String,
    pub event: String,
    #[serde(default)]
    pub action: Option<String>,
    pub data: Box<RawValue>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub attempts: Option<u32>,
}

impl WebhookEnvelope {
    /// Parses a webhook body (verify its signature first, on the same bytes).
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// `data` as a payout, for `event == "PAYOUT"`.
    pub fn payout(&self) -> Result<Payout, serde_json::Error> {
        serde_json::from_str(self.data.get())
    }

    /// `data` as a beneficiary account, for `event == "ACCOUNT"`.
    pub fn account(&self) -> Result<Account, serde_json::Error> {
        serde_json::from_str(self.data.get())
    }
}

/// A beneficiary account as KillB answers it (`/api/v2/accounts`, and the `data` of its ACCOUNT
/// webhooks); its details are not read back.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    pub status: String,
    /// Giro's beneficiary id, sent as the account's `externalId`.
    #[serde(default)]
    pub external_id: Option<String>,
}

impl Account {
    /// The account's status in Giro's terms; `None` for a status KillB has not documented.
    pub fn beneficiary_status(&self) -> Option<giro_domain::beneficiary::BeneficiaryStatus> {
        use giro_domain::beneficiary::BeneficiaryStatus as S;
        match self.status.as_str() {
            "ACTIVE" => Some(S::Active),
            "PENDING" => Some(S::Pending),
            "REJECTED" => Some(S::Rejected),
            "INACTIVE" => Some(S::Inactive),
            _ => None,
        }
    }
}

/// The body of `POST /api/v2/accounts` for a registered beneficiary: its type, the beneficiary id
/// as `externalId` (KillB's idempotency), and its details in KillB's names (camelCase; the
/// Colombian account's kind is `data.type`; bank codes in KillB's list form).
pub fn account_body(
    id: &str,
    registration: &giro_domain::beneficiary::BeneficiaryRegistered,
) -> serde_json::Value {
    fn camel(key: &str) -> String {
        let mut out = String::with_capacity(key.len());
        let mut upper = false;
        for c in key.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }
    fn rename(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| {
                    let k = if k == "account_type" {
                        "type".to_string()
                    } else {
                        camel(&k)
                    };
                    (k, rename(v))
                })
                .collect(),
            other => other,
        }
    }
    let mut data = rename(serde_json::to_value(&registration.data).unwrap_or_default());
    if let Some(bank) = data
        .get("bankCode")
        .and_then(|c| c.as_str())
        .and_then(co_banks::find)
    {
        data["bankCode"] = serde_json::Value::String(bank.code.to_string());
    }
    serde_json::json!({
        "type": registration.account_type,
        "externalId": id,
        "data": data,
    })
}
