//! KillB `/api/v2/accounts`: creation of every type, every validation refusal in KillB's error
//! shape, and authentication.

use serde_json::{Value, json};

use crate::common::*;
use crate::killb::login;

pub const CLABE: &str = "032180000118359719";
pub const EVM: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
pub const TRON: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
pub const SOLANA: &str = "11111111111111111111111111111111";
/// The sandbox's umbrella user: its accounts may name any holder.
pub const USER: &str = giro_sandbox::killb::defaults::USER_ID;

fn holder(country: &str, doc: &str) -> Value {
    json!({"firstName": "Juan", "lastName": "García", "email": "juan@example.com",
        "phone": "+573001234567", "countryCode": country,
        "document": {"type": doc, "number": "1234567890", "issuedCountryCode": country}})
}

fn with(mut data: Value, extra: Value) -> Value {
    if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    data
}

/// A valid body of `kind` (`WALLET` is EVM on POLYGON).
pub fn account(kind: &str, external_id: &str) -> Value {
    let data = match kind {
        "PSE" => with(
            holder("CO", "NUIP"),
            json!({"accountNumber": "1234567890", "bankCode": "007", "type": "savings"}),
        ),
        "SPEI" => with(
            holder("MX", "RFC"),
            json!({"clabe": CLABE, "clabeType": "CLABE"}),
        ),
        "ACH" | "WIRE" => with(
            holder("US", "SSN"),
            json!({"bankName": "Chase Bank", "routingNumber": "021000021",
                "accountNumber": "123456789", "type": "checking"}),
        ),
        "TRANSFIYA" => holder("CO", "CC"),
        _ => with(
            holder("CO", "PASSPORT"),
            json!({"currency": "USDC", "network": "POLYGON", "address": EVM}),
        ),
    };
    json!({"type": kind, "userId": USER, "externalId": external_id, "data": data})
}

pub async fn post_account(base: &str, token: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{base}/api/v2/accounts"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn creates_every_type_pending() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let mut bodies: Vec<Value> = ["PSE", "SPEI", "ACH", "WIRE", "TRANSFIYA", "WALLET"]
        .iter()
        .map(|kind| account(kind, &format!("ext-{kind}")))
        .collect();
    let mut seed_bank = account("PSE", "ext-pse-0001");
    seed_bank["data"]["bankCode"] = json!("0001");
    let mut card = account("SPEI", "ext-card");
    card["data"]["clabe"] = json!("4152313412345678");
    card["data"]["clabeType"] = json!("DEBIT_CARD");
    let mut phone = account("SPEI", "ext-phone");
    phone["data"]["clabe"] = json!("5512345678");
    phone["data"]["clabeType"] = json!("PHONE_NUMBER");
    let mut tron = account("WALLET", "ext-tron");
    tron["data"]["network"] = json!("TRON");
    tron["data"]["address"] = json!(TRON);
    tron["data"]["currency"] = json!("USDT");
    let mut solana = account("WALLET", "ext-solana");
    solana["data"]["network"] = json!("SOLANA");
    solana["data"]["address"] = json!(SOLANA);
    let mut lower = account("WALLET", "ext-lower");
    lower["data"]["address"] = json!(EVM.to_ascii_lowercase());
    bodies.extend([seed_bank, card, phone, tron, solana, lower]);
    for body in bodies {
        let answer = post_account(&base, &token, &body).await;
        assert_eq!(answer.status(), 201, "{body}");
        let created: Value = answer.json().await.unwrap();
        assert_eq!(created["status"], "PENDING");
        assert_eq!(created["type"], body["type"]);
        assert_eq!(created["externalId"], body["externalId"]);
        assert_eq!(created["data"], body["data"], "data is echoed");
        assert!(created["id"].as_str().is_some_and(|id| !id.is_empty()));
        assert!(created["createdAt"].is_string() && created["updatedAt"].is_string());
    }
}

#[tokio::test]
async fn refuses_every_invalid_account_in_killb_shape() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "SPEI",
            "/data/clabe",
            json!("032180000118359718"),
            "data.clabe",
        ),
        (
            "SPEI",
            "/data/clabe",
            json!("03218000011835971"),
            "data.clabe",
        ),
        ("SPEI", "/data/clabeType", json!("IBAN"), "data.clabeType"),
        ("SPEI", "/data/clabeType", json!("DEBIT_CARD"), "data.clabe"),
        (
            "SPEI",
            "/data/clabeType",
            json!("PHONE_NUMBER"),
            "data.clabe",
        ),
        ("SPEI", "/data/countryCode", json!("CO"), "data.countryCode"),
        (
            "ACH",
            "/data/routingNumber",
            json!("021000022"),
            "data.routingNumber",
        ),
        (
            "WIRE",
            "/data/routingNumber",
            json!("02100002"),
            "data.routingNumber",
        ),
        ("ACH", "/data/bankName", json!(""), "data.bankName"),
        ("ACH", "/data/type", json!("current"), "data.type"),
        (
            "ACH",
            "/data/accountNumber",
            json!("12a45"),
            "data.accountNumber",
        ),
        (
            "WALLET",
            "/data/address",
            json!("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            "data.address",
        ),
        (
            "WALLET",
            "/data/address",
            json!("0x742d35Cc6634C0532925a3b844Bc9e7595f0bEb"),
            "data.address",
        ),
        ("WALLET", "/data/address", json!(TRON), "data.address"),
        ("WALLET", "/data/currency", json!("DAI"), "data.currency"),
        ("WALLET", "/data/network", json!("BITCOIN"), "data.network"),
        ("PSE", "/data/bankCode", json!("999"), "data.bankCode"),
        ("PSE", "/data/type", json!("current"), "data.type"),
        (
            "PSE",
            "/data/document/type",
            json!("SSN"),
            "data.document.type",
        ),
        (
            "PSE",
            "/data/document/number",
            json!(""),
            "data.document.number",
        ),
        (
            "PSE",
            "/data/email",
            json!("juan.example.com"),
            "data.email",
        ),
        ("PSE", "/data/phone", json!("call me"), "data.phone"),
        ("PSE", "/data/lastName", Value::Null, "data.lastName"),
        ("PSE", "/data/document", Value::Null, "data.document"),
        (
            "TRANSFIYA",
            "/data/phone",
            json!("+525512345678"),
            "data.phone",
        ),
        ("PSE", "/type", json!("SWIFT"), "type"),
        ("PSE", "/externalId", json!(""), "externalId"),
        ("PSE", "/data", Value::Null, "data"),
        ("PSE", "/userId", json!(7), "userId"),
    ];
    for (n, (kind, pointer, value, field)) in cases.into_iter().enumerate() {
        let mut body = account(kind, &format!("bad-{n}"));
        *body.pointer_mut(pointer).unwrap() = value;
        let answer = post_account(&base, &token, &body).await;
        assert_eq!(answer.status(), 400, "{field}: {body}");
        let error: Value = answer.json().await.unwrap();
        assert_eq!(error["errorCode"], "VALIDATION.0001", "{error}");
        assert_eq!(error["statusCode"], "400");
        assert_eq!(error["arguments"][0]["key"], "field");
        assert_eq!(error["arguments"][0]["value"], field, "{error}");
        assert!(error["message"][0].as_str().is_some_and(|m| !m.is_empty()));
    }
    let mut solana_on_tron = account("WALLET", "bad-sol");
    solana_on_tron["data"]["network"] = json!("SOLANA");
    solana_on_tron["data"]["address"] = json!("1111111111111111111111111111111");
    assert_eq!(
        post_account(&base, &token, &solana_on_tron).await.status(),
        400
    );
    let malformed = client()
        .post(format!("{base}/api/v2/accounts"))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let accounts: Value = client()
        .get(format!("{base}/api/v2/accounts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(accounts, json!([]), "nothing refused was stored");
}

#[tokio::test]
async fn every_accounts_endpoint_needs_a_token() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let http = client();
    let body = account("PSE", "no-token");
    let requests = [
        http.post(format!("{base}/api/v2/accounts")).json(&body),
        http.get(format!("{base}/api/v2/accounts")),
        http.get(format!("{base}/api/v2/accounts/some-id")),
        http.patch(format!("{base}/api/v2/accounts/some-id"))
            .json(&json!({"data": {}})),
        http.delete(format!("{base}/api/v2/accounts/some-id")),
        http.post(format!("{base}/api/v2/accounts"))
            .bearer_auth("forged-token")
            .json(&body),
    ];
    for request in requests {
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 401);
        let error: Value = answer.json().await.unwrap();
        assert_eq!(error["statusCode"], "401");
    }
    let summary = sandbox_get(&base, "/_sandbox/orders?provider=killb-accounts").await;
    assert_eq!(summary, json!([]));
}
