//! KillB accounts over time: verification scenarios by the last digit, signed ACCOUNT webhooks,
//! idempotency by externalId, reading, searching, updating, deleting and introspection.

use std::time::Duration;

use giro_sandbox::killb::{KillbSignature, killb_signature};
use serde_json::{Value, json};

use crate::common::*;
use crate::killb::{get, login};
use crate::killb_accounts_api::{CLABE, EVM, USER, account, post_account};

async fn register_accounts_hook(base: &str, token: &str, url: &str) {
    let answer = client()
        .post(format!("{base}/api/v2/webhooks"))
        .bearer_auth(token)
        .json(&json!({"url": url, "secret": "acct-secret", "events": ["ACCOUNT"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
}

/// Adds a user through the sandbox-only `POST /_sandbox/killb/users`.
pub async fn add_user(base: &str, user: Value) {
    let answer = client()
        .post(format!("{base}/_sandbox/killb/users"))
        .json(&user)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
}

async fn json_of(answer: reqwest::Response) -> Value {
    answer.json().await.unwrap()
}

async fn pse_numbered(base: &str, token: &str, number: &str) -> Value {
    let mut body = account("PSE", &format!("ext-{number}"));
    body["data"]["accountNumber"] = json!(number);
    let answer = post_account(base, token, &body).await;
    assert_eq!(answer.status(), 201);
    json_of(answer).await
}

async fn status_of(base: &str, token: &str, id: &str) -> String {
    let account = json_of(get(base, token, &format!("/api/v2/accounts/{id}")).await).await;
    account["status"].as_str().unwrap_or_default().to_owned()
}

async fn reaches(base: &str, token: &str, id: &str, status: &str) {
    eventually(10, status, || async {
        (status_of(base, token, id).await == status).then_some(())
    })
    .await;
}

#[tokio::test]
async fn scenarios_by_last_digit_with_signed_account_webhooks() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    register_accounts_hook(&base, &token, &receiver.url).await;

    let active = pse_numbered(&base, &token, "1234567890").await;
    let rejected = pse_numbered(&base, &token, "1234567891").await;
    let stuck = pse_numbered(&base, &token, "1234567892").await;
    let flips = pse_numbered(&base, &token, "1234567893").await;
    let id = |a: &Value| a["id"].as_str().unwrap().to_owned();
    reaches(&base, &token, &id(&active), "ACTIVE").await;
    reaches(&base, &token, &id(&rejected), "REJECTED").await;
    reaches(&base, &token, &id(&flips), "ACTIVE").await;
    reaches(&base, &token, &id(&flips), "INACTIVE").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(status_of(&base, &token, &id(&stuck)).await, "PENDING");

    // 4 CREATE + ACTIVE + REJECTED + ACTIVE + INACTIVE.
    let hits = receiver.wait_for(8, 10).await;
    for hit in &hits {
        let expected = killb_signature(KillbSignature::HmacSha256, "acct-secret", &hit.body);
        assert_eq!(hit.header("x-signature-sha256"), expected);
        let envelope = hit.json();
        assert_eq!(envelope["event"], "ACCOUNT");
        assert!(envelope["attempts"].as_u64().is_some_and(|a| a >= 1));
    }
    let seen = |account: &Value| -> Vec<(String, String)> {
        hits.iter()
            .map(Hit::json)
            .filter(|e| e["data"]["id"] == account["id"])
            .map(|e| {
                let field = |k: &str| {
                    e.pointer(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                (field("/action"), field("/data/status"))
            })
            .collect()
    };
    let pair = |a: &str, s: &str| (a.to_owned(), s.to_owned());
    assert_eq!(
        seen(&flips),
        [
            pair("CREATE", "PENDING"),
            pair("UPDATE", "ACTIVE"),
            pair("UPDATE", "INACTIVE")
        ]
    );
    assert_eq!(
        seen(&rejected),
        [pair("CREATE", "PENDING"), pair("UPDATE", "REJECTED")]
    );
    assert_eq!(seen(&stuck), [pair("CREATE", "PENDING")]);
    let last = hits
        .iter()
        .map(Hit::json)
        .find(|e| e["data"]["id"] == active["id"] && e["data"]["status"] == "ACTIVE");
    let data = &last.expect("ACTIVE webhook")["data"];
    assert_eq!(data["externalId"], "ext-1234567890");
    assert_eq!(data["data"]["accountNumber"], "1234567890");

    let journal = sandbox_get(&base, "/_sandbox/orders?provider=killb-accounts").await;
    assert_eq!(journal.as_array().unwrap().len(), 4);
    let flipped = sandbox_get(
        &base,
        &format!("/_sandbox/orders/killb-accounts/{}", id(&flips)),
    )
    .await;
    let history: Vec<&str> = flipped["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(history, ["PENDING", "ACTIVE", "INACTIVE"]);
    assert!(!flipped["callbacks"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn other_keys_pick_the_scenario_too() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let mut spei = account("SPEI", "spei");
    spei["data"]["clabe"] = json!("5512345671");
    spei["data"]["clabeType"] = json!("PHONE_NUMBER");
    let mut phone = account("TRANSFIYA", "phone");
    phone["data"]["phone"] = json!("+573001234561");
    let mut wallet = account("WALLET", "wallet");
    wallet["data"]["address"] = json!("0x0000000000000000000000000000000000000001");
    for body in [spei, phone, wallet] {
        let created = json_of(post_account(&base, &token, &body).await).await;
        reaches(&base, &token, created["id"].as_str().unwrap(), "REJECTED").await;
    }
}

#[tokio::test]
async fn external_id_is_idempotent() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let first = post_account(&base, &token, &account("SPEI", "same-ext")).await;
    assert_eq!(first.status(), 201);
    let first = json_of(first).await;
    let mut different = account("WALLET", "same-ext");
    different["data"]["address"] = json!(EVM);
    let again = post_account(&base, &token, &different).await;
    assert_eq!(again.status(), 200);
    let again = json_of(again).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["type"], "SPEI");
    let listed = json_of(get(&base, &token, "/api/v2/accounts?externalId=same-ext").await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let handles = sandbox_get(&base, "/_sandbox/handles?provider=killb-accounts").await;
    assert_eq!(handles[0]["submissions"], 2);
    assert_eq!(handles[0]["replays"], 1);
    assert_eq!(handles[0]["orders"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn get_list_patch_and_delete() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    register_accounts_hook(&base, &token, &receiver.url).await;
    let pse = pse_numbered(&base, &token, "1234567890").await;
    let spei = json_of(post_account(&base, &token, &account("SPEI", "s-1")).await).await;
    add_user(&base, json!({"id": "user-2"})).await;
    let mut other_user = account("WALLET", "w-1");
    other_user["userId"] = json!("user-2");
    let wallet = json_of(post_account(&base, &token, &other_user).await).await;
    let ids = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let id = |a: &Value| a["id"].as_str().unwrap().to_owned();
    let list = |q: String| {
        let (base, token) = (base.clone(), token.clone());
        async move { ids(json_of(get(&base, &token, &format!("/api/v2/accounts{q}")).await).await) }
    };
    assert_eq!(
        list(String::new()).await,
        [id(&pse), id(&spei), id(&wallet)]
    );
    assert_eq!(list("?type=WALLET".into()).await, [id(&wallet)]);
    assert_eq!(list(format!("?userId={USER}")).await, [id(&pse), id(&spei)]);
    assert_eq!(
        list(format!("?ids={},{}", id(&pse), id(&wallet))).await,
        [id(&pse), id(&wallet)]
    );
    assert_eq!(list("?accountNumber=1234567890".into()).await, [id(&pse)]);
    assert_eq!(list(format!("?accountNumber={CLABE}")).await, [id(&spei)]);
    assert_eq!(list(format!("?address={EVM}")).await, [id(&wallet)]);
    assert_eq!(list("?externalId=s-1".into()).await, [id(&spei)]);
    assert_eq!(
        ids(json_of(get(&base, &token, "/api/v2/accounts/userId/user-2").await).await),
        [id(&wallet)]
    );
    assert_eq!(
        get(&base, &token, "/api/v2/accounts?type=SWIFT")
            .await
            .status(),
        400
    );
    let missing = get(&base, &token, "/api/v2/accounts/nope").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(json_of(missing).await["errorCode"], "ACCOUNT.0001");
    assert_eq!(
        json_of(get(&base, &token, &format!("/api/v2/accounts/{}", id(&spei))).await).await["externalId"],
        "s-1"
    );

    reaches(&base, &token, &id(&pse), "ACTIVE").await;
    let patch = |account: String, body: Value| {
        let (base, token) = (base.clone(), token.clone());
        async move {
            client()
                .patch(format!("{base}/api/v2/accounts/{account}"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let refused = [
        (json!({"data": {"firstName": "Other"}}), "data.firstName"),
        (json!({"type": "ACH", "data": {"bankCode": "001"}}), "type"),
        (json!({"data": {"bankCode": "999"}}), "data.bankCode"),
        (json!({"data": {}}), "data"),
    ];
    for (body, field) in refused {
        let answer = patch(id(&pse), body).await;
        assert_eq!(answer.status(), 400, "{field}");
        assert_eq!(json_of(answer).await["arguments"][0]["value"], field);
    }
    assert_eq!(
        patch("nope".into(), json!({"data": {"bankCode": "001"}}))
            .await
            .status(),
        404
    );
    let patched = patch(
        id(&pse),
        json!({"data": {"accountNumber": "9876543211", "bankCode": "051"}}),
    )
    .await;
    assert_eq!(patched.status(), 200);
    let patched = json_of(patched).await;
    assert_eq!(patched["status"], "PENDING");
    assert_eq!(patched["data"]["bankCode"], "051");
    assert_eq!(patched["data"]["firstName"], "Juan");
    reaches(&base, &token, &id(&pse), "REJECTED").await;

    reaches(&base, &token, &id(&wallet), "ACTIVE").await;
    let deleted = client()
        .delete(format!("{base}/api/v2/accounts/{}", id(&wallet)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(json_of(deleted).await["status"], "INACTIVE");
    assert_eq!(status_of(&base, &token, &id(&wallet)).await, "INACTIVE");
    assert_eq!(
        patch(id(&wallet), json!({"data": {"address": EVM}}))
            .await
            .status(),
        400
    );
    let missing = client()
        .delete(format!("{base}/api/v2/accounts/nope"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let announced = |hits: &[Hit], account: &Value, status: &str| {
        hits.iter()
            .map(Hit::json)
            .any(|e| e["data"]["id"] == account["id"] && e["data"]["status"] == status)
    };
    let hits = eventually(10, "delete and re-verification webhooks", || async {
        let hits = receiver.hits();
        (announced(&hits, &wallet, "INACTIVE") && announced(&hits, &pse, "REJECTED"))
            .then_some(hits)
    })
    .await;
    let pse_updates: Vec<String> = hits
        .iter()
        .map(Hit::json)
        .filter(|e| e["data"]["id"] == pse["id"] && e["action"] == "UPDATE")
        .map(|e| e["data"]["status"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(pse_updates, ["ACTIVE", "PENDING", "REJECTED"]);
}

#[tokio::test]
async fn account_webhooks_obey_callback_faults() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    register_accounts_hook(&base, &token, &receiver.url).await;
    let created: Value = client()
        .post(format!("{base}/api/v2/accounts"))
        .bearer_auth(&token)
        .header("X-Sandbox-Fault", "drop_callback")
        .json(&account("ACH", "dropped"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    reaches(&base, &token, &id, "ACTIVE").await;
    let path = format!("/_sandbox/orders/killb-accounts/{id}");
    let outcomes = eventually(10, "two dropped webhooks", || async {
        let order = sandbox_get(&base, &path).await;
        let outcomes: Vec<String> = order["callbacks"]
            .as_array()?
            .iter()
            .filter_map(|c| c["outcome"].as_str().map(str::to_owned))
            .collect();
        (outcomes.len() >= 2).then_some(outcomes)
    })
    .await;
    assert_eq!(outcomes, ["dropped", "dropped"]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(receiver.hits().is_empty());
}
