//! The console (issue #18): list pages and the query API filtered by search, amount range and
//! creation dates with paging, the charge and beneficiary pages, the exceptions page, and the
//! series the overview's charts draw.

use giro_domain::payout::{PayoutCommand, ReportedOutcome};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use serde_json::Value;

use crate::common::*;

/// A payout of `amount` COP that succeeded.
async fn paid(log: &TestLog, key: &str, amount: &str) -> giro_domain::OrderId {
    let mut body = payout_body(key, key);
    body["amount"] = Value::String(amount.into());
    let (id, create) = create_payout(&body);
    log.log
        .execute::<giro_domain::payout::PayoutDecider>(id, &create, &meta(), true)
        .await
        .unwrap();
    for command in [
        PayoutCommand::StartSubmission,
        report(
            &format!("r-{key}"),
            "SUCCESS",
            ReportedOutcome::Succeeded,
            None,
        ),
    ] {
        log.log
            .execute::<giro_domain::payout::PayoutDecider>(id, &command, &meta(), false)
            .await
            .unwrap();
    }
    id
}

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["order_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_filter_by_search_amount_and_dates_and_pages_agree_with_the_api() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let small = paid(&log, "c-small", "15000").await;
    let middle = paid(&log, "c-middle", "250000.50").await;
    let large = paid(&log, "c-large", "4000000").await;
    let handle = start(&log, &schema).await;
    caught_up(&log, &schema).await;

    let v = get_json(
        &handle,
        "/v1/payouts?min_amount=15000.01&max_amount=4000000",
    )
    .await;
    assert_eq!(ids(&v), [large.to_string(), middle.to_string()], "{v}");
    let v = get_json(&handle, "/v1/payouts?max_amount=250000.50").await;
    assert_eq!(ids(&v), [middle.to_string(), small.to_string()], "{v}");
    let v = get_json(&handle, &format!("/v1/payouts?q={small}")).await;
    assert_eq!(ids(&v), [small.to_string()], "{v}");
    let v = get_json(&handle, "/v1/payouts?q=c-large").await;
    assert_eq!(ids(&v), [large.to_string()], "{v}");
    let today = chrono::Utc::now().date_naive();
    let v = get_json(&handle, &format!("/v1/payouts?from={today}&to={today}")).await;
    assert_eq!(ids(&v).len(), 3, "{v}");
    let tomorrow = today.succ_opt().unwrap();
    let v = get_json(&handle, &format!("/v1/payouts?from={tomorrow}")).await;
    assert!(ids(&v).is_empty(), "{v}");

    // The page: the same rows, the filter kept in the form, the next page linked.
    let (status, html) = get(
        &handle,
        "/payouts?status=succeeded&min_amount=15000.01&limit=1",
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(&large.to_string()), "{html}");
    assert!(!html.contains(&middle.to_string()), "{html}");
    assert!(html.contains("value=\"15000.01\""), "{html}");
    let next = html
        .split("id=\"next-page\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no next page link in {html}"))
        .replace("&amp;", "&");
    let (status, second) = get(&handle, &next).await;
    assert_eq!(status, 200, "{next}: {second}");
    assert!(second.contains(&middle.to_string()), "{second}");
    assert!(!second.contains("id=\"next-page\""), "{second}");
    let (status, refused) = get(&handle, "/payouts?min_amount=1e5").await;
    assert_eq!(status, 400);
    assert!(refused.contains("min_amount"), "{refused}");

    // The payout's own page links back to the list; the exceptions page answers.
    let (status, page) = get(&handle, &format!("/payouts/{middle}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/payouts\""), "{page}");
    let (status, exceptions) = get(&handle, "/exceptions").await;
    assert_eq!(status, 200);
    assert!(exceptions.contains("id=\"no-exceptions\""), "{exceptions}");

    // The series: three created and three succeeded within the last hour, one provider.
    let s = get_json(&handle, "/v1/stats/series?window=1h").await;
    assert_eq!(s["step_seconds"], 60, "{s}");
    assert_eq!(s["times"].as_array().unwrap().len(), 60);
    let sum = |name: &str| -> i64 {
        s["by_status"][name]
            .as_array()
            .unwrap_or_else(|| panic!("no {name} series in {s}"))
            .iter()
            .map(|n| n.as_i64().unwrap())
            .sum()
    };
    assert_eq!((sum("created"), sum("succeeded")), (3, 3), "{s}");
    let latency = &s["latency"][0];
    assert_eq!(latency["provider"], "cashy-co", "{s}");
    assert_eq!(latency["finished"], 3, "{s}");
    assert!(latency["p99_seconds"].as_f64().unwrap() >= 0.0, "{s}");
    let rates: Vec<f64> = s["success_rate"]["cashy-co"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert!(!rates.is_empty() && rates.iter().all(|r| *r == 1.0), "{s}");

    // The overview embeds the charts and serves their scripts.
    let (status, overview) = get(&handle, "/").await;
    assert_eq!(status, 200);
    assert!(
        overview.contains("id=\"chart-by-status\"") && overview.contains("/assets/console.js"),
        "{overview}"
    );
    let (status, script) = get(&handle, "/assets/uPlot.iife.min.js").await;
    assert_eq!(status, 200);
    assert!(script.contains("uPlot"), "{}", &script[..100]);
}

#[tokio::test]
async fn charge_and_beneficiary_pages_show_their_fields_and_timeline() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let charge_id = charge(&log, "c-page", &charge_submitted()).await;
    let beneficiary_id = beneficiary(&log, "b-page", &["ACTIVE"]).await;
    let handle = start(&log, &schema).await;
    caught_up(&log, &schema).await;
    let (status, page) = get(&handle, &format!("/charges/{charge_id}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"field-status\""), "{page}");
    assert!(page.contains("charge.requested"), "{page}");
    let (status, page) = get(&handle, &format!("/beneficiaries/{beneficiary_id}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("ACTIVE"), "{page}");
    let (status, list) = get(&handle, "/beneficiaries?status=ACTIVE").await;
    assert_eq!(status, 200);
    assert!(list.contains(&beneficiary_id.to_string()), "{list}");
    let (status, list) = get(&handle, "/charges").await;
    assert_eq!(status, 200);
    assert!(list.contains(&charge_id.to_string()), "{list}");
}
