//! `POST /api/v2/payouts`: the request built from a `payout.requested`, with the beneficiary in
//! KillB's words and every personal field masked in `Debug`, and why a payout cannot be sent.

use std::fmt;

use giro_domain::payout::PayoutRequested;
use giro_domain::rail::{AliasType, CoAccountType, Document, PayoutBeneficiary};
use giro_domain::secret::{MaskStyle, mask};
use giro_domain::{Pii, co_banks};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::json;

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
    pub bank_code: &'a str,
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
    /// Why the body cannot be sent when its PSE `bankCode` is not one `known` accepts (KillB's
    /// list from `GET /api/v2/banks`).
    pub fn unknown_bank(&self, known: impl Fn(&str) -> bool) -> Option<Unsupported> {
        match &self.beneficiary {
            Beneficiary::Pse(a) if !known(a.bank_code) => Some(Unsupported {
                field: "beneficiary.bank_code",
                message: format!(
                    "{:?} is not in KillB's bank list (GET /api/v2/banks)",
                    a.bank_code
                ),
            }),
            _ => None,
        }
    }

    /// The body for `request`, paid from `pre_fund_account_id`, under `handle` as `externalId`.
    pub fn new(
        pre_fund_account_id: &'a str,
        handle: &'a str,
        request: &'a PayoutRequested,
    ) -> Result<Self, Unsupported> {
        let beneficiary = match &request.beneficiary {
            PayoutBeneficiary::CoBank(a) => Beneficiary::Pse(PseAccount {
                holder: holder(
                    &a.first_name,
                    &a.last_name,
                    &a.company_name,
                    &a.email,
                    &a.phone,
                    &a.document,
                ),
                account_number: a.account_number.expose(),
                bank_code: co_banks::ach_code(&a.bank_code),
                account_type: match a.account_type {
                    CoAccountType::Savings => "savings",
                    CoAccountType::Checking => "checking",
                },
                country_code: "CO",
            }),
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
