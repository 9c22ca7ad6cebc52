//! KillB's JSON (v2 API), exactly as it is sent and received, and the conversions between it and
//! Giro's domain. The webhook ingress reuses [`WebhookEnvelope`] and [`Payout::report`].

use std::fmt;

use chrono::{DateTime, Utc};
use giro_domain::Pii;
use giro_domain::co_banks;
use giro_domain::payout::{PayoutRequested, ProviderReport, ReportSource};
use giro_domain::rail::{AliasType, CoAccountType, Document, PayoutBeneficiary};
use giro_domain::secret::{MaskStyle, mask};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::status::KillbStatus;
use crate::http::mask_text;
use crate::json;
use crate::report::report_id;

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

/// The answer to login and refresh. `expiresIn` is in **milliseconds**. Its `Debug` masks both
/// tokens.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub expires_in: Option<Decimal>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"***")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .finish()
    }
}

/// `POST /api/v2/payouts`. Its `Debug` masks the beneficiary's personal data.
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
#[derive(Serialize)]
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
#[derive(Serialize)]
pub struct DocumentOut<'a> {
    #[serde(rename = "type")]
    pub doc_type: String,
    pub number: &'a str,
}

/// A Colombian bank account (PSE).
#[derive(Serialize)]
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
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrebAccount<'a> {
    #[serde(flatten)]
    pub holder: Holder<'a>,
    pub alias_type: AliasType,
    pub alias: &'a str,
    pub country_code: &'static str,
}

impl fmt::Debug for Holder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |n: Option<&str>| n.map(|n| mask(n, MaskStyle::Initials));
        f.debug_struct("Holder")
            .field("first_name", &name(self.first_name))
            .field("last_name", &name(self.last_name))
            .field("company_name", &name(self.company_name))
            .field("email", &mask(self.email, MaskStyle::Email))
            .field("phone", &mask(self.phone, MaskStyle::LastFour))
            .field("document", &self.document)
            .finish()
    }
}

impl fmt::Debug for DocumentOut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentOut")
            .field("doc_type", &self.doc_type)
            .field("number", &mask(self.number, MaskStyle::LastFour))
            .finish()
    }
}

impl fmt::Debug for PseAccount<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PseAccount")
            .field("holder", &self.holder)
            .field(
                "account_number",
                &mask(self.account_number, MaskStyle::LastFour),
            )
            .field("bank_code", &self.bank_code)
            .field("account_type", &self.account_type)
            .field("country_code", &self.country_code)
            .finish()
    }
}

impl fmt::Debug for BrebAccount<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let style = if self.alias.contains('@') {
            MaskStyle::Email
        } else {
            MaskStyle::LastFour
        };
        f.debug_struct("BrebAccount")
            .field("holder", &self.holder)
            .field("alias_type", &self.alias_type)
            .field("alias", &mask(self.alias, style))
            .field("country_code", &self.country_code)
            .finish()
    }
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

/// One `{key, value}` of `arguments`. The value may echo the request: its `Debug` is masked.
#[derive(Deserialize)]
pub struct Argument {
    pub key: String,
    #[serde(default)]
    pub value: serde_json::Value,
}

impl fmt::Debug for Argument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Argument")
            .field("key", &self.key)
            .field("value", &mask_text(&self.value.to_string()))
            .finish()
    }
}

/// A webhook as KillB posts it: `{id, event: "PAYOUT", action: CREATE|UPDATE|DELETE, data,
/// createdAt, updatedAt, attempts}`. `data` is kept raw until the event says what it is; an
/// ACCOUNT's carries the holder's details, so `Debug` shows only its length.
#[derive(Deserialize)]
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

impl fmt::Debug for WebhookEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookEnvelope")
            .field("id", &self.id)
            .field("event", &self.event)
            .field("action", &self.action)
            .field("data", &format_args!("<{} bytes>", self.data.get().len()))
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("attempts", &self.attempts)
            .finish()
    }
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
    // KillB writes the passport as PASSPORT (Giro, like Cashy, also takes PA).
    if let Some(doc_type) = data.pointer_mut("/document/type")
        && doc_type
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("PA"))
    {
        *doc_type = serde_json::Value::String("PASSPORT".to_string());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_bodies_use_killbs_names() {
        let body = serde_json::json!({"idempotency_key": "b-pa", "type": "PSE", "data": {
            "first_name": "Juan", "last_name": "Garcia", "email": "juan@example.com",
            "phone": "+573001234567", "country_code": "CO", "account_number": "1234567890",
            "bank_code": "0001", "account_type": "savings",
            "document": {"type": "PA", "number": "AB123456", "issued_country_code": "CO"}}});
        let Ok(giro_domain::beneficiary::BeneficiaryCommand::Register { id, registration }) =
            giro_domain::beneficiary::parse_register(body.to_string().as_bytes())
        else {
            panic!("a valid registration");
        };
        let sent = account_body(&id.to_string(), &registration);
        assert_eq!(sent["type"], "PSE");
        assert_eq!(sent["externalId"], id.to_string());
        assert_eq!(sent["data"]["document"]["type"], "PASSPORT");
        assert_eq!(sent["data"]["accountNumber"], "1234567890");
        assert_eq!(sent["data"]["type"], "savings");
        assert_eq!(sent["data"]["firstName"], "Juan");
    }

    const RAW: [&str; 9] = [
        "Wilhelmina",
        "Quintero",
        "wilhelmina.q@example.org",
        "3157654321",
        "8001234567",
        "40087654321",
        "breb-alias-998877",
        "kb_at_secret",
        "kb_rt_secret",
    ];

    fn holder() -> Holder<'static> {
        Holder {
            first_name: Some("Wilhelmina"),
            last_name: Some("Quintero"),
            company_name: None,
            email: "wilhelmina.q@example.org",
            phone: "3157654321",
            document: DocumentOut {
                doc_type: "CC".into(),
                number: "8001234567",
            },
        }
    }

    fn assert_masked(debug: &str) {
        for raw in RAW {
            assert!(!debug.contains(raw), "{raw} in {debug}");
        }
    }

    #[test]
    fn payout_requests_debug_masked() {
        let pse = CreatePayout {
            pre_fund_account_id: "prefund-cop-001",
            amount: Decimal::new(500_000, 0),
            external_id: "G0abc01",
            beneficiary: Beneficiary::Pse(PseAccount {
                holder: holder(),
                account_number: "40087654321",
                bank_code: "007",
                account_type: "savings",
                country_code: "CO",
            }),
        };
        let debug = format!("{pse:?} {pse:#?}");
        assert_masked(&debug);
        for shown in [
            "****4321",
            "w***@example.org",
            "W***",
            "Q***",
            "****4567",
            "G0abc01",
        ] {
            assert!(debug.contains(shown), "{shown} not in {debug}");
        }
        let breb = CreatePayout {
            pre_fund_account_id: "prefund-cop-001",
            amount: Decimal::new(500_000, 0),
            external_id: "G0abc02",
            beneficiary: Beneficiary::Breb(BrebAccount {
                holder: Holder {
                    company_name: Some("Quintero Wilhelmina SAS"),
                    ..holder()
                },
                alias_type: AliasType::Phone,
                alias: "breb-alias-998877",
                country_code: "CO",
            }),
        };
        assert_masked(&format!("{breb:?}"));
    }

    #[test]
    fn tokens_and_echoes_debug_masked() {
        let tokens: TokenResponse = serde_json::from_str(
            r#"{"accessToken":"kb_at_secret","expiresIn":900000,"refreshToken":"kb_rt_secret"}"#,
        )
        .unwrap();
        let debug = format!("{tokens:?}");
        assert_masked(&debug);
        assert!(debug.contains("900000"), "{debug}");
        let error: ErrorBody = serde_json::from_str(
            r#"{"errorCode":"X","arguments":[{"key":"accountNumber","value":"40087654321"},
                {"key":"email","value":"wilhelmina.q@example.org"}]}"#,
        )
        .unwrap();
        assert_masked(&format!("{error:?}"));
        let hook = WebhookEnvelope::parse(
            br#"{"id":"e1","event":"ACCOUNT","data":{"id":"a1","status":"ACTIVE",
                "firstName":"Wilhelmina","lastName":"Quintero","accountNumber":"40087654321"}}"#,
        )
        .unwrap();
        assert_masked(&format!("{hook:?}"));
    }
}
