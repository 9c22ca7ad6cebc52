//! KillB's checks on `POST /api/v2/payouts`: required fields, PSE and BREB beneficiaries.

use rust_decimal::Decimal;

use super::banks::is_bank_code;
use super::errors::KillbError;
use crate::json::{RawObject, WrongType};

/// A payout request that passed validation.
#[derive(Debug)]
pub(crate) struct PayoutRequest {
    pub pre_fund_account_id: String,
    pub amount: Decimal,
    pub external_id: String,
    pub beneficiary: serde_json::Value,
}

pub(super) const DOCUMENT_TYPES: [&str; 9] = [
    "CC", "CE", "NIT", "NUIP", "PASSPORT", "TI", "PPT", "PEP", "RC",
];
const ALIAS_TYPES: [&str; 5] = [
    "NATIONAL_ID",
    "PHONE",
    "EMAIL",
    "ALPHANUMERIC",
    "BUSINESS_ID",
];

pub(super) fn wrong(prefix: &str) -> impl Fn(WrongType) -> KillbError + '_ {
    move |WrongType(field)| {
        KillbError::invalid(
            format!("{prefix}{field}"),
            format!("{prefix}{field} has the wrong type"),
        )
    }
}

pub(super) fn required(obj: &RawObject, prefix: &str, field: &str) -> Result<String, KillbError> {
    let value = obj
        .string(field)
        .map_err(wrong(prefix))?
        .unwrap_or_default();
    if value.trim().is_empty() {
        return Err(KillbError::invalid(
            format!("{prefix}{field}"),
            format!("{prefix}{field} should not be empty"),
        ));
    }
    Ok(value)
}

/// Parses and checks a payout body.
pub(crate) fn payout(body: &[u8]) -> Result<PayoutRequest, KillbError> {
    let obj = RawObject::parse(body).map_err(|e| {
        KillbError::invalid("body", format!("Request body is not a JSON object: {e}"))
    })?;
    let pre_fund_account_id = required(&obj, "", "preFundAccountId")?;
    let external_id = required(&obj, "", "externalId")?;
    let amount = obj
        .decimal("amount")
        .map_err(wrong(""))?
        .ok_or_else(|| KillbError::invalid("amount", "amount should not be empty"))?;
    if amount <= Decimal::ZERO || amount.normalize().scale() > 2 {
        return Err(KillbError::invalid(
            "amount",
            "amount must be a positive number with at most 2 decimals",
        ));
    }
    let beneficiary = obj
        .object("beneficiary")
        .map_err(wrong(""))?
        .ok_or_else(|| KillbError::invalid("beneficiary", "beneficiary should not be empty"))?;
    let kind = required(&beneficiary, "beneficiary.", "type")?;
    let account = beneficiary
        .object("account")
        .map_err(wrong("beneficiary."))?
        .ok_or_else(|| {
            KillbError::invalid(
                "beneficiary.account",
                "beneficiary.account should not be empty",
            )
        })?;
    match kind.as_str() {
        "PSE" | "BANK" | "ACH_CO" => bank_account(&account)?,
        "BREB" => alias(&account)?,
        other => {
            return Err(KillbError::invalid(
                "beneficiary.type",
                format!("beneficiary.type {other} must be one of PSE, BANK, ACH_CO, BREB"),
            ));
        }
    }
    let beneficiary = serde_json::from_slice(body)
        .ok()
        .and_then(|mut v: serde_json::Value| v.get_mut("beneficiary").map(serde_json::Value::take))
        .unwrap_or_default();
    Ok(PayoutRequest {
        pre_fund_account_id,
        amount,
        external_id,
        beneficiary,
    })
}

const P: &str = "beneficiary.account.";

fn person(account: &RawObject) -> Result<(), KillbError> {
    let first = account.string("firstName").map_err(wrong(P))?;
    let company = account.string("companyName").map_err(wrong(P))?;
    let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    if !has(&first) && !has(&company) {
        return Err(KillbError::invalid(
            format!("{P}firstName"),
            format!("{P}firstName or {P}companyName should not be empty"),
        ));
    }
    if has(&first) {
        required(account, P, "lastName")?;
    }
    let email = required(account, P, "email")?;
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(KillbError::invalid(
            format!("{P}email"),
            format!("{P}email must be an email"),
        ));
    }
    let phone = required(account, P, "phone")?;
    if !phone
        .trim_start_matches('+')
        .chars()
        .all(|c| c.is_ascii_digit())
        || phone.len() < 7
    {
        return Err(KillbError::invalid(
            format!("{P}phone"),
            format!("{P}phone must be a phone number"),
        ));
    }
    let document = account
        .object("document")
        .map_err(wrong(P))?
        .ok_or_else(|| {
            KillbError::invalid(
                format!("{P}document"),
                format!("{P}document should not be empty"),
            )
        })?;
    let prefix = format!("{P}document.");
    let doc_type = required(&document, &prefix, "type")?;
    if !DOCUMENT_TYPES.contains(&doc_type.as_str()) {
        return Err(KillbError::invalid(
            format!("{prefix}type"),
            format!("{prefix}type must be one of {}", DOCUMENT_TYPES.join(", ")),
        ));
    }
    required(&document, &prefix, "number")?;
    let country = required(account, P, "countryCode")?;
    if country != "CO" {
        return Err(KillbError::invalid(
            format!("{P}countryCode"),
            format!("{P}countryCode must be CO"),
        ));
    }
    Ok(())
}

fn bank_account(account: &RawObject) -> Result<(), KillbError> {
    person(account)?;
    let number = required(account, P, "accountNumber")?;
    if !number.chars().all(|c| c.is_ascii_digit()) || number.len() > 20 {
        return Err(KillbError::invalid(
            format!("{P}accountNumber"),
            format!("{P}accountNumber must be up to 20 digits"),
        ));
    }
    let bank = required(account, P, "bankCode")?;
    if !is_bank_code(&bank) {
        return Err(KillbError::invalid(
            format!("{P}bankCode"),
            format!("{P}bankCode {bank} is not in GET /api/v2/banks?countryCode=CO"),
        ));
    }
    let kind = required(account, P, "type")?;
    if kind != "savings" && kind != "checking" {
        return Err(KillbError::invalid(
            format!("{P}type"),
            format!("{P}type must be savings or checking"),
        ));
    }
    Ok(())
}

fn alias(account: &RawObject) -> Result<(), KillbError> {
    person(account)?;
    let alias_type = required(account, P, "aliasType")?;
    if !ALIAS_TYPES.contains(&alias_type.as_str()) {
        return Err(KillbError::invalid(
            format!("{P}aliasType"),
            format!("{P}aliasType must be one of {}", ALIAS_TYPES.join(", ")),
        ));
    }
    let alias = required(account, P, "alias")?;
    let digits = alias.chars().all(|c| c.is_ascii_digit());
    let fits = match alias_type.as_str() {
        "PHONE" => digits && alias.len() == 10,
        "EMAIL" => alias.contains('@'),
        "NATIONAL_ID" | "BUSINESS_ID" => digits && (5..=15).contains(&alias.len()),
        _ => alias.chars().all(|c| c.is_ascii_alphanumeric()) && alias.len() <= 32,
    };
    if !fits {
        return Err(KillbError::invalid(
            format!("{P}alias"),
            format!("{P}alias is not a valid {alias_type} alias"),
        ));
    }
    Ok(())
}
