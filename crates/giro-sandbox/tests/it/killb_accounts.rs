//! KillB validation, balances and top-ups, listing, banks, pre-fund accounts and the rate limit.

use giro_sandbox::RateLimit;
use serde_json::{Value, json};

use crate::common::*;
use crate::killb::{create, get, login, pse};

#[tokio::test]
async fn validation_insufficient_balance_and_top_up() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let refused = |body: Value, field: &'static str| {
        let (base, token) = (base.clone(), token.clone());
        async move {
            let answer = create(&base, &token, &format!("v-{field}"), &body).await;
            assert_eq!(answer.status(), 400, "{field}");
            let error: Value = answer.json().await.unwrap();
            assert_eq!(error["arguments"][0]["value"], field, "{error}");
            assert_eq!(error["statusCode"], "400");
        }
    };
    let mut bad_bank = pse("x", json!(1000));
    bad_bank["beneficiary"]["account"]["bankCode"] = json!("999");
    refused(bad_bank, "beneficiary.account.bankCode").await;
    let mut no_last = pse("x", json!(1000));
    no_last["beneficiary"]["account"]
        .as_object_mut()
        .unwrap()
        .remove("lastName");
    refused(no_last, "beneficiary.account.lastName").await;
    let mut bad_type = pse("x", json!(1000));
    bad_type["beneficiary"]["account"]["type"] = json!("current");
    refused(bad_type, "beneficiary.account.type").await;
    refused(pse("x", json!("12.345")), "amount").await;
    refused(pse("x", json!(-5)), "amount").await;
    let mut breb = pse("x", json!(1000));
    breb["beneficiary"] = json!({"type": "BREB", "account": {
        "firstName": "Carlos", "lastName": "Lopez", "email": "c@example.com", "phone": "3109876543",
        "document": {"type": "CC", "number": "87654321"}, "aliasType": "NICKNAME", "alias": "3109876543", "countryCode": "CO"}});
    refused(breb.clone(), "beneficiary.account.aliasType").await;
    breb["beneficiary"]["account"]["aliasType"] = json!("PHONE");
    assert_eq!(create(&base, &token, "breb-ok", &breb).await.status(), 201);
    let malformed = client()
        .post(format!("{base}/api/v2/payouts"))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);

    let too_much = create(&base, &token, "big", &pse("big", json!(20_000_000))).await;
    assert_eq!(too_much.status(), 400);
    assert_eq!(
        too_much.json::<Value>().await.unwrap()["errorCode"],
        "BALANCE.0001"
    );
    let topped: Value = client()
        .post(format!(
            "{base}/_sandbox/killb/balances/prefund-cop-001/topup"
        ))
        .json(&json!({"amount": "15000000"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(topped["amount"], "24999000.00");
    assert_eq!(
        create(&base, &token, "big", &pse("big", json!(20_000_000)))
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn listing_filters_and_pages_banks_and_prefund_accounts() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    for n in 0..5 {
        create(
            &base,
            &token,
            &format!("l-{n}"),
            &pse(&format!("ext-{n}"), json!(1000 + n * 100)),
        )
        .await;
    }
    let page: Value = get(&base, &token, "/api/v2/payouts?limit=2&page=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalPage"], 3);
    assert_eq!(page["payouts"].as_array().unwrap().len(), 2);
    let one: Value = get(&base, &token, "/api/v2/payouts?externalId=ext-3")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["payouts"].as_array().unwrap().len(), 1);
    let id = one["payouts"][0]["id"].as_str().unwrap();
    let by_id: Value = get(&base, &token, &format!("/api/v2/payouts?id={id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_id["payouts"][0]["externalId"], "ext-3");
    let pending: Value = get(&base, &token, "/api/v2/payouts?status=PENDING&limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        pending["payouts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "PENDING")
    );
    assert_eq!(
        get(&base, &token, "/api/v2/payouts?limit=0").await.status(),
        400
    );
    assert_eq!(
        get(&base, &token, "/api/v2/payouts/does-not-exist")
            .await
            .status(),
        404
    );

    let banks: Value = get(&base, &token, "/api/v2/banks?countryCode=CO")
        .await
        .json()
        .await
        .unwrap();
    let first = &banks[0];
    assert!(
        first["code"].is_string()
            && first["companyName"].is_string()
            && first["tradeName"].is_string()
    );
    assert_eq!(first["countryCode"], "CO");
    assert!(banks.as_array().unwrap().iter().any(|b| b["code"] == "001"));

    let account: Value = client()
        .post(format!("{base}/api/v2/customers/pre-fund/create"))
        .bearer_auth(&token)
        .json(&json!({"currency": "USDC", "network": "POLYGON"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["currency"], "USDC");
    let balances: Value = get(&base, &token, "/api/v2/customers/balances")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        balances
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["accountId"] == account["id"] && b["amount"] == "0.00")
    );
    let bad = client()
        .post(format!("{base}/api/v2/customers/pre-fund/create"))
        .bearer_auth(&token)
        .json(&json!({"currency": "USDT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400, "USDT needs a network");
}

#[tokio::test]
async fn rate_limit_answers_429_with_headers() {
    let mut config = config();
    if let Some(killb) = config.killb.as_mut() {
        killb.rate_limit = Some(RateLimit {
            per_second: 2,
            burst: 5,
        });
    }
    let sandbox = start(config).await;
    let base = sandbox.killb_url().unwrap();
    let http = client();
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..12 {
        let answer = http
            .get(format!("{base}/api/v2/banks?countryCode=CO"))
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
        if answer.status() == 429 {
            limited = Some(answer);
        }
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let limited = limited.unwrap();
    let header = |name: &str| {
        limited
            .headers()
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(header("x-ratelimit-limit"), "2");
    assert_eq!(header("x-ratelimit-remaining"), "0");
    assert!(header("x-ratelimit-reset").parse::<u64>().unwrap() > 1_700_000_000);
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["statusCode"], "429");
    // Introspection is never rate limited.
    assert!(sandbox_get(&base, "/_sandbox/summary").await.is_object());
}
