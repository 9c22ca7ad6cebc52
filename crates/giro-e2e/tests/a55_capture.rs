//! A55 authorise-then-capture end to end (real stack: intake over NATS, the charge executor, the
//! A55 sandbox over HTTP, its webhooks through the ingress): a full and a partial capture, a
//! capture refused once captured or cancelled, the page's optional fields reaching the sandbox
//! intact, and wrong credentials stopping start-up.

use std::sync::Arc;
use std::time::Duration;

use giro_domain::OrderId;
use giro_domain::charge::{ChargeCommand, ChargeStatus};
use giro_e2e::{Stack, StackOptions};
use giro_intake::IntakeClient;
use giro_providers::a55::adapter::A55Adapter;
use giro_providers::{Adapter, Registry, Settings};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const WITHIN: Duration = Duration::from_secs(30);

fn body(key: &str, amount: &str) -> Value {
    json!({
        "idempotency_key": key, "provider": "a55", "amount": amount, "installment_count": 1,
        "currency": "BRL", "method": "credit_card", "capture": false,
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "123.456.789-09",
                  "phone": "+5511999999999",
                  "address": {"street": "Av. Paulista", "address_number": "1000", "complement": "Sala 101",
                              "neighborhood": "Bela Vista", "city": "Sao Paulo", "state": "SP",
                              "postal_code": "01310-100", "country": "BR"}},
        "due_date": "2030-12-31", "description": "Order 42", "redirect_url": "https://shop.example/done"
    })
}

async fn create(client: &IntakeClient, body: &Value) -> OrderId {
    let reply = client.create_charge(body.to_string()).await;
    assert!(reply.ok, "{reply:?}");
    reply.body["order_id"].as_str().unwrap().parse().unwrap()
}

async fn authorised(stack: &Stack, client: &IntakeClient, key: &str, amount: &str) -> OrderId {
    let id = create(client, &body(key, amount)).await;
    let c = stack
        .wait_charge(id, WITHIN, |c| c.status == ChargeStatus::Authorized)
        .await;
    assert_eq!(c.status, ChargeStatus::Authorized, "{key}");
    id
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[tokio::test]
async fn an_authorised_charge_is_captured_in_full_or_in_part_exactly_once() {
    let stack = Stack::start(StackOptions::default()).await;
    let (_intake, client) = stack.start_intake().await;

    let full = authorised(&stack, &client, "cap-e2e-full", "150.00").await;
    let reply = client
        .capture_charge(&full.to_string(), None, Some("shipped"))
        .await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.body["status"], "authorized");
    let c = stack
        .wait_charge(full, WITHIN, |c| c.status == ChargeStatus::Paid)
        .await;
    assert_eq!(
        (c.status, c.captured),
        (ChargeStatus::Paid, Some(dec("150.00")))
    );
    let types = stack.charge_event_types(full).await;
    for (event, times) in [
        ("charge.capture_requested", 1),
        ("charge.capture_attempt_started", 1),
        ("charge.captured", 1),
        ("charge.discrepancy", 0),
    ] {
        let n = types.iter().filter(|t| **t == event).count();
        assert_eq!(n, times, "{event} in {types:?}");
    }

    let part = authorised(&stack, &client, "cap-e2e-part", "150.00").await;
    let reply = client
        .capture_charge(&part.to_string(), Some("100.00"), None)
        .await;
    assert!(reply.ok, "{reply:?}");
    let c = stack
        .wait_charge(part, WITHIN, |c| c.status == ChargeStatus::Paid)
        .await;
    assert_eq!(
        (c.status, c.captured),
        (ChargeStatus::Paid, Some(dec("100.00")))
    );
    assert_eq!(c.refundable(), dec("100.00"));
    let types = stack.charge_event_types(part).await;
    assert!(!types.contains(&"charge.discrepancy"), "{types:?}");
    assert!(!types.contains(&"charge.failed"), "{types:?}");
    // Captured: a second capture is a refusal in the reply.
    let again = client.capture_charge(&part.to_string(), None, None).await;
    assert!(!again.ok, "{again:?}");
    let error = again.error.unwrap();
    assert_eq!(error.code.as_str(), "invalid_state");
    assert!(error.message.contains("already captured"), "{error:?}");
    stack.assert_gapless_charge(part).await;
}

#[tokio::test]
async fn a_capture_of_a_cancelled_or_unauthorised_charge_is_refused_in_the_reply() {
    let stack = Stack::start(StackOptions::default()).await;
    let (_intake, client) = stack.start_intake().await;
    let id = authorised(&stack, &client, "cap-e2e-cancel", "90.00").await;
    let reply = client.cancel_charge(&id.to_string()).await;
    assert!(reply.ok, "{reply:?}");
    let c = stack
        .wait_charge(id, WITHIN, |c| c.status == ChargeStatus::Cancelled)
        .await;
    assert_eq!(c.status, ChargeStatus::Cancelled);
    let refused = client.capture_charge(&id.to_string(), None, None).await;
    assert!(!refused.ok);
    assert_eq!(refused.error.unwrap().code.as_str(), "invalid_state");
    // Too much, and a charge captured at once (never authorised only).
    let other = authorised(&stack, &client, "cap-e2e-over", "90.00").await;
    let over = client
        .capture_charge(&other.to_string(), Some("90.01"), None)
        .await;
    assert_eq!(over.error.unwrap().field.as_deref(), Some("amount"));
    let mut paid = body("cap-e2e-paid", "70.00");
    paid["capture"] = json!(true);
    let paid = create(&client, &paid).await;
    let c = stack
        .wait_charge(paid, WITHIN, |c| c.status == ChargeStatus::Paid)
        .await;
    assert_eq!(c.status, ChargeStatus::Paid);
    let refused = client.capture_charge(&paid.to_string(), None, None).await;
    assert_eq!(refused.error.unwrap().code.as_str(), "invalid_state");
    let direct = stack
        .charge_command(
            paid,
            ChargeCommand::Capture {
                amount: None,
                reason: None,
            },
        )
        .await;
    assert!(direct.is_err(), "a paid charge is not captured");
}

#[tokio::test]
async fn shipping_antifraud_3ds_and_device_reach_the_sandbox_intact() {
    let stack = Stack::start(StackOptions::default()).await;
    let (_intake, client) = stack.start_intake().await;
    let shipping = json!({"street": "Rua Augusta", "address_number": "1508", "complement": "Apto 71",
        "neighborhood": "Consolacao", "city": "Sao Paulo", "state": "SP", "postal_code": "01304-001",
        "country": "BR"});
    let antifraud = json!({"sales_channel": "marketplace", "cardholder_logged_in": true,
        "cardholder_since_days": 400, "purchase_history": 12, "days_since_last_purchase_merchant": 30});
    let device = json!({"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0", "device_id": "d-1",
        "session_id": "ddc-1", "http_accept_content": "text/html", "http_browser_language": "pt-BR",
        "http_browser_java_enabled": false, "http_browser_javascript_enabled": true,
        "http_browser_color_depth": "24", "http_browser_screen_height": "1080",
        "http_browser_screen_width": "1920", "http_browser_time_difference": "-3"});
    let mut b = body("fields-e2e", "90.00");
    for (k, v) in [
        ("capture", json!(true)),
        ("is_async", json!(true)),
        ("shipping_address", shipping.clone()),
        ("antifraud_info", antifraud.clone()),
        ("threeds_authentication", json!(true)),
        ("device_info", device.clone()),
        ("installment_count", json!(30)),
        ("amount", json!("90.00")),
    ] {
        b[k] = v;
    }
    let id = create(&client, &b).await;
    let c = stack
        .wait_charge(id, WITHIN, |c| c.charge_uuid.is_some())
        .await;
    let uuid = c.charge_uuid.expect("submitted");
    let base = stack.sandbox.a55_url().unwrap();
    let kept: Value = reqwest::get(format!("{base}/_sandbox/a55/charges/{uuid}/request"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(kept["shipping_address"], shipping);
    assert_eq!(kept["antifraud_info"], antifraud);
    assert_eq!(kept["device_info"], device);
    assert_eq!(kept["threeds_authentication"], true);
    assert_eq!(kept["is_async"], true);

    let mut wallet = body("wallet-e2e", "90.00");
    wallet["method"] = json!("googlepay");
    wallet["wallet_token"] = json!({"signature": "MEUCIQ-secret-signature", "protocolVersion": "ECv2",
        "signedMessage": "{\"encryptedMessage\":\"opaque\"}"});
    let id = create(&client, &wallet).await;
    let c = stack
        .wait_charge(id, WITHIN, |c| c.charge_uuid.is_some())
        .await;
    let uuid = c.charge_uuid.expect("submitted");
    let kept: Value = reqwest::get(format!("{base}/_sandbox/a55/charges/{uuid}/request"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(kept["wallet_token_received"], true);
    let shown = client.get_order(&id.to_string()).await;
    let shown = serde_json::to_string(&shown.body).unwrap();
    assert!(!shown.contains("MEUCIQ-secret-signature"), "{shown}");
}

#[tokio::test]
async fn wrong_a55_credentials_stop_start_up_naming_the_variables() {
    let stack = Stack::start(StackOptions::default()).await;
    let base = stack.sandbox.a55_url().unwrap();
    let mut settings = Settings::isolated();
    settings
        .set("GIRO_A55_URL", base.clone())
        .set("GIRO_A55_CLIENT_SECRET", "not-the-secret");
    let mut registry = Registry::default();
    A55Adapter.register(&settings, &mut registry).unwrap();
    let set_up = giro_stack::set_up_providers(
        Arc::new(registry),
        None,
        giro_stack::DEFAULT_SETUP_EVERY,
        None,
    )
    .await;
    let Err(err) = set_up else {
        panic!("start-up was not refused");
    };
    let text = err.to_string();
    assert!(
        text.contains("GIRO_A55_CLIENT_ID") && text.contains("GIRO_A55_CLIENT_SECRET"),
        "{text}"
    );
    assert!(!text.contains("not-the-secret"), "{text}");

    // Unreachable: not a refusal; the engine starts and the set-up is tried again later.
    let mut settings = Settings::isolated();
    settings
        .set("GIRO_A55_URL", "http://127.0.0.1:9")
        .set("GIRO_PROVIDER_TIMEOUT", "1s");
    let mut registry = Registry::default();
    A55Adapter.register(&settings, &mut registry).unwrap();
    assert!(
        giro_stack::set_up_providers(
            Arc::new(registry),
            None,
            giro_stack::DEFAULT_SETUP_EVERY,
            None
        )
        .await
        .is_ok()
    );
}
