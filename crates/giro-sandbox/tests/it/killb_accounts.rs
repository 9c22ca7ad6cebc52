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
    // Odd payouts end in 19 (stuck in PROCESSING for ever), even ones complete: after a short wait
    // both status filters have something to find and something to leave out.
    for n in 0..5 {
        let amount = 1000 + n * 100 + if n % 2 == 1 { 19 } else { 0 };
        let answer = create(
            &base,
            &token,
            &format!("l-{n}"),
            &pse(&format!("ext-{n}"), json!(amount)),
        )
        .await;
        assert_eq!(answer.status(), 201);
    }
    let external_ids = |list: &Value, status: &str| -> Vec<String> {
        let payouts = list["payouts"].as_array().unwrap();
        assert!(
            payouts.iter().all(|p| p["status"] == status),
            "?status={status} returned {list}"
        );
        let mut ids: Vec<String> = payouts
            .iter()
            .map(|p| p["externalId"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let completed = eventually(30, "the even payouts to complete", || async {
        let list: Value = get(&base, &token, "/api/v2/payouts?status=COMPLETED&limit=100")
            .await
            .json()
            .await
            .unwrap();
        (list["payouts"].as_array().unwrap().len() >= 3).then_some(list)
    })
    .await;
    assert_eq!(
        external_ids(&completed, "COMPLETED"),
        ["ext-0", "ext-2", "ext-4"]
    );
    let processing: Value = get(&base, &token, "/api/v2/payouts?status=PROCESSING&limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(external_ids(&processing, "PROCESSING"), ["ext-1", "ext-3"]);
    assert_eq!(processing["totalPage"], 1);
    let pending: Value = get(&base, &token, "/api/v2/payouts?status=PENDING&limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        external_ids(&pending, "PENDING").is_empty(),
        "every payout has left PENDING: {pending}"
    );
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
    if let Some(killb) = config.get_mut::<giro_sandbox::killb::KillbConfig>() {
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

/// What one answer of a burst said.
struct Limited {
    status: u16,
    limit: String,
    remaining: u32,
    reset: u64,
    retry_after: Option<u64>,
}

#[tokio::test]
async fn default_sandbox_limit_is_100_per_second_with_a_burst_of_200() {
    // The default configuration, as `giro sandbox` and `KillbConfig::new` start it.
    assert_eq!(
        giro_sandbox::killb::KillbConfig::new("e", "p", "s").rate_limit,
        Some(RateLimit {
            per_second: 100,
            burst: 200,
        })
    );
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await; // takes one token of the 200
    let http = client();
    let url = format!("{base}/api/v2/banks?countryCode=CO");
    let started = std::time::Instant::now();
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..260 {
        let request = http.get(&url).bearer_auth(&token);
        burst.spawn(async move {
            let answer = request.send().await.unwrap();
            let header = |name: &str| {
                answer
                    .headers()
                    .get(name)
                    .unwrap_or_else(|| panic!("no {name} on a {}", answer.status()))
                    .to_str()
                    .unwrap()
                    .to_owned()
            };
            Limited {
                status: answer.status().as_u16(),
                limit: header("x-ratelimit-limit"),
                remaining: header("x-ratelimit-remaining").parse().unwrap(),
                reset: header("x-ratelimit-reset").parse().unwrap(),
                retry_after: answer
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().parse().unwrap()),
            }
        });
    }
    let answers = burst.join_all().await;
    let elapsed = started.elapsed().as_secs_f64();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();

    let (allowed, refused): (Vec<&Limited>, Vec<&Limited>) =
        answers.iter().partition(|a| a.status == 200);
    assert_eq!(
        allowed.len() + refused.len(),
        260,
        "every answer is a 200 or a 429"
    );
    assert!(refused.iter().all(|a| a.status == 429));
    // The burst: the 199 tokens left after the login all pass at once; the rate: at most 100 more
    // per second of the burst (plus rounding) pass on top of the 200.
    let ceiling = 200.0 + 100.0 * elapsed + 2.0;
    assert!(
        allowed.len() >= 199 && (allowed.len() as f64) <= ceiling,
        "{} of 260 allowed in {elapsed:.3} s (at most {ceiling:.0})",
        allowed.len()
    );
    assert!(
        !refused.is_empty(),
        "260 requests in {elapsed:.3} s exceed a burst of 200 at 100/s"
    );

    // X-RateLimit-* on every answer, allowed or refused.
    for answer in &answers {
        assert_eq!(answer.limit, "100");
        assert!(
            answer.reset + 1 >= now && answer.reset <= now + 2,
            "reset {} at {now}",
            answer.reset
        );
    }
    assert!(
        allowed
            .iter()
            .all(|a| a.remaining <= 199 && a.retry_after.is_none())
    );
    let most = allowed.iter().map(|a| a.remaining).max().unwrap();
    let least = allowed.iter().map(|a| a.remaining).min().unwrap();
    assert!(most >= 190, "the first answers see a full bucket: {most}");
    assert_eq!(least, 0, "the bucket was drained before the first 429");
    assert!(
        refused
            .iter()
            .all(|a| a.remaining == 0 && a.retry_after.is_some_and(|s| s >= 1))
    );
}
