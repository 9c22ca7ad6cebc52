//! Every error code a create command can produce, with the offending field's path.

mod common;

use common::*;
use giro_domain::bank_lists::BankLists;
use giro_domain::payout::parse_create;
use giro_domain::provider::Catalog;
use giro_domain::{ErrorCode, Rejection};
use serde_json::{Value, json};

fn refuse(body: Value) -> Rejection {
    let bytes = body.to_string().into_bytes();
    match parse_create(&bytes) {
        Err(r) => r,
        // As intake does: routed to a provider whose bank list has the bank (none fetched
        // here, so Giro's built-in list).
        Ok(draft) => draft
            .into_command_with_banks(&Catalog::default(), None, Some(&BankLists::default()))
            .expect_err("should be refused"),
    }
}

fn with(path: &[&str], value: Value) -> Value {
    let mut body = co_bank_body("k");
    let mut at = &mut body;
    for p in &path[..path.len() - 1] {
        at = at.get_mut(*p).unwrap();
    }
    let last = path[path.len() - 1];
    if value.is_null() {
        at.as_object_mut().unwrap().remove(last);
    } else {
        at[last] = value;
    }
    body
}

fn assert_refused(body: Value, code: ErrorCode, field: Option<&str>) {
    let r = refuse(body);
    assert_eq!((r.code, r.field.as_deref()), (code, field), "{r}");
}

#[test]
fn a_valid_body_is_accepted_and_amounts_may_be_numbers() {
    let ok = parse_create(co_bank_body("k").to_string().as_bytes()).unwrap();
    let as_number = parse_create(with(&["amount"], json!(500000)).to_string().as_bytes()).unwrap();
    assert_eq!(ok.money, as_number.money);
}

#[test]
fn malformed_json_and_wrong_shapes() {
    for bad in [
        &b"{"[..],
        b"",
        b"null",
        b"[]",
        b"\"x\"",
        b"{\"a\":}",
        &[0xff, 0xfe][..],
    ] {
        assert_eq!(parse_create(bad).unwrap_err().code, ErrorCode::InvalidJson);
    }
}

#[test]
fn missing_fields_name_their_path() {
    assert_refused(
        with(&["amount"], Value::Null),
        ErrorCode::MissingField,
        Some("amount"),
    );
    assert_refused(
        with(&["idempotency_key"], Value::Null),
        ErrorCode::MissingField,
        Some("idempotency_key"),
    );
    assert_refused(
        with(&["beneficiary"], Value::Null),
        ErrorCode::MissingField,
        Some("beneficiary"),
    );
    assert_refused(
        with(&["beneficiary", "bank_code"], Value::Null),
        ErrorCode::MissingField,
        Some("beneficiary.bank_code"),
    );
    assert_refused(
        with(&["beneficiary", "document", "number"], Value::Null),
        ErrorCode::MissingField,
        Some("beneficiary.document.number"),
    );
    assert_refused(
        with(&["beneficiary", "rail"], Value::Null),
        ErrorCode::MissingField,
        Some("beneficiary.rail"),
    );
    assert_refused(
        with(&["beneficiary", "last_name"], Value::Null),
        ErrorCode::MissingField,
        Some("beneficiary.last_name"),
    );
}

#[test]
fn wrong_types_and_unknown_fields_are_invalid_fields() {
    assert_refused(
        with(&["amount"], json!(true)),
        ErrorCode::InvalidField,
        Some("amount"),
    );
    assert_refused(
        with(&["amount"], json!("1e5")),
        ErrorCode::InvalidField,
        Some("amount"),
    );
    assert_refused(
        with(&["currency"], json!(5)),
        ErrorCode::InvalidField,
        Some("currency"),
    );
    assert_refused(
        with(&["beneficiary", "account_type"], json!("current")),
        ErrorCode::InvalidField,
        Some("beneficiary.account_type"),
    );
    assert_refused(
        with(&["beneficiary", "rail"], json!("moon")),
        ErrorCode::InvalidField,
        Some("beneficiary.rail"),
    );
    assert_refused(
        with(&["beneficiary", "acount_number"], json!("1")),
        ErrorCode::InvalidField,
        Some("beneficiary.acount_number"),
    );
    assert_refused(
        with(&["surprise"], json!(1)),
        ErrorCode::InvalidField,
        Some("surprise"),
    );
    assert_refused(
        with(&["idempotency_key"], json!("has spaces")),
        ErrorCode::InvalidField,
        Some("idempotency_key"),
    );
    assert_refused(
        with(&["metadata"], json!({"blob": "x".repeat(5000)})),
        ErrorCode::InvalidField,
        Some("metadata"),
    );
    assert_refused(
        with(&["metadata"], json!([1])),
        ErrorCode::InvalidField,
        Some("metadata"),
    );
}

#[test]
fn currencies_amounts_and_precision() {
    assert_refused(
        with(&["currency"], json!("EUR")),
        ErrorCode::UnsupportedCurrency,
        Some("currency"),
    );
    assert_refused(
        with(&["amount"], json!("9999")),
        ErrorCode::AmountOutOfRange,
        Some("amount"),
    );
    assert_refused(
        with(&["amount"], json!("5000000.01")),
        ErrorCode::AmountOutOfRange,
        Some("amount"),
    );
    assert_refused(
        with(&["amount"], json!("-5")),
        ErrorCode::AmountOutOfRange,
        Some("amount"),
    );
    assert_refused(
        with(&["amount"], json!("0")),
        ErrorCode::AmountOutOfRange,
        Some("amount"),
    );
    assert_refused(
        with(&["amount"], json!("10000.005")),
        ErrorCode::InvalidAmountPrecision,
        Some("amount"),
    );
    // Tanzania at Cashy: whole shillings only.
    let tz = json!({
        "idempotency_key": "tz", "amount": "1500.50", "currency": "TZS",
        "beneficiary": {"rail": "tz_mobile", "name": "Juma Hamisi", "msisdn": "255712345678", "operator": "tigo"}
    });
    assert_refused(tz, ErrorCode::InvalidAmountPrecision, Some("amount"));
}

#[test]
fn beneficiary_rules() {
    assert_refused(
        with(&["beneficiary", "bank_code"], json!("999")),
        ErrorCode::InvalidBeneficiary,
        Some("beneficiary.bank_code"),
    );
    for malformed in ["07", "00007", "0a7"] {
        let r = parse_create(
            with(&["beneficiary", "bank_code"], json!(malformed))
                .to_string()
                .as_bytes(),
        )
        .expect_err("the shape is the rail's rule, checked without any list");
        assert_eq!(
            (r.code, r.field.as_deref()),
            (ErrorCode::InvalidBeneficiary, Some("beneficiary.bank_code")),
            "{malformed}: {r}"
        );
    }
    assert_refused(
        with(&["beneficiary", "email"], json!("maria-at-example")),
        ErrorCode::InvalidBeneficiary,
        Some("beneficiary.email"),
    );
    assert_refused(
        with(&["beneficiary", "phone"], json!("12")),
        ErrorCode::InvalidBeneficiary,
        Some("beneficiary.phone"),
    );
    assert_refused(
        with(&["beneficiary", "account_number"], json!("12ab")),
        ErrorCode::InvalidBeneficiary,
        Some("beneficiary.account_number"),
    );
    assert_refused(
        with(&["beneficiary", "document", "type"], json!("NUIP")),
        ErrorCode::InvalidBeneficiary,
        Some("beneficiary.document.type"),
    );
    assert_refused(
        with(
            &["beneficiary", "first_name"],
            json!("Maria Fernanda Alejandra De Los Santos"),
        ),
        ErrorCode::InvalidBeneficiary,
        Some("beneficiary"),
    );
}

#[test]
fn providers_and_routes() {
    assert_refused(
        with(&["provider"], json!("paypal")),
        ErrorCode::UnknownProvider,
        Some("provider"),
    );
    assert_refused(
        with(&["provider"], json!("Not An Id")),
        ErrorCode::UnknownProvider,
        Some("provider"),
    );
    assert_refused(
        with(&["provider"], json!("cashy-tz")),
        ErrorCode::NoRoute,
        None,
    );
    let mut no_provider = co_bank_body("k");
    no_provider.as_object_mut().unwrap().remove("provider");
    no_provider["currency"] = json!("USD");
    no_provider["amount"] = json!("100");
    assert_refused(no_provider, ErrorCode::NoRoute, None);
}

#[test]
fn routing_without_a_provider_picks_the_first_matching_rule() {
    let mut body = co_bank_body("k");
    body.as_object_mut().unwrap().remove("provider");
    let cmd = parse_create(body.to_string().as_bytes())
        .unwrap()
        .into_command(&Catalog::default(), None)
        .unwrap();
    assert_eq!(cmd.requested.provider.as_str(), "cashy-co");
}

#[test]
fn fingerprint_ignores_key_order_and_number_vs_string_amounts() {
    let a = parse_create(co_bank_body("k").to_string().as_bytes()).unwrap();
    let reordered = r#"{"currency":"COP","amount":500000,"idempotency_key":"k","provider":"cashy-co",
        "external_id":"payout-2024-001","metadata":{"invoice":"F-991"},
        "beneficiary":{"account_type":"savings","account_number":"123456789","bank_code":"001",
        "document":{"number":"12345678","type":"CC"},"phone":"3001234567","email":"maria@example.com",
        "last_name":"Garcia","first_name":"Maria","rail":"co_bank"}}"#;
    let b = parse_create(reordered.as_bytes()).unwrap();
    assert_eq!(a.fingerprint, b.fingerprint);
    let c = parse_create(with(&["amount"], json!("500001")).to_string().as_bytes()).unwrap();
    assert_ne!(a.fingerprint, c.fingerprint);
}
