//! KillB's checks on `POST /api/v2/accounts` and `PATCH /api/v2/accounts/{id}`: the holder, the
//! document, and per type the bank code, CLABE, routing number, phone or wallet address.

use super::banks::is_bank_code;
use super::checks::{is_aba, is_clabe, is_evm_address, is_solana_address, is_tron_address};
use super::errors::KillbError;
use super::validate::{DOCUMENT_TYPES, required, wrong};
use crate::json::RawObject;

/// The account types of seed 002.
pub(crate) const TYPES: [&str; 6] = ["PSE", "SPEI", "ACH", "WIRE", "TRANSFIYA", "WALLET"];
const CLABE_TYPES: [&str; 3] = ["CLABE", "DEBIT_CARD", "PHONE_NUMBER"];
const WALLET_CURRENCIES: [&str; 2] = ["USDC", "USDT"];
const NETWORKS: [&str; 6] = ["POLYGON", "SOLANA", "ETHEREUM", "ARBITRUM", "TRON", "BSC"];
const D: &str = "data.";

/// An account body that passed validation.
#[derive(Debug)]
pub(crate) struct AccountRequest {
    pub kind: String,
    pub user_id: String,
    pub external_id: String,
    pub data: serde_json::Value,
    /// Account number, CLABE, phone or address: what the scenario and the filters read.
    pub key: String,
}

fn bad(field: &str, message: impl std::fmt::Display) -> KillbError {
    KillbError::invalid(format!("{D}{field}"), format!("{D}{field} {message}"))
}

fn parse(body: &[u8]) -> Result<RawObject, KillbError> {
    RawObject::parse(body)
        .map_err(|e| KillbError::invalid("body", format!("Request body is not a JSON object: {e}")))
}

/// Parses and checks a create body.
pub(crate) fn account(body: &[u8]) -> Result<AccountRequest, KillbError> {
    let obj = parse(body)?;
    let kind = required(&obj, "", "type")?;
    if !TYPES.contains(&kind.as_str()) {
        return Err(KillbError::invalid(
            "type",
            format!("type must be one of {}", TYPES.join(", ")),
        ));
    }
    // Seed 002: every account is linked to a user, and every example sends `userId`.
    let user_id = required(&obj, "", "userId")?;
    let external_id = required(&obj, "", "externalId")?;
    let data = obj
        .object("data")
        .map_err(wrong(""))?
        .ok_or_else(|| KillbError::invalid("data", "data should not be empty"))?;
    let key = check_data(&kind, &data)?;
    let data = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|mut v| v.get_mut("data").map(serde_json::Value::take))
        .unwrap_or_default();
    Ok(AccountRequest {
        kind,
        user_id,
        external_id,
        data,
        key,
    })
}

/// Checks `data` for an account of `kind`; returns the account's key number.
pub(crate) fn check_data(kind: &str, data: &RawObject) -> Result<String, KillbError> {
    holder(kind, data)?;
    match kind {
        "PSE" => pse(data),
        "SPEI" => spei(data),
        "ACH" | "WIRE" => us_bank(data),
        "TRANSFIYA" => transfiya_phone(data),
        _ => wallet(data),
    }
}

/// The country an account of `kind` must be in, if fixed.
fn country_of(kind: &str) -> Option<&'static str> {
    match kind {
        "PSE" | "TRANSFIYA" => Some("CO"),
        "SPEI" => Some("MX"),
        "ACH" => Some("US"),
        _ => None,
    }
}

fn is_country(code: &str) -> bool {
    code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase())
}

/// The holder: name, email, phone, country and identity document.
fn holder(kind: &str, data: &RawObject) -> Result<(), KillbError> {
    let first = data.string("firstName").map_err(wrong(D))?;
    let company = data.string("companyName").map_err(wrong(D))?;
    let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    if !has(&first) && !has(&company) {
        return Err(bad("firstName", "or data.companyName should not be empty"));
    }
    if has(&first) {
        required(data, D, "lastName")?;
    }
    let email = required(data, D, "email")?;
    let parts: Vec<&str> = email.split('@').collect();
    if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) || !parts[1].contains('.') {
        return Err(bad("email", "must be an email"));
    }
    let phone = required(data, D, "phone")?;
    let national = phone.strip_prefix('+').unwrap_or(&phone);
    if !national.chars().all(|c| c.is_ascii_digit()) || !(7..=15).contains(&national.len()) {
        return Err(bad("phone", "must be a phone number"));
    }
    let country = required(data, D, "countryCode")?;
    match country_of(kind) {
        Some(fixed) if country != fixed => {
            return Err(bad("countryCode", format!("must be {fixed} for {kind}")));
        }
        _ if !is_country(&country) => {
            return Err(bad("countryCode", "must be an ISO 3166-1 alpha-2 code"));
        }
        _ => {}
    }
    let document = data
        .object("document")
        .map_err(wrong(D))?
        .ok_or_else(|| bad("document", "should not be empty"))?;
    let prefix = format!("{D}document.");
    let doc_type = required(&document, &prefix, "type")?;
    if kind == "PSE" && !DOCUMENT_TYPES.contains(&doc_type.as_str()) {
        return Err(bad(
            "document.type",
            format!("must be one of {}", DOCUMENT_TYPES.join(", ")),
        ));
    }
    required(&document, &prefix, "number")?;
    let issued = document
        .string("issuedCountryCode")
        .map_err(wrong(&prefix))?;
    if issued.as_deref().is_some_and(|c| !is_country(c)) {
        return Err(bad(
            "document.issuedCountryCode",
            "must be an ISO 3166-1 alpha-2 code",
        ));
    }
    Ok(())
}

fn account_number(data: &RawObject, max: usize) -> Result<String, KillbError> {
    let number = required(data, D, "accountNumber")?;
    if !number.chars().all(|c| c.is_ascii_digit()) || !(4..=max).contains(&number.len()) {
        return Err(bad("accountNumber", format!("must be 4 to {max} digits")));
    }
    Ok(number)
}

fn bank_type(data: &RawObject) -> Result<(), KillbError> {
    let kind = required(data, D, "type")?;
    if kind != "savings" && kind != "checking" {
        return Err(bad("type", "must be savings or checking"));
    }
    Ok(())
}

/// PSE: account number, a bank code of the bank list (the seed's zero-padded `0001` form too).
fn pse(data: &RawObject) -> Result<String, KillbError> {
    let number = account_number(data, 20)?;
    let bank = required(data, D, "bankCode")?;
    let listed = is_bank_code(&bank)
        || (bank.len() == 4 && bank.starts_with('0') && is_bank_code(&bank[1..]));
    if !listed {
        return Err(bad(
            "bankCode",
            format!("{bank} is not in GET /api/v2/banks?countryCode=CO"),
        ));
    }
    bank_type(data)?;
    Ok(number)
}

/// SPEI: a CLABE with its check digit, a 16-digit debit card or a 10-digit phone.
fn spei(data: &RawObject) -> Result<String, KillbError> {
    let clabe = required(data, D, "clabe")?;
    let clabe_type = data
        .string("clabeType")
        .map_err(wrong(D))?
        .unwrap_or_else(|| "CLABE".to_owned());
    let digits = clabe.chars().all(|c| c.is_ascii_digit());
    let fits = match clabe_type.as_str() {
        "CLABE" => is_clabe(&clabe),
        "DEBIT_CARD" => digits && clabe.len() == 16,
        "PHONE_NUMBER" => digits && clabe.len() == 10,
        _ => {
            return Err(bad(
                "clabeType",
                format!("must be one of {}", CLABE_TYPES.join(", ")),
            ));
        }
    };
    if !fits {
        let rule = match clabe_type.as_str() {
            "CLABE" => "must be 18 digits with a valid check digit",
            "DEBIT_CARD" => "must be 16 digits for DEBIT_CARD",
            _ => "must be 10 digits for PHONE_NUMBER",
        };
        return Err(bad("clabe", rule));
    }
    Ok(clabe)
}

/// ACH and WIRE: bank name, an ABA routing number with a valid checksum, account number, type.
fn us_bank(data: &RawObject) -> Result<String, KillbError> {
    required(data, D, "bankName")?;
    let routing = required(data, D, "routingNumber")?;
    if !is_aba(&routing) {
        return Err(bad(
            "routingNumber",
            "must be a 9-digit ABA routing number with a valid checksum",
        ));
    }
    let number = account_number(data, 17)?;
    bank_type(data)?;
    Ok(number)
}

/// TRANSFIYA: a Colombian mobile number, `3` + 9 digits, optionally after `+57`/`57`.
fn transfiya_phone(data: &RawObject) -> Result<String, KillbError> {
    let phone = required(data, D, "phone")?;
    let bare = phone.strip_prefix('+').unwrap_or(&phone);
    let national = if bare.len() == 12 {
        bare.strip_prefix("57").unwrap_or(bare)
    } else {
        bare
    };
    if national.len() != 10
        || !national.starts_with('3')
        || !national.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad(
            "phone",
            "must be a Colombian mobile number (+57 3XXXXXXXXX)",
        ));
    }
    Ok(phone)
}

/// WALLET: USDC/USDT on a supported network, an address valid for that network.
fn wallet(data: &RawObject) -> Result<String, KillbError> {
    let currency = required(data, D, "currency")?;
    if !WALLET_CURRENCIES.contains(&currency.as_str()) {
        return Err(bad("currency", "must be USDC or USDT"));
    }
    let network = required(data, D, "network")?;
    if !NETWORKS.contains(&network.as_str()) {
        return Err(bad(
            "network",
            format!("must be one of {}", NETWORKS.join(", ")),
        ));
    }
    let address = required(data, D, "address")?;
    let (valid, rule) = match network.as_str() {
        "TRON" => (is_tron_address(&address), "a base58check Tron address (T…)"),
        "SOLANA" => (
            is_solana_address(&address),
            "a base58 Solana address of 32 bytes",
        ),
        _ => (
            is_evm_address(&address),
            "0x + 40 hex digits with a valid EIP-55 checksum when mixed case",
        ),
    };
    if !valid {
        return Err(bad("address", format!("must be {rule} for {network}")));
    }
    Ok(address)
}
