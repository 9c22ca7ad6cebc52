//! KillB over HTTP: expiring tokens, balances that move, idempotent payouts, validation, listing,
//! signed webhooks, statuses, the error shape and the rate limit.

use std::time::Duration;

use giro_sandbox::SandboxConfig;
use giro_sandbox::killb::{KillbSignature, killb_signature};
use serde_json::{Value, json};

use crate::common::*;

pub async fn login(base: &str) -> String {
    let answer: Value = client()
        .post(format!("{base}/api/v2/auth/login"))
        .json(&json!({"email": KILLB_EMAIL, "password": KILLB_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_owned()
}

pub fn pse(external_id: &str, amount: Value) -> Value {
    json!({
        "preFundAccountId": "prefund-cop-001",
        "amount": amount,
        "externalId": external_id,
        "beneficiary": {"type": "PSE", "account": {
            "firstName": "Maria", "lastName": "Garcia", "email": "maria@example.com", "phone": "3001234567",
            "document": {"type": "CC", "number": "12345678"}, "accountNumber": "123456789",
            "bankCode": "001", "type": "savings", "countryCode": "CO"}}
    })
}

pub async fn create(base: &str, token: &str, key: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{base}/api/v2/payouts"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn get(base: &str, token: &str, path: &str) -> reqwest::Response {
    client()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn balance(base: &str, token: &str) -> String {
    let balances: Value = get(base, token, "/api/v2/customers/balances")
        .await
        .json()
        .await
        .unwrap();
    let account = balances
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["accountId"] == "prefund-cop-001")
        .unwrap();
    account["amount"]
        .as_str()
        .expect("amount is a string")
        .to_owned()
}

async fn register(base: &str, token: &str, url: &str, secret: &str) {
    let answer = client()
        .post(format!("{base}/api/v2/webhooks"))
        .bearer_auth(token)
        .json(&json!({"url": url, "secret": secret, "events": ["PAYOUT"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
}

#[tokio::test]
async fn tokens_expire_in_milliseconds_and_refresh() {
    let mut config = config();
    if let Some(killb) = config.get_mut::<giro_sandbox::killb::KillbConfig>() {
        killb.token_ttl = Duration::from_millis(400);
    }
    let sandbox = start(config).await;
    let base = sandbox.killb_url().unwrap();
    let http = client();
    let wrong = http
        .post(format!("{base}/api/v2/auth/login"))
        .json(&json!({"email": KILLB_EMAIL, "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let error: Value = wrong.json().await.unwrap();
    assert_eq!(error["statusCode"], "401");
    assert!(
        error["message"].is_array()
            && error["errorCode"].is_string()
            && error["arguments"].is_array()
    );

    let tokens: Value = http
        .post(format!("{base}/api/v2/auth/login"))
        .json(&json!({"email": KILLB_EMAIL, "password": KILLB_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["expiresIn"], 400, "expiresIn is in milliseconds");
    let token = tokens["accessToken"].as_str().unwrap();
    assert_eq!(
        get(&base, token, "/api/v2/customers/balances")
            .await
            .status(),
        200
    );
    assert_eq!(
        get(&base, "made-up", "/api/v2/customers/balances")
            .await
            .status(),
        401
    );
    assert_eq!(
        http.get(format!("{base}/api/v2/customers/balances"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let expired = get(&base, token, "/api/v2/customers/balances").await;
    assert_eq!(expired.status(), 401);
    assert_eq!(
        expired.json::<Value>().await.unwrap()["message"][0],
        "Token expired"
    );

    let refresh = |token: Value| {
        let http = http.clone();
        let base = base.clone();
        async move {
            http.post(format!("{base}/api/v2/auth/refresh"))
                .json(&json!({ "refreshToken": token }))
                .send()
                .await
                .unwrap()
        }
    };
    let renewed: Value = refresh(tokens["refreshToken"].clone())
        .await
        .json()
        .await
        .unwrap();
    let fresh = renewed["accessToken"].as_str().unwrap();
    assert_eq!(
        get(&base, fresh, "/api/v2/customers/balances")
            .await
            .status(),
        200
    );
    assert_eq!(
        refresh(tokens["refreshToken"].clone()).await.status(),
        401,
        "a refresh token works once"
    );
}

#[tokio::test]
async fn api_key_is_required_when_configured() {
    let mut config = config();
    if let Some(killb) = config.get_mut::<giro_sandbox::killb::KillbConfig>() {
        killb.api_key = Some("kb-key".into());
    }
    let sandbox = start(config).await;
    let base = sandbox.killb_url().unwrap();
    let body = json!({"email": KILLB_EMAIL, "password": KILLB_PASSWORD});
    let without = client()
        .post(format!("{base}/api/v2/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 401);
    let with = client()
        .post(format!("{base}/api/v2/auth/login"))
        .header("x-api-key", "kb-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 201);
}

#[tokio::test]
async fn idempotent_payout_debits_once_and_completes_with_signed_webhooks() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    register(&base, &token, &receiver.url, "hook-secret").await;
    assert_eq!(balance(&base, &token).await, "10000000.00");

    let body = pse("payout-2024-001", json!(500000));
    let first = create(&base, &token, "key-1", &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["status"], "PENDING");
    assert_eq!(first["currency"], "COP");
    assert_eq!(first["amount"], 500000);
    assert_eq!(first["externalId"], "payout-2024-001");
    let second: Value = create(&base, &token, "key-1", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        second["id"], first["id"],
        "the same key returns the original payout"
    );
    assert_eq!(balance(&base, &token).await, "9500000.00", "debited once");

    let id = first["id"].as_str().unwrap();
    let hits = eventually(30, "COMPLETED webhook", || async {
        let hits = receiver.hits();
        hits.iter()
            .any(|h| h.json()["data"]["status"] == "COMPLETED")
            .then_some(hits)
    })
    .await;
    let statuses: Vec<Value> = hits
        .iter()
        .map(|h| h.json()["data"]["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [json!("PENDING"), json!("PROCESSING"), json!("COMPLETED")]
    );
    for hit in &hits {
        let envelope = hit.json();
        assert_eq!(envelope["event"], "PAYOUT");
        assert_eq!(envelope["data"]["id"], id);
        assert_eq!(envelope["attempts"], 1);
        assert!(
            envelope["id"].is_string()
                && envelope["createdAt"].is_string()
                && envelope["updatedAt"].is_string()
        );
        let expected = killb_signature(KillbSignature::HmacSha256, "hook-secret", &hit.body);
        assert_eq!(hit.header("x-signature-sha256"), expected);
    }
    assert_eq!(hits[0].json()["action"], "CREATE");
    assert_eq!(hits[2].json()["action"], "UPDATE");
    let fetched: Value = get(&base, &token, &format!("/api/v2/payouts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["status"], "COMPLETED");

    let handles = sandbox.registry().handles(Some("killb"));
    assert_eq!(
        (
            handles[0].submissions,
            handles[0].replays,
            handles[0].orders.len()
        ),
        (2, 1, 1)
    );
}

#[tokio::test]
async fn signature_reading_b_is_configurable() {
    let mut config: SandboxConfig = config();
    let receiver = Receiver::start(200, "ok").await;
    if let Some(killb) = config.get_mut::<giro_sandbox::killb::KillbConfig>() {
        killb.signature = KillbSignature::Sha256Underscore;
        killb.webhook_url = Some(receiver.url.clone());
    }
    let sandbox = start(config).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    create(&base, &token, "b-1", &pse("b-1", json!(1000))).await;
    let hit = receiver.wait_for(1, 30).await.remove(0);
    let expected = killb_signature(KillbSignature::Sha256Underscore, KILLB_SECRET, &hit.body);
    assert_eq!(hit.header("x-signature-sha256"), expected);
}

#[tokio::test]
async fn failures_return_the_money_and_refunds_follow_completion() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    register(&base, &token, &receiver.url, "s").await;
    for (key, amount) in [
        ("f", 1011),
        ("e", 1012),
        ("r", 1013),
        ("refund", 1014),
        ("review", 1015),
        ("stuck", 1019),
    ] {
        assert_eq!(
            create(&base, &token, key, &pse(key, json!(amount)))
                .await
                .status(),
            201
        );
    }
    let finals = [
        ("f", "FAILED"),
        ("e", "ERROR"),
        ("r", "REJECTED"),
        ("refund", "REFUNDED"),
        ("review", "COMPLETED"),
    ];
    let hits = eventually(30, "final webhooks", || async {
        let hits = receiver.hits();
        let has = |ext: &str, status: &str| {
            hits.iter().any(|h| {
                h.json()["data"]["externalId"] == ext && h.json()["data"]["status"] == status
            })
        };
        finals
            .iter()
            .all(|(ext, status)| has(ext, status))
            .then_some(hits)
    })
    .await;
    let seen = |ext: &str| -> Vec<String> {
        hits.iter()
            .map(Hit::json)
            .filter(|e| e["data"]["externalId"] == ext)
            .map(|e| e["data"]["status"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        seen("refund"),
        ["PENDING", "PROCESSING", "COMPLETED", "REFUNDED"]
    );
    assert_eq!(
        seen("review"),
        ["PENDING", "PROCESSING", "REVIEW_NEEDED", "COMPLETED"]
    );
    // Only the completed 1015 and the stuck 1019 are still debited.
    assert_eq!(balance(&base, &token).await, "9997966.00");
    let stuck: Value = get(&base, &token, "/api/v2/payouts?externalId=stuck")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stuck["payouts"][0]["status"], "PROCESSING");
}

#[tokio::test]
async fn phased_statuses_when_enabled() {
    let mut config = config();
    let receiver = Receiver::start(200, "ok").await;
    if let Some(killb) = config.get_mut::<giro_sandbox::killb::KillbConfig>() {
        killb.phased_statuses = true;
        killb.webhook_url = Some(receiver.url.clone());
    }
    let sandbox = start(config).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    create(&base, &token, "ph", &pse("ph", json!(1000))).await;
    let hits = receiver.wait_for(6, 30).await;
    let statuses: Vec<String> = hits
        .iter()
        .map(|h| h.json()["data"]["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        statuses,
        [
            "PENDING",
            "PROCESSING",
            "CASH_OUT_PENDING",
            "CASH_OUT_PROCESSING",
            "CASH_OUT_COMPLETED",
            "COMPLETED"
        ]
    );
}
