//! Fault injection per request (`X-Sandbox-Fault`) and per run (`/_sandbox/faults`, config), with
//! seeded randomness.

use std::time::{Duration, Instant};

use giro_sandbox::FaultSettings;
use serde_json::{Value, json};

use crate::cashy::{call, co_order};
use crate::common::*;
use crate::killb::{create, login, pse};

fn signed(base: &str, body: &str, fault: &str) -> reqwest::RequestBuilder {
    client()
        .post(format!("{base}/api/payOut"))
        .header("content-type", "application/json")
        .header("MerchantId", CO_MERCHANT)
        .header(
            "Sign",
            giro_sandbox::cashy::cashy_sign(body.as_bytes(), CO_KEY),
        )
        .header("X-Sandbox-Fault", fault)
        .body(body.to_owned())
}

#[tokio::test]
async fn error_5xx_happens_before_anything_is_stored() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let answer = client()
        .post(format!("{base}/api/v2/payouts"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k5")
        .header("X-Sandbox-Fault", "error_5xx")
        .json(&pse("k5", json!(1000)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 500);
    assert_eq!(answer.json::<Value>().await.unwrap()["statusCode"], "500");
    assert!(sandbox.registry().orders(&Default::default()).is_empty());
}

#[tokio::test]
async fn lost_response_stores_the_order_and_the_retry_finds_it() {
    let sandbox = start(config()).await;
    let killb = sandbox.killb_url().unwrap();
    let token = login(&killb).await;
    let lost = client()
        .post(format!("{killb}/api/v2/payouts"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "lost-1")
        .header("X-Sandbox-Fault", "lose_response")
        .json(&pse("lost-1", json!(1000)))
        .send()
        .await;
    assert!(lost.is_err(), "the connection closes without an answer");
    let retry: Value = create(&killb, &token, "lost-1", &pse("lost-1", json!(1000)))
        .await
        .json()
        .await
        .unwrap();
    let orders = sandbox.registry().orders(&Default::default());
    assert_eq!(
        orders.len(),
        1,
        "the lost request did create the payout, and only once"
    );
    assert_eq!(retry["id"].as_str().unwrap(), orders[0].order.order_id);
    assert_eq!(orders[0].submissions, 2);

    let cashy = sandbox.cashy_url().unwrap();
    let body = co_order("LOST-C", "500000", "http://127.0.0.1:9/cb");
    assert!(signed(&cashy, &body, "lose_response").send().await.is_err());
    let found = call(
        &cashy,
        "/api/payOutQuery",
        CO_MERCHANT,
        CO_KEY,
        r#"{"mchOrderNo":"LOST-C","nonceStr":"1"}"#,
    )
    .await;
    assert_eq!(found["code"], 200, "querying resolves the unknown outcome");
    let summary = sandbox.registry().summary();
    assert!(summary.exactly_once);
}

#[tokio::test]
async fn hang_response_outlives_the_client_timeout() {
    let sandbox = start(config()).await;
    let cashy = sandbox.cashy_url().unwrap();
    let body = co_order("HANG-1", "500000", "http://127.0.0.1:9/cb");
    let started = Instant::now();
    let answer = signed(&cashy, &body, "hang_response=5000")
        .timeout(Duration::from_millis(400))
        .send()
        .await;
    assert!(answer.is_err_and(|e| e.is_timeout()));
    assert!(started.elapsed() < Duration::from_secs(3));
    let found = call(
        &cashy,
        "/api/payOutQuery",
        CO_MERCHANT,
        CO_KEY,
        r#"{"mchOrderNo":"HANG-1","nonceStr":"1"}"#,
    )
    .await;
    assert_eq!(found["code"], 200);
}

#[tokio::test]
async fn latency_rate_limit_maintenance_and_bad_headers() {
    let sandbox = start(config()).await;
    let cashy = sandbox.cashy_url().unwrap();
    let body = co_order("LAT-1", "500000", "http://127.0.0.1:9/cb");
    let started = Instant::now();
    let answer: Value = signed(&cashy, &body, "latency=300")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(answer["code"], 200);
    let busy: Value = signed(
        &cashy,
        &co_order("RL-1", "500000", "http://127.0.0.1:9/cb"),
        "rate_limit",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(busy["msg"], "System_busy");
    let down: Value = signed(
        &cashy,
        &co_order("MT-1", "500000", "http://127.0.0.1:9/cb"),
        "maintenance",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(down["msg"], "System_Maintenance");
    let crash = signed(
        &cashy,
        &co_order("5X-1", "500000", "http://127.0.0.1:9/cb"),
        "error_5xx",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(crash.status(), 500);
    assert_eq!(crash.json::<Value>().await.unwrap()["msg"], "System_error");
    let typo = signed(&cashy, &body, "lose_respons").send().await.unwrap();
    assert_eq!(typo.status(), 400);
    assert!(
        typo.json::<Value>().await.unwrap()["sandbox_error"]
            .as_str()
            .unwrap()
            .contains("lose_respons")
    );

    let a55 = sandbox.a55_url().unwrap();
    let limited = client()
        .post(format!("{a55}/oauth2/token"))
        .header("X-Sandbox-Fault", "rate_limit")
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
}

/// Unix seconds now.
fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Asserts a 429 whose `X-RateLimit-*` and `Retry-After` agree with it: nothing remaining, a reset
/// within the next seconds, a retry after at least one second.
fn assert_exhausted(answer: &reqwest::Response, limit: &str, who: &str) {
    assert_eq!(answer.status(), 429, "{who}");
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("{who}: no {name} on the 429"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(header("x-ratelimit-limit"), limit, "{who}");
    assert_eq!(header("x-ratelimit-remaining"), "0", "{who}");
    let reset: u64 = header("x-ratelimit-reset").parse().unwrap();
    let now = now_unix();
    assert!(
        (now..=now + 3).contains(&reset),
        "{who}: reset {reset}, now {now}"
    );
    let retry_after: u64 = header("retry-after").parse().unwrap();
    assert!((1..=3).contains(&retry_after), "{who}: {retry_after}");
}

#[tokio::test]
async fn injected_rate_limits_carry_consistent_headers() {
    let sandbox = start(config()).await;
    let http = client();

    // KillB: the fault's 429 sits behind the real limiter, whose bucket is nearly full; the answer
    // must still say nothing is left.
    let killb = sandbox.killb_url().unwrap();
    let token = login(&killb).await;
    let banks = format!("{killb}/api/v2/banks?countryCode=CO");
    let limited = http
        .get(&banks)
        .bearer_auth(&token)
        .header("X-Sandbox-Fault", "rate_limit")
        .send()
        .await
        .unwrap();
    assert_exhausted(&limited, "100", "KillB fault");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["errorCode"], "RATE_LIMIT.0001");
    assert_eq!(body["statusCode"], "429");
    let payout = http
        .post(format!("{killb}/api/v2/payouts"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "rl-1")
        .header("X-Sandbox-Fault", "rate_limit")
        .json(&pse("rl-1", json!(1000)))
        .send()
        .await
        .unwrap();
    assert_exhausted(&payout, "100", "KillB fault on a payout");
    assert!(
        sandbox.registry().orders(&Default::default()).is_empty(),
        "a rate-limited payout is not processed"
    );
    // Without the fault the real bucket answers, with plenty left.
    let allowed = http.get(&banks).bearer_auth(&token).send().await.unwrap();
    assert_eq!(allowed.status(), 200);
    let remaining: u32 = allowed.headers()["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(remaining > 150, "{remaining}");
    assert!(allowed.headers().get("retry-after").is_none());

    // Run-wide, the same answer.
    http.post(format!("{killb}/_sandbox/faults"))
        .json(&json!({"rate_limit": 1.0}))
        .send()
        .await
        .unwrap();
    let run_wide = http.get(&banks).bearer_auth(&token).send().await.unwrap();
    assert_exhausted(&run_wide, "100", "KillB run-wide fault");

    // A55 (also under the run-wide setting, and per request once it is cleared).
    let a55 = sandbox.a55_url().unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", A55_CLIENT),
        ("client_secret", A55_SECRET),
        ("scope", "api/readwrite"),
    ];
    let limited = http
        .post(format!("{a55}/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_exhausted(&limited, "100", "A55 run-wide fault");
    http.post(format!("{killb}/_sandbox/faults"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let limited = http
        .post(format!("{a55}/api/v1/bank/wallet/charge/"))
        .bearer_auth("whatever")
        .header("X-Sandbox-Fault", "rate_limit")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_exhausted(&limited, "100", "A55 fault");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["message"][0]["code"], "errors.throttled");
    let granted = http
        .post(format!("{a55}/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 200, "the fault is gone");
}

#[tokio::test]
async fn run_wide_faults_via_the_endpoint() {
    let sandbox = start(config()).await;
    let cashy = sandbox.cashy_url().unwrap();
    let http = client();
    let set = |settings: Value| {
        http.post(format!("{cashy}/_sandbox/faults"))
            .json(&settings)
            .send()
    };
    assert_eq!(set(json!({"error_5xx": 1.5})).await.unwrap().status(), 400);
    assert_eq!(
        set(json!({"no_such_fault": 1})).await.unwrap().status(),
        400
    );
    let applied: Value = set(json!({"error_5xx": 1.0}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(applied["error_5xx"], 1.0);
    let body = co_order("RW-1", "500000", "http://127.0.0.1:9/cb");
    let crash = signed(&cashy, &body, "").send().await.unwrap();
    assert_eq!(crash.status(), 500);
    // The settings are shared: KillB fails too, and introspection is never faulted.
    let killb = sandbox.killb_url().unwrap();
    let login = http
        .post(format!("{killb}/api/v2/auth/login"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 500);
    assert_eq!(
        sandbox_get(&killb, "/_sandbox/faults").await["error_5xx"],
        1.0
    );
    set(json!({})).await.unwrap();
    assert_eq!(
        signed(&cashy, &body, "").send().await.unwrap().status(),
        200
    );
}

async fn statuses_with_seed(seed: u64) -> Vec<u16> {
    let mut config = config();
    config.seed = seed;
    config.faults = FaultSettings {
        error_5xx: 0.5,
        ..FaultSettings::default()
    };
    let sandbox = start(config).await;
    let a55 = sandbox.a55_url().unwrap();
    let mut statuses = Vec::new();
    for _ in 0..24 {
        let answer = client()
            .post(format!("{a55}/oauth2/token"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn seeded_randomness_replays_a_run() {
    let first = statuses_with_seed(42).await;
    assert_eq!(first, statuses_with_seed(42).await);
    assert!(first.contains(&500) && first.contains(&401), "{first:?}");
    assert_ne!(first, statuses_with_seed(7).await);
}

#[tokio::test]
async fn callback_faults_drop_duplicate_delay_and_reverse() {
    let sandbox = start(config()).await;
    let cashy = sandbox.cashy_url().unwrap();
    let receiver = Receiver::start(200, "SUCCESS").await;
    for (mch, fault) in [
        ("DROP", "drop_callback"),
        ("DUP", "duplicate_callback"),
        ("REV", "reverse_later"),
    ] {
        let answer: Value = signed(&cashy, &co_order(mch, "500000", &receiver.url), fault)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["code"], 200);
    }
    let started = Instant::now();
    signed(
        &cashy,
        &co_order("LATE", "500000", &receiver.url),
        "delay_callback=900",
    )
    .send()
    .await
    .unwrap();
    let hits = eventually(30, "late callback", || async {
        let hits = receiver.hits();
        hits.iter()
            .any(|h| h.json()["mchOrderNo"] == "LATE")
            .then_some(hits)
    })
    .await;
    let late = hits
        .iter()
        .find(|h| h.json()["mchOrderNo"] == "LATE")
        .unwrap();
    assert!(late.at.duration_since(started.into()) >= Duration::from_millis(900));
    let hits = receiver.wait_for(5, 30).await;
    let of = |mch: &str| {
        hits.iter()
            .map(Hit::json)
            .filter(|b| b["mchOrderNo"] == mch)
            .collect::<Vec<_>>()
    };
    assert!(of("DROP").is_empty());
    assert_eq!(of("DUP").len(), 2);
    assert_eq!(of("DUP")[0], of("DUP")[1]);
    let rev: Vec<Value> = of("REV").iter().map(|b| b["orderStatus"].clone()).collect();
    assert_eq!(rev, [json!("SUCCESS"), json!("FAIL")]);
    let dropped = sandbox.registry().orders(&giro_sandbox::OrderFilter {
        handle: Some("DROP".into()),
        ..Default::default()
    });
    assert_eq!(
        dropped[0].order.callbacks[0].outcome,
        giro_sandbox::CallbackOutcome::Dropped
    );
}

#[tokio::test]
async fn reordered_callbacks_deliver_the_final_status_first() {
    let mut config = config();
    let receiver = Receiver::start(200, "ok").await;
    if let Some(killb) = config.get_mut::<giro_sandbox::killb::KillbConfig>() {
        killb.webhook_url = Some(receiver.url.clone());
    }
    let sandbox = start(config).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    client()
        .post(format!("{base}/api/v2/payouts"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "ro")
        .header("X-Sandbox-Fault", "reorder_callbacks")
        .json(&pse("ro", json!(1000)))
        .send()
        .await
        .unwrap();
    let hits = receiver.wait_for(3, 30).await;
    let statuses: Vec<Value> = hits
        .iter()
        .map(|h| h.json()["data"]["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [json!("PENDING"), json!("COMPLETED"), json!("PROCESSING")]
    );
}
