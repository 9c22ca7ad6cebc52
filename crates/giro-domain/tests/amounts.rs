//! Amounts written as JSON numbers are read from their text, never through a float (#17): what a
//! JSON number cannot hold exactly, exponent forms, values beyond the range, negative and zero
//! are refused with their code and `amount` named; exact numbers are taken at their value.

mod common;

use common::co_bank_body;
use giro_domain::provider::Catalog;
use giro_domain::{ErrorCode, Rejection, charge, payout};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// `body` rendered with its `"amount":"…"` replaced by the raw JSON token `token`.
fn with_amount(body: &Value, token: &str) -> Vec<u8> {
    let text = body.to_string();
    let old = format!("\"amount\":{}", body["amount"]);
    assert!(text.contains(&old), "{text}");
    text.replacen(&old, &format!("\"amount\":{token}"), 1)
        .into_bytes()
}

fn payout_result(body: &[u8]) -> Result<Decimal, Rejection> {
    let draft = payout::parse_create(body)?;
    let command = draft.into_command(&Catalog::default(), None)?;
    Ok(command.requested.money.amount())
}

fn charge_body(currency: &str, count: u32) -> Value {
    json!({
        "idempotency_key": "charge-1", "provider": "a55", "amount": "150.00",
        "installment_count": count, "currency": currency, "method": "pix",
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "123.456.789-09",
                  "phone": "+5511999999999",
                  "address": {"street": "Av. Paulista", "address_number": "1000",
                              "complement": "Sala 101", "neighborhood": "Bela Vista",
                              "city": "Sao Paulo", "state": "SP", "postal_code": "01310-100"}},
        "due_date": "2026-12-31", "description": "Order 42"
    })
}

fn charge_result(body: &[u8]) -> Result<Decimal, Rejection> {
    Ok(charge::parse_create(body, &Catalog::default())?
        .requested
        .money
        .amount())
}

#[track_caller]
fn refused(result: Result<Decimal, Rejection>, code: ErrorCode, field: &str, what: &str) {
    let r = result.expect_err(what);
    assert_eq!(
        (r.code, r.field.as_deref()),
        (code, Some(field)),
        "{what}: {r}"
    );
    assert!(!r.message.is_empty(), "{what}");
}

/// Refused the same way for payouts and charges.
const EVERYWHERE: [(&str, ErrorCode); 12] = [
    ("5e5", ErrorCode::InvalidField),
    ("5E5", ErrorCode::InvalidField),
    ("5.0e5", ErrorCode::InvalidField),
    ("1e-2", ErrorCode::InvalidField),
    ("-5e5", ErrorCode::InvalidField),
    (
        "1000000000000000000000000000000",
        ErrorCode::AmountOutOfRange,
    ),
    (
        "99999999999999999999999999999999",
        ErrorCode::AmountOutOfRange,
    ),
    ("-500000", ErrorCode::AmountOutOfRange),
    ("-0.5", ErrorCode::AmountOutOfRange),
    ("0", ErrorCode::AmountOutOfRange),
    ("0.00", ErrorCode::AmountOutOfRange),
    (
        "500000.000000000000000001",
        ErrorCode::InvalidAmountPrecision,
    ),
];

#[test]
fn payout_json_number_amounts_are_refused_not_rounded() {
    let body = co_bank_body("k");
    for (token, code) in EVERYWHERE.into_iter().chain([
        ("500000.001", ErrorCode::InvalidAmountPrecision),
        (
            "500000.0000000000000000000000001",
            ErrorCode::InvalidAmountPrecision,
        ),
        ("5000000.01", ErrorCode::AmountOutOfRange),
        ("12345678901234567.5", ErrorCode::AmountOutOfRange),
        // Beyond even an f64: serde_json stops on it, the field is still named.
        (
            &*format!("1{}", "0".repeat(400)),
            ErrorCode::AmountOutOfRange,
        ),
    ]) {
        refused(
            payout_result(&with_amount(&body, token)),
            code,
            "amount",
            token,
        );
    }
}

#[test]
fn payout_exact_json_numbers_are_taken_at_their_value() {
    let body = co_bank_body("k");
    for (token, amount) in [
        ("500000", "500000"),
        ("500000.00", "500000"),
        ("150000.25", "150000.25"),
        ("150000.10", "150000.1"),
        ("5000000", "5000000"),
    ] {
        let got = payout_result(&with_amount(&body, token)).unwrap();
        assert_eq!(got, Decimal::from_str_exact(amount).unwrap(), "{token}");
        assert_eq!(got.to_string(), amount, "{token}");
    }
}

#[test]
fn charge_json_number_amounts_are_refused_not_rounded() {
    let brl = charge_body("BRL", 1);
    for (token, code) in EVERYWHERE.into_iter().chain([
        ("150.001", ErrorCode::InvalidAmountPrecision),
        ("150.000000000000000001", ErrorCode::InvalidAmountPrecision),
        ("1000000000.01", ErrorCode::AmountOutOfRange),
    ]) {
        refused(
            charge_result(&with_amount(&brl, token)),
            code,
            "amount",
            token,
        );
    }
    for currency in ["CLP", "COP"] {
        refused(
            charge_result(&with_amount(&charge_body(currency, 1), "1.5")),
            ErrorCode::InvalidAmountPrecision,
            "amount",
            currency,
        );
    }
    for (token, amount) in [
        ("150.25", "150.25"),
        ("150.10", "150.1"),
        ("500000.00", "500000"),
    ] {
        let got = charge_result(&with_amount(&brl, token)).unwrap();
        assert_eq!(got.to_string(), amount, "{token}");
    }
}

#[test]
fn keys_given_twice_and_inexact_numbers_elsewhere_are_refused() {
    let body = String::from_utf8(with_amount(&co_bank_body("k"), "500000")).unwrap();
    let twice = body.replacen(
        "\"provider\":\"cashy-co\"",
        "\"provider\":\"cashy-co\",\"provider\":\"killb\"",
        1,
    );
    refused(
        payout_result(twice.as_bytes()),
        ErrorCode::InvalidField,
        "provider",
        "provider twice",
    );
    let nested = body.replacen(
        "\"bank_code\":\"001\"",
        "\"bank_code\":\"001\",\"bank_code\":\"002\"",
        1,
    );
    refused(
        payout_result(nested.as_bytes()),
        ErrorCode::InvalidField,
        "beneficiary.bank_code",
        "nested twice",
    );
    let metadata = body.replacen(
        "\"invoice\":\"F-991\"",
        "\"invoice\":\"F-991\",\"lines\":[1,2.000000000000000001]",
        1,
    );
    refused(
        payout_result(metadata.as_bytes()),
        ErrorCode::InvalidField,
        "metadata.lines[1]",
        "inexact metadata number",
    );
    let exponent = body.replacen("\"invoice\":\"F-991\"", "\"invoice\":1e3", 1);
    refused(
        payout_result(exponent.as_bytes()),
        ErrorCode::InvalidField,
        "metadata.invoice",
        "exponent in metadata",
    );
}

/// The string form gets the same codes: what no Decimal holds is refused for what is wrong with
/// it (too large, or too many decimal places), not as malformed.
#[test]
fn string_amounts_beyond_a_decimal_get_the_same_codes() {
    let mut payout_body = co_bank_body("k");
    let mut charge = charge_body("BRL", 1);
    for (text, code) in [
        (
            "99999999999999999999999999999999",
            ErrorCode::AmountOutOfRange,
        ),
        (
            "1000000000000000000000000000000",
            ErrorCode::AmountOutOfRange,
        ),
        (
            "-99999999999999999999999999999999",
            ErrorCode::AmountOutOfRange,
        ),
        (
            "500000.000000000000000000000001",
            ErrorCode::InvalidAmountPrecision,
        ),
        (
            "500000.000000000000000001",
            ErrorCode::InvalidAmountPrecision,
        ),
        ("5e5", ErrorCode::InvalidField),
    ] {
        payout_body["amount"] = json!(text);
        let bytes = payout_body.to_string().into_bytes();
        refused(payout_result(&bytes), code, "amount", text);
        charge["amount"] = json!(text);
        let bytes = charge.to_string().into_bytes();
        refused(charge_result(&bytes), code, "amount", text);
    }
}
