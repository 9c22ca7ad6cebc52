//! Introspection: submissions per handle, status history, callback attempts, and the summary a chaos
//! test checks in one call.

use std::time::Duration;

use giro_sandbox::FaultSettings;
use serde_json::{Value, json};

use crate::cashy::co_order;
use crate::common::*;
use crate::killb::{create, login, pse};

/// A well-behaved client under chaos: on any doubt it queries, and resubmits only what is not there.
#[tokio::test]
async fn a_careful_client_under_chaos_pays_every_order_exactly_once() {
    let mut config = config();
    config.seed = 2024;
    config.faults = FaultSettings {
        lose_response: 0.3,
        error_5xx: 0.1,
        drop_callback: 0.1,
        ..FaultSettings::default()
    };
    let sandbox = start(config).await;
    let base = sandbox.cashy_url().unwrap();
    let http = client();
    let send = |path: &str, body: String| {
        http.post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .header("MerchantId", CO_MERCHANT)
            .header(
                "Sign",
                giro_sandbox::cashy::cashy_sign(body.as_bytes(), CO_KEY),
            )
            .body(body)
            .send()
    };
    let mut doubts = 0;
    for n in 0..15 {
        let mch = format!("CHAOS-{n}");
        loop {
            let created = match send(
                "/api/payOut",
                co_order(&mch, "500000", "http://127.0.0.1:9/cb"),
            )
            .await
            {
                Ok(answer) if answer.status() == 200 => answer.json::<Value>().await.ok(),
                _ => None,
            };
            if created.is_some_and(|c| c["code"] == 200) {
                break;
            }
            doubts += 1;
            let query = send(
                "/api/payOutQuery",
                format!(r#"{{"mchOrderNo":"{mch}","nonceStr":"1"}}"#),
            )
            .await;
            let known = match query {
                Ok(answer) if answer.status() == 200 => {
                    answer.json::<Value>().await.ok().map(|q| q["code"] == 200)
                }
                _ => None,
            };
            if known == Some(true) {
                break;
            }
        }
    }
    let summary = sandbox_get(&base, "/_sandbox/summary").await;
    assert_eq!(summary["providers"]["cashy-co"]["orders"], 15, "{summary}");
    assert_eq!(summary["exactly_once"], true, "{summary}");
    assert_eq!(summary["at_most_once"], true);
    assert!(
        doubts >= 3,
        "the faults did fire ({doubts} unclear outcomes)"
    );
    assert!(
        summary["submissions"].as_u64().unwrap() > 15,
        "some orders were resubmitted"
    );
}

#[tokio::test]
async fn a_careless_client_is_caught_paying_twice() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    // Two keys for one business payout: KillB creates two.
    create(&base, &token, "attempt-1", &pse("invoice-9", json!(1000))).await;
    create(&base, &token, "attempt-2", &pse("invoice-9", json!(1000))).await;
    let summary = sandbox_get(&base, "/_sandbox/summary").await;
    assert_eq!(summary["at_most_once"], false);
    assert_eq!(
        summary["external_ids_created_more_than_once"],
        json!(["killb:invoice-9"])
    );
    let orders = sandbox_get(&base, "/_sandbox/orders?external_id=invoice-9").await;
    assert_eq!(orders.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_order_shows_its_history_and_every_callback_answer() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let receiver = Receiver::start(500, "not yet").await;
    crate::cashy::call(
        &base,
        "/api/payOut",
        CO_MERCHANT,
        CO_KEY,
        &co_order("HIST-1", "500000", &receiver.url),
    )
    .await;
    receiver.wait_for(2, 30).await;
    receiver.answer_with(200, "SUCCESS");
    let report = eventually(60, "acknowledged callback", || async {
        let orders = sandbox_get(&base, "/_sandbox/orders?handle=HIST-1").await;
        let order = orders[0].clone();
        let acked = order["callbacks"]
            .as_array()?
            .iter()
            .any(|a| a["outcome"] == "acknowledged");
        acked.then_some(order)
    })
    .await;
    let history: Vec<Value> = report["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].clone())
        .collect();
    assert_eq!(
        history,
        [
            json!("PROCESSING"),
            json!("WAITING"),
            json!("PAYING"),
            json!("SUCCESS")
        ]
    );
    assert_eq!(report["submissions"], 1);
    assert_eq!(report["orders_for_handle"], 1);
    let attempts = report["callbacks"].as_array().unwrap();
    assert_eq!(attempts[0]["http_status"], 500);
    assert_eq!(attempts[0]["body"], "not yet");
    assert!(attempts[0]["at"].is_string());
    assert_eq!(attempts.last().unwrap()["body"], "SUCCESS");
    let order_no = report["order_id"].as_str().unwrap();
    let one = sandbox_get(&base, &format!("/_sandbox/orders/cashy-co/{order_no}")).await;
    assert_eq!(one["handle"], "HIST-1");
    let missing = client()
        .get(format!("{base}/_sandbox/orders/cashy-co/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let summary = sandbox.registry().summary();
    assert!(summary.providers["cashy-co"].callbacks["acknowledged"] >= 1);
}

#[tokio::test]
async fn dropping_the_sandbox_stops_its_callbacks() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let receiver = Receiver::start(500, "no").await;
    crate::cashy::call(
        &base,
        "/api/payOut",
        CO_MERCHANT,
        CO_KEY,
        &co_order("STOP-1", "500000", &receiver.url),
    )
    .await;
    receiver.wait_for(2, 30).await;
    drop(sandbox);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let count = receiver.hits().len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.hits().len(),
        count,
        "no callback after the sandbox is gone"
    );
    assert!(
        client()
            .get(format!("{base}/_sandbox/summary"))
            .send()
            .await
            .is_err(),
        "the server is gone"
    );
}
