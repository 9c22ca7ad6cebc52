//! A55 authorisation and capture (public docs: `pre_captured`, `POST …/charge/capture/`), the
//! lapse of an authorisation never captured, and the checks on the page's optional fields.

use std::time::Duration;

use giro_sandbox::SandboxConfig;
use giro_sandbox::a55::A55Config;
use serde_json::{Value, json};

use crate::a55::{CHARGE, charge, post, statuses_for, token};
use crate::common::*;

const CAPTURE: &str = "/api/v1/bank/wallet/charge/capture/";

fn authorise_only(value: Value, webhook: &str) -> Value {
    let mut body = charge("credit_card", "BRL", value, webhook);
    body["capture"] = json!(false);
    body
}

fn code(answer: &Value) -> String {
    answer["message"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn authorised(base: &str, token: &str, receiver: &Receiver, value: Value) -> String {
    let created: Value = post(base, token, CHARGE, &authorise_only(value, &receiver.url))
        .await
        .json()
        .await
        .unwrap();
    let uuid = created["charge_uuid"].as_str().unwrap().to_owned();
    statuses_for(receiver, &uuid, "pre_captured").await;
    uuid
}

#[tokio::test]
async fn a_hosted_authorisation_is_captured_in_full_or_in_part_once() {
    let sandbox = start(config()).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let receiver = Receiver::start(200, "ok").await;

    // In part: the charge is confirmed at the amount captured, then paid.
    let uuid = authorised(&base, &token, &receiver, json!(150.00)).await;
    let over = post(
        &base,
        &token,
        CAPTURE,
        &json!({"charge_uuid": uuid, "wallet_uuid": WALLET, "amount": 150.01}),
    )
    .await;
    assert_eq!(over.status(), 400);
    let precise = post(
        &base,
        &token,
        CAPTURE,
        &json!({"charge_uuid": uuid, "wallet_uuid": WALLET, "amount": 10.001}),
    )
    .await;
    assert_eq!(precise.status(), 400);
    let missing = post(&base, &token, CAPTURE, &json!({"wallet_uuid": WALLET})).await;
    assert_eq!(missing.status(), 400);
    let other_wallet = post(
        &base,
        &token,
        CAPTURE,
        &json!({"charge_uuid": uuid, "wallet_uuid": "00000000-0000-0000-0000-000000000000"}),
    )
    .await;
    assert_eq!(
        code(&other_wallet.json().await.unwrap()),
        "errors.wallet.not_found"
    );
    let captured: Value = post(
        &base,
        &token,
        CAPTURE,
        &json!({"charge_uuid": uuid, "wallet_uuid": WALLET, "amount": 100.00}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(captured["status"], "confirmed");
    assert_eq!(captured["local_currency"], 100.0);
    let seen = statuses_for(&receiver, &uuid, "paid").await;
    assert!(seen.contains(&"confirmed".to_owned()), "{seen:?}");
    // Captured already: refused.
    let again = post(
        &base,
        &token,
        CAPTURE,
        &json!({"charge_uuid": uuid, "wallet_uuid": WALLET}),
    )
    .await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        code(&again.json().await.unwrap()),
        "errors.charge.not_capturable"
    );

    // In full: no amount.
    let uuid = authorised(&base, &token, &receiver, json!(80.00)).await;
    let captured: Value = post(
        &base,
        &token,
        CAPTURE,
        &json!({"charge_uuid": uuid, "wallet_uuid": WALLET}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (
            captured["status"].clone(),
            captured["local_currency"].clone()
        ),
        (json!("confirmed"), json!(80.0))
    );

    // Cancelled: refused.
    let uuid = authorised(&base, &token, &receiver, json!(60.00)).await;
    let cancel = format!("/api/v1/bank/wallet/charge/{uuid}/cancel/{WALLET}/");
    assert_eq!(post(&base, &token, &cancel, &json!({})).await.status(), 200);
    let after = post(
        &base,
        &token,
        CAPTURE,
        &json!({"charge_uuid": uuid, "wallet_uuid": WALLET}),
    )
    .await;
    assert_eq!(
        code(&after.json().await.unwrap()),
        "errors.charge.not_capturable"
    );
}

#[tokio::test]
async fn an_authorisation_never_captured_lapses_to_canceled() {
    let config = SandboxConfig {
        timing: fast_timing(),
        ..SandboxConfig::default()
    }
    .with(A55Config {
        authorization_ttl: Duration::from_millis(300),
        ..A55Config::new(A55_CLIENT, A55_SECRET, A55_WEBHOOK_SECRET)
    });
    let sandbox = start(config).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    let uuid = authorised(&base, &token, &receiver, json!(150.00)).await;
    let seen = statuses_for(&receiver, &uuid, "canceled").await;
    assert!(seen.contains(&"pre_captured".to_owned()), "{seen:?}");
    let late = post(
        &base,
        &token,
        CAPTURE,
        &json!({"charge_uuid": uuid, "wallet_uuid": WALLET}),
    )
    .await;
    assert_eq!(late.status(), 400);
}

fn device() -> Value {
    json!({"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0", "device_id": "d-1",
           "session_id": "ddc-1", "http_accept_content": "text/html", "http_browser_language": "pt-BR",
           "http_browser_java_enabled": false, "http_browser_javascript_enabled": true,
           "http_browser_color_depth": "24", "http_browser_screen_height": "1080",
           "http_browser_screen_width": "1920", "http_browser_time_difference": "-3"})
}

#[tokio::test]
async fn the_optional_fields_are_checked_as_the_page_types_them_and_kept() {
    let sandbox = start(config()).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let shipping = json!({"street": "Rua Augusta", "address_number": "1508", "complement": "Apto 71",
        "neighborhood": "Consolacao", "city": "Sao Paulo", "state": "SP", "postal_code": "01304-001"});
    let antifraud = json!({"sales_channel": "app", "cardholder_logged_in": true,
        "cardholder_since_days": 400, "purchase_history": 12, "days_since_last_purchase_merchant": 30});
    let mut full = charge("credit_card", "BRL", json!(90.00), "http://127.0.0.1:9/");
    for (k, v) in [
        ("is_async", json!(true)),
        ("shipping_address", shipping.clone()),
        ("antifraud_info", antifraud.clone()),
        ("threeds_authentication", json!(true)),
        ("device_info", device()),
        ("installment_count", json!(48)),
    ] {
        full[k] = v;
    }
    let created = post(&base, &token, CHARGE, &full).await;
    assert_eq!(created.status(), 200, "no cap on installment_count");
    let created: Value = created.json().await.unwrap();
    let uuid = created["charge_uuid"].as_str().unwrap();
    let kept: Value = client()
        .get(format!("{base}/_sandbox/a55/charges/{uuid}/request"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(kept["shipping_address"], shipping);
    assert_eq!(kept["antifraud_info"], antifraud);
    assert_eq!(kept["device_info"], device());
    assert_eq!(
        (
            kept["is_async"].clone(),
            kept["threeds_authentication"].clone()
        ),
        (json!(true), json!(true))
    );

    let mut blank_complement = shipping.clone();
    blank_complement["complement"] = json!("");
    let mut bad_depth = device();
    bad_depth["http_browser_color_depth"] = json!(24);
    for (field, value, source) in [
        ("is_async", json!("yes"), "is_async"),
        (
            "shipping_address",
            blank_complement,
            "shipping_address.complement",
        ),
        ("shipping_address", json!("Rua"), "shipping_address"),
        (
            "antifraud_info",
            json!({"sales_channel": "phone"}),
            "antifraud_info.sales_channel",
        ),
        (
            "antifraud_info",
            json!({"purchase_history": -1}),
            "antifraud_info.purchase_history",
        ),
        (
            "antifraud_info",
            json!({"cardholder_logged_in": "yes"}),
            "antifraud_info.cardholder_logged_in",
        ),
        (
            "device_info",
            bad_depth,
            "device_info.http_browser_color_depth",
        ),
        ("wallet_token", json!({"paymentData": "x"}), "wallet_token"),
        ("installment_count", json!(0), "installment_count"),
    ] {
        let mut body = charge("credit_card", "BRL", json!(90.00), "http://127.0.0.1:9/");
        body[field] = value;
        let answer = post(&base, &token, CHARGE, &body).await;
        assert_eq!(answer.status(), 400, "{field}");
        let answer: Value = answer.json().await.unwrap();
        assert_eq!(answer["message"][0]["source"], source, "{field}: {answer}");
    }
    let mut wallet = charge("applepay", "BRL", json!(90.00), "http://127.0.0.1:9/");
    wallet["wallet_token"] = json!({"paymentData": {"data": "opaque"}});
    let created: Value = post(&base, &token, CHARGE, &wallet)
        .await
        .json()
        .await
        .unwrap();
    let uuid = created["charge_uuid"].as_str().unwrap();
    let kept: Value = client()
        .get(format!("{base}/_sandbox/a55/charges/{uuid}/request"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(kept["wallet_token_received"], true);
}
