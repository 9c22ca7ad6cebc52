//! The checks on `POST /api/v1/bank/wallet/charge/` (seed 003).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::errors::A55Error;
use super::extras;
use crate::json::RawObject;

/// The payment methods the sandbox knows (A55 documents 11).
pub(crate) const METHODS: [&str; 11] = [
    "credit_card",
    "debit_card",
    "pix",
    "boleto",
    "applepay",
    "googlepay",
    "spei",
    "oxxo",
    "pse",
    "nequi",
    "webpay",
];
const CURRENCIES: [&str; 7] = ["BRL", "MXN", "CLP", "COP", "PEN", "ARS", "USD"];
const CYCLES: [&str; 6] = [
    "weekly",
    "biweekly",
    "monthly",
    "quarterly",
    "semiannually",
    "yearly",
];

/// Card data sent host-to-host.
#[derive(Debug, Clone)]
pub(crate) struct Card {
    pub number: String,
}

/// A charge request that passed validation.
#[derive(Debug, Clone)]
pub(crate) struct ChargeRequest {
    pub wallet_uuid: String,
    pub installment_value: Decimal,
    pub installment_count: u32,
    pub currency: String,
    pub due_date: NaiveDate,
    pub description: String,
    pub type_charge: String,
    pub webhook_url: Option<String>,
    pub capture: bool,
    pub threeds: bool,
    pub card: Option<Card>,
    pub subscription: Option<(String, Option<NaiveDate>)>,
}

fn string(obj: &RawObject, field: &str) -> Result<Option<String>, A55Error> {
    obj.string(field)
        .map(|v| v.filter(|v| !v.trim().is_empty()))
        .map_err(|_| A55Error::invalid(field, format!("{field} must be a string")))
}

fn required(obj: &RawObject, field: &str) -> Result<String, A55Error> {
    string(obj, field)?.ok_or_else(|| A55Error::required(field))
}

fn date(obj: &RawObject, field: &str) -> Result<Option<NaiveDate>, A55Error> {
    string(obj, field)?
        .map(|d| {
            NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map_err(|_| A55Error::invalid(field, format!("{field} must be YYYY-MM-DD")))
        })
        .transpose()
}

fn http_url(obj: &RawObject, field: &str) -> Result<Option<String>, A55Error> {
    let value = string(obj, field)?;
    if let Some(url) = &value
        && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    {
        return Err(A55Error::invalid(
            field,
            format!("{field} must be an http(s) URL"),
        ));
    }
    Ok(value)
}

/// Parses and checks a charge body.
pub(crate) fn charge(body: &[u8]) -> Result<ChargeRequest, A55Error> {
    let obj = RawObject::parse(body)
        .map_err(|e| A55Error::invalid("body", format!("body is not a JSON object: {e}")))?;
    let wallet_uuid = required(&obj, "wallet_uuid")?;
    check_payer(&obj)?;
    let (value, installment_count, currency) = installments(&obj)?;
    let due_date = date(&obj, "due_date")?.ok_or_else(|| A55Error::required("due_date"))?;
    let description = required(&obj, "description")?;
    string(&obj, "reference_external_id")?;
    let type_charge = type_charge(&obj, &currency)?;
    extras::check_address(&obj, "payer_address", true)?;
    extras::check(&obj, &type_charge)?;
    let flag = |field: &str| {
        obj.boolean(field)
            .map_err(|_| A55Error::invalid(field, format!("{field} must be a boolean")))
    };
    let threeds = flag("threeds_authentication")?.unwrap_or(false);
    let card = card(&obj, &type_charge)?;
    if threeds && card.is_some() && !obj.has("device_info") {
        return Err(A55Error::required("device_info"));
    }
    let subscription = subscription(&obj)?;
    Ok(ChargeRequest {
        wallet_uuid,
        installment_value: value,
        installment_count,
        currency,
        due_date,
        description,
        type_charge,
        webhook_url: http_url(&obj, "webhook_url")?,
        capture: flag("capture")?.unwrap_or(true),
        threeds,
        card,
        subscription,
    })
}

/// The merchant and the payer: each required, the email an address.
fn check_payer(obj: &RawObject) -> Result<(), A55Error> {
    for field in [
        "merchant_id",
        "payer_name",
        "payer_email",
        "payer_tax_id",
        "payer_cell_phone",
    ] {
        required(obj, field)?;
    }
    if !required(obj, "payer_email")?.contains('@') {
        return Err(A55Error::invalid(
            "payer_email",
            "payer_email must be an email address",
        ));
    }
    Ok(())
}

/// The installments' value and count, and the currency, whose decimals bound the value.
fn installments(obj: &RawObject) -> Result<(Decimal, u32, String), A55Error> {
    let value = obj
        .decimal("installment_value")
        .map_err(|_| A55Error::invalid("installment_value", "installment_value must be a number"))?
        .ok_or_else(|| A55Error::required("installment_value"))?;
    let count = obj
        .integer("installment_count")
        .map_err(|_| {
            A55Error::invalid("installment_count", "installment_count must be an integer")
        })?
        .ok_or_else(|| A55Error::required("installment_count"))?;
    // The page gives no upper bound (1 for a single payment); none is made up here.
    let installment_count = u32::try_from(count)
        .ok()
        .filter(|c| *c >= 1)
        .ok_or_else(|| {
            A55Error::invalid("installment_count", "installment_count must be 1 or more")
        })?;
    let currency = required(obj, "currency")?;
    if !CURRENCIES.contains(&currency.as_str()) {
        return Err(A55Error::invalid(
            "currency",
            format!("currency must be one of {}", CURRENCIES.join(", ")),
        ));
    }
    let zero_decimals = matches!(currency.as_str(), "CLP" | "COP");
    if value <= Decimal::ZERO || (!zero_decimals && value.normalize().scale() > 2) {
        return Err(A55Error::invalid(
            "installment_value",
            "installment_value must be positive with at most 2 decimals",
        ));
    }
    Ok((value, installment_count, currency))
}

/// The payment method, one the sandbox knows and available in `currency`.
fn type_charge(obj: &RawObject, currency: &str) -> Result<String, A55Error> {
    let type_charge = required(obj, "type_charge")?;
    if !METHODS.contains(&type_charge.as_str()) {
        return Err(A55Error::new(
            axum::http::StatusCode::BAD_REQUEST,
            "INVALID_TYPE_CHARGE",
            "type_charge",
            format!("type_charge must be one of {}", METHODS.join(", ")),
        ));
    }
    if matches!(type_charge.as_str(), "pix" | "boleto") && currency != "BRL" {
        return Err(A55Error::new(
            axum::http::StatusCode::BAD_REQUEST,
            "INVALID_TYPE_CHARGE",
            "type_charge",
            format!("{type_charge} is only available in BRL"),
        ));
    }
    Ok(type_charge)
}

/// The optional subscription: its cycle, one of [`CYCLES`], and its end date.
fn subscription(obj: &RawObject) -> Result<Option<(String, Option<NaiveDate>)>, A55Error> {
    let Some(sub) = obj
        .object("subscription")
        .map_err(|_| A55Error::invalid("subscription", "subscription must be an object"))?
    else {
        return Ok(None);
    };
    let cycle = required(&sub, "cycle")?;
    if !CYCLES.contains(&cycle.as_str()) {
        return Err(A55Error::invalid(
            "subscription.cycle",
            format!("cycle must be one of {}", CYCLES.join(", ")),
        ));
    }
    Ok(Some((cycle, date(&sub, "end_date")?)))
}

fn card(obj: &RawObject, type_charge: &str) -> Result<Option<Card>, A55Error> {
    const FIELDS: [&str; 5] = [
        "card_number",
        "card_name",
        "card_expiry_month",
        "card_expiry_year",
        "card_cvv",
    ];
    if !FIELDS.iter().any(|f| obj.has(f)) {
        return Ok(None);
    }
    if !matches!(type_charge, "credit_card" | "debit_card") {
        return Err(A55Error::invalid(
            "card_number",
            format!("card data is not accepted for {type_charge}"),
        ));
    }
    let digits = |v: &str, lens: std::ops::RangeInclusive<usize>| {
        lens.contains(&v.len()) && v.chars().all(|c| c.is_ascii_digit())
    };
    let number = required(obj, "card_number")?;
    if !digits(&number, 13..=19) {
        return Err(A55Error::invalid(
            "card_number",
            "card_number must be 13 to 19 digits",
        ));
    }
    required(obj, "card_name")?;
    let month = required(obj, "card_expiry_month")?;
    if !digits(&month, 2..=2) || !(1..=12).contains(&month.parse::<u8>().unwrap_or(0)) {
        return Err(A55Error::invalid(
            "card_expiry_month",
            "card_expiry_month must be MM",
        ));
    }
    if !digits(&required(obj, "card_expiry_year")?, 4..=4) {
        return Err(A55Error::invalid(
            "card_expiry_year",
            "card_expiry_year must be YYYY",
        ));
    }
    if !digits(&required(obj, "card_cvv")?, 3..=4) {
        return Err(A55Error::invalid(
            "card_cvv",
            "card_cvv must be 3 or 4 digits",
        ));
    }
    Ok(Some(Card { number }))
}
