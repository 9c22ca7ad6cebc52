//! A55 over HTTP: OAuth2, charges for each method, the sandbox card digits, truncation, operations,
//! signed (and legacy) webhooks and their retry rule.

use std::time::Duration;

use giro_sandbox::a55::a55_signature;
use serde_json::{Value, json};

use crate::common::*;

pub async fn token(base: &str) -> String {
    let answer: Value = client()
        .post(format!("{base}/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", A55_CLIENT),
            ("client_secret", A55_SECRET),
            ("scope", "api/readwrite"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 3600);
    answer["access_token"].as_str().unwrap().to_owned()
}

pub fn charge(method: &str, currency: &str, value: Value, webhook_url: &str) -> Value {
    json!({
        "wallet_uuid": WALLET, "merchant_id": "11111111-1111-1111-1111-111111111111",
        "payer_name": "Zhang Wei", "payer_email": "zhangwei@example.com", "payer_tax_id": "123.456.789-09",
        "payer_cell_phone": "+5511999999999", "installment_value": value, "installment_count": 1,
        "currency": currency, "due_date": "2026-12-31", "description": "Order 42", "type_charge": method,
        "webhook_url": webhook_url,
        "payer_address": {"street": "Av. Paulista", "address_number": "1000", "complement": "Sala 101",
            "neighborhood": "Bela Vista", "city": "Sao Paulo", "state": "SP", "postal_code": "01310-100", "country": "BR"}
    })
}

pub fn with_card(mut body: Value, number: &str) -> Value {
    for (k, v) in [
        ("card_number", number),
        ("card_name", "Zhang Wei"),
        ("card_expiry_month", "12"),
        ("card_expiry_year", "2030"),
        ("card_cvv", "123"),
    ] {
        body[k] = json!(v);
    }
    body
}

pub async fn post(base: &str, token: &str, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub const CHARGE: &str = "/api/v1/bank/wallet/charge/";

pub async fn statuses_for(receiver: &Receiver, uuid: &str, last: &str) -> Vec<String> {
    eventually(30, &format!("{uuid} reaching {last}"), || async {
        let seen: Vec<String> = receiver
            .hits()
            .iter()
            .map(Hit::json)
            .filter(|b| b["charge_uuid"] == uuid)
            .map(|b| b["status"].as_str().unwrap().to_owned())
            .collect();
        seen.iter().any(|s| s == last).then_some(seen)
    })
    .await
}

#[tokio::test]
async fn oauth2_client_credentials() {
    let sandbox = start(config()).await;
    let base = sandbox.a55_url().unwrap();
    let http = client();
    let form = |fields: &[(&str, &str)]| {
        http.post(format!("{base}/oauth2/token"))
            .form(fields)
            .send()
    };
    let bad = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", A55_CLIENT),
        ("client_secret", "nope"),
    ])
    .await
    .unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let grant = form(&[
        ("grant_type", "password"),
        ("client_id", A55_CLIENT),
        ("client_secret", A55_SECRET),
    ])
    .await
    .unwrap();
    assert_eq!(
        grant.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let json_body = http
        .post(format!("{base}/oauth2/token"))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), 400);
    let token = token(&base).await;
    let unauthenticated = post(&base, "wrong", CHARGE, &json!({})).await;
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(post(&base, &token, CHARGE, &json!({})).await.status(), 400);
}

#[tokio::test]
async fn expired_a55_tokens_are_refused() {
    let mut config = config();
    if let Some(a55) = config.get_mut::<giro_sandbox::a55::A55Config>() {
        a55.token_ttl = Duration::from_secs(1);
    }
    let sandbox = start(config).await;
    let base = sandbox.a55_url().unwrap();
    let answer: Value = client()
        .post(format!("{base}/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", A55_CLIENT),
            ("client_secret", A55_SECRET),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["access_token"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let body = charge("pix", "BRL", json!(10), "http://127.0.0.1:9/");
    assert_eq!(post(&base, token, CHARGE, &body).await.status(), 401);
}

#[tokio::test]
async fn hosted_card_charge_goes_to_paid_with_signed_webhooks() {
    let sandbox = start(config()).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    let mut body = charge("credit_card", "BRL", json!(150.00), &receiver.url);
    body["installment_count"] = json!(3);
    body["subscription"] = json!({"cycle": "monthly"});
    let created: Value = post(&base, &token, CHARGE, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["status"], "issued");
    assert!(
        created["charge_payment_url"]
            .as_str()
            .unwrap()
            .contains("/checkout/")
    );
    assert_eq!(created["installments"].as_array().unwrap().len(), 3);
    assert_eq!(created["installments"][2]["installment_number"], 3);
    assert_eq!(created["installments"][1]["due_date"], "2027-01-31");
    assert_eq!(created["usd_currency"], 26.90);
    assert_eq!(created["subscription"]["cycle"], "monthly");
    let uuid = created["charge_uuid"].as_str().unwrap();
    let page = client()
        .get(created["charge_payment_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    assert_eq!(
        statuses_for(&receiver, uuid, "paid").await,
        ["issued", "pending", "confirmed", "paid"]
    );
    for hit in receiver.hits() {
        let timestamp: i64 = hit.header("x-webhook-timestamp").parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 300);
        assert_eq!(
            hit.header("x-webhook-signature"),
            a55_signature(A55_WEBHOOK_SECRET, timestamp, &hit.body)
        );
    }
    let read: Value = client()
        .get(format!("{base}{CHARGE}{uuid}/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["status"], "paid");
}

#[tokio::test]
async fn pix_and_boleto_carry_their_payment_instructions() {
    let sandbox = start(config()).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let pix: Value = post(
        &base,
        &token,
        CHARGE,
        &charge("pix", "BRL", json!(99.90), "http://127.0.0.1:9/"),
    )
    .await
    .json()
    .await
    .unwrap();
    let code = pix["pix_qr_code"].as_str().unwrap();
    assert!(
        code.starts_with("000201") && code.contains("br.gov.bcb.pix") && code.contains("99.90")
    );
    assert_eq!(pix["pix_copy_paste"], pix["pix_qr_code"]);
    let boleto: Value = post(
        &base,
        &token,
        CHARGE,
        &charge("boleto", "BRL", json!(99.90), "http://127.0.0.1:9/"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(boleto["barcode"].as_str().unwrap().len(), 44);
    assert!(boleto["boleto_url"].as_str().unwrap().contains("/boleto/"));
    let pix_in_mxn = post(
        &base,
        &token,
        CHARGE,
        &charge("pix", "MXN", json!(10), "http://127.0.0.1:9/"),
    )
    .await;
    assert_eq!(pix_in_mxn.status(), 400);
    assert_eq!(
        pix_in_mxn.json::<Value>().await.unwrap()["message"][0]["code"],
        "INVALID_TYPE_CHARGE"
    );
}

#[tokio::test]
async fn sandbox_card_digits_pick_the_outcome() {
    let sandbox = start(config()).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    let card = |digit: char| {
        with_card(
            charge("credit_card", "BRL", json!(100), &receiver.url),
            &format!("400000000000000{digit}"),
        )
    };
    let status = |v: &Value| v["status"].as_str().unwrap().to_owned();
    let mut uuids = Vec::new();
    for (digit, sync, code) in [
        ('0', "confirmed", None),
        ('1', "confirmed", None),
        ('4', "confirmed", None),
        ('2', "error", Some("card_declined")),
        ('3', "error", Some("card_expired")),
        ('5', "error", Some("card_blocked")),
        ('6', "pending", None),
        ('7', "canceled", None),
        ('8', "error", Some("card_problem")),
    ] {
        let created: Value = post(&base, &token, CHARGE, &card(digit))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(status(&created), sync, "card ending in {digit}");
        if let Some(code) = code {
            assert_eq!(created["message"][0]["code"], code);
        }
        uuids.push(created["charge_uuid"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        statuses_for(&receiver, &uuids[0], "paid").await,
        ["confirmed", "paid"]
    );
    assert_eq!(
        statuses_for(&receiver, &uuids[6], "error").await,
        ["pending", "error"],
        "6 times out"
    );
    let nine: Value = post(&base, &token, CHARGE, &card('9'))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        ["confirmed", "error"].contains(&status(&nine).as_str()),
        "9 is random"
    );

    let mut authorise = card('0');
    authorise["capture"] = json!(false);
    let held: Value = post(&base, &token, CHARGE, &authorise)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(held["status"], "pre_captured");
    let uuid = held["charge_uuid"].as_str().unwrap();
    let captured = post(
        &base,
        &token,
        &format!("{CHARGE}capture/"),
        &json!({"charge_uuid": uuid, "wallet_uuid": WALLET}),
    )
    .await;
    assert_eq!(
        captured.json::<Value>().await.unwrap()["status"],
        "confirmed"
    );
    assert_eq!(
        statuses_for(&receiver, uuid, "paid").await,
        ["pre_captured", "confirmed", "paid"]
    );
    let twice = post(
        &base,
        &token,
        &format!("{CHARGE}capture/"),
        &json!({"charge_uuid": uuid, "wallet_uuid": WALLET}),
    )
    .await;
    assert_eq!(twice.status(), 400);

    let mut threeds = card('0');
    threeds["threeds_authentication"] = json!(true);
    assert_eq!(
        post(&base, &token, CHARGE, &threeds).await.status(),
        400,
        "3DS host-to-host needs device_info"
    );
    threeds["device_info"] = json!({"ip_address": "1.2.3.4"});
    let pending: Value = post(&base, &token, CHARGE, &threeds)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending["status"], "pending");
    assert!(pending["url_3ds"].is_string());
}
