//! The optional parts of `giro.cmd.charge.create` (seed 003): `is_async`, `shipping_address`,
//! `antifraud_info`, `threeds_authentication`, `device_info` and a wallet's payment token; the
//! payment methods; and `installment_count` without an upper bound.

use giro_domain::charge::{SalesChannel, parse_create};
use giro_domain::provider::Catalog;
use giro_domain::{ErrorCode, Rejection};
use serde_json::{Value, json};

fn body() -> Value {
    json!({
        "idempotency_key": "fields-1", "provider": "a55", "amount": "480.00", "installment_count": 3,
        "currency": "BRL", "method": "credit_card",
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "123.456.789-09",
                  "phone": "+5511999999999",
                  "address": {"street": "Av. Paulista", "address_number": "1000", "complement": "Sala 101",
                              "neighborhood": "Bela Vista", "city": "Sao Paulo", "state": "SP",
                              "postal_code": "01310-100"}},
        "due_date": "2026-12-31", "description": "Order 42"
    })
}

fn address() -> Value {
    json!({"street": "Rua Augusta", "address_number": "1508", "complement": "Apto 71",
           "neighborhood": "Consolacao", "city": "Sao Paulo", "state": "SP",
           "postal_code": "01304-001", "country": "BR"})
}

fn device() -> Value {
    json!({"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0", "device_id": "dev-1",
           "session_id": "ddc-1", "http_accept_content": "text/html", "http_browser_language": "pt-BR",
           "http_browser_java_enabled": false, "http_browser_javascript_enabled": true,
           "http_browser_color_depth": "24", "http_browser_screen_height": "1080",
           "http_browser_screen_width": "1920", "http_browser_time_difference": "-3"})
}

fn with(changes: Value) -> Value {
    let mut b = body();
    for (k, v) in changes.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

fn parse(b: &Value) -> Result<giro_domain::charge::CreateCharge, Rejection> {
    parse_create(b.to_string().as_bytes(), &Catalog::default())
}

fn refused(b: &Value) -> (ErrorCode, String) {
    let r = parse(b).unwrap_err();
    (r.code, r.field.unwrap_or_default())
}

#[test]
fn every_optional_part_is_kept_typed() {
    let b = with(json!({
        "is_async": true, "shipping_address": address(),
        "antifraud_info": {"sales_channel": "marketplace", "cardholder_logged_in": true,
                           "cardholder_since_days": 400, "purchase_history": 12,
                           "days_since_last_purchase_merchant": 30},
        "threeds_authentication": true, "device_info": device()
    }));
    let r = parse(&b).unwrap().requested;
    assert_eq!(r.is_async, Some(true));
    assert_eq!(r.shipping_address.unwrap().postal_code, "01304-001");
    let af = r.antifraud_info.unwrap();
    assert_eq!(af.sales_channel, Some(SalesChannel::Marketplace));
    assert_eq!(
        (af.cardholder_since_days, af.purchase_history),
        (Some(400), Some(12))
    );
    assert_eq!(r.threeds_authentication, Some(true));
    let d = r.device_info.unwrap();
    assert_eq!(d.ip_address.unwrap().expose(), "203.0.113.7");
    assert_eq!(d.http_browser_javascript_enabled, Some(true));
}

#[test]
fn each_bad_optional_part_is_refused_naming_its_field() {
    let mut blank = address();
    blank["complement"] = json!(" ");
    let mut bad_country = address();
    bad_country["country"] = json!("Brazil");
    let mut bad_ip = device();
    bad_ip["ip_address"] = json!("not-an-ip");
    let mut bad_depth = device();
    bad_depth["http_browser_color_depth"] = json!(24);
    let mut bad_java = device();
    bad_java["http_browser_java_enabled"] = json!("yes");
    for (changes, field) in [
        (json!({"is_async": "yes"}), "is_async"),
        (
            json!({"shipping_address": blank}),
            "shipping_address.complement",
        ),
        (
            json!({"shipping_address": bad_country}),
            "shipping_address.country",
        ),
        (
            json!({"shipping_address": "Rua Augusta"}),
            "shipping_address",
        ),
        (
            json!({"antifraud_info": {"sales_channel": "phone"}}),
            "antifraud_info.sales_channel",
        ),
        (
            json!({"antifraud_info": {"purchase_history": -1}}),
            "antifraud_info.purchase_history",
        ),
        (
            json!({"antifraud_info": {"cardholder_logged_in": 1}}),
            "antifraud_info.cardholder_logged_in",
        ),
        (
            json!({"threeds_authentication": "true"}),
            "threeds_authentication",
        ),
        (json!({"device_info": bad_ip}), "device_info.ip_address"),
        (
            json!({"device_info": bad_depth}),
            "device_info.http_browser_color_depth",
        ),
        (
            json!({"device_info": bad_java}),
            "device_info.http_browser_java_enabled",
        ),
        (
            json!({"method": "pix", "threeds_authentication": true}),
            "threeds_authentication",
        ),
        (
            json!({"wallet_token": {"paymentData": "x"}}),
            "wallet_token",
        ),
        (
            json!({"method": "applepay", "wallet_token": {}}),
            "wallet_token",
        ),
        (json!({"method": "oxxo"}), "method"),
    ] {
        let b = with(changes.clone());
        let (code, named) = refused(&b);
        assert!(
            matches!(code, ErrorCode::InvalidField | ErrorCode::MissingField),
            "{changes}: {code:?}"
        );
        assert_eq!(named, field, "{changes}");
    }
    let mut empty_complement = body();
    empty_complement["payer"]["address"]["complement"] = json!("");
    assert_eq!(
        refused(&empty_complement),
        (ErrorCode::MissingField, "payer.address.complement".into())
    );
}

#[test]
fn a_wallet_token_is_sealed_and_never_shown() {
    let token = json!({"paymentData": {"data": "c2VjcmV0LXRva2VuLWRhdGE=", "signature": "sig-123"},
                       "transactionIdentifier": "TX-998877"});
    for method in ["applepay", "googlepay"] {
        let b = with(json!({"method": method, "wallet_token": token}));
        let r = parse(&b).unwrap().requested;
        let kept = r.wallet_token.clone().unwrap();
        let back: Value = serde_json::from_str(kept.expose()).unwrap();
        assert_eq!(back, token);
        let event = giro_domain::charge::ChargeEvent::Requested(std::sync::Arc::new(r.clone()));
        let shown = format!("{r:?} {}", event.masked_data());
        for secret in ["c2VjcmV0LXRva2VuLWRhdGE=", "sig-123", "TX-998877"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}

#[test]
fn installment_count_has_no_upper_bound_but_must_be_at_least_one() {
    let b = with(json!({"installment_count": 48}));
    assert_eq!(parse(&b).unwrap().requested.installment_count, 48);
    let b = with(json!({"installment_count": 0}));
    assert_eq!(
        refused(&b),
        (ErrorCode::InvalidField, "installment_count".into())
    );
}

#[test]
fn the_six_named_methods_are_taken() {
    for method in [
        "credit_card",
        "debit_card",
        "pix",
        "boleto",
        "applepay",
        "googlepay",
    ] {
        let b = with(json!({"method": method}));
        assert!(parse(&b).is_ok(), "{method}");
    }
    let r = parse(&with(json!({"method": "spei"}))).unwrap_err();
    assert!(r.message.contains("credit_card"), "{r:?}");
}
