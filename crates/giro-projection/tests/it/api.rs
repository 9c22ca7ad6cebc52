//! The query API: pagination, filters, stats, error answers, health, readiness and metrics.

use std::collections::HashSet;

use giro_domain::charge::{ChargeOutcome, ChargeStatus};
use giro_domain::payout::{PayoutCommand, ReportedOutcome};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use serde_json::Value;

use crate::common::*;

async fn assert_error(
    handle: &giro_projection::ProjectionHandle,
    path: &str,
    status: u16,
    code: &str,
) {
    let (got, body) = get(handle, path).await;
    assert_eq!(got, status, "GET {path}: {body}");
    let v: Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"));
    assert_eq!(v["error"]["code"], code, "GET {path}: {body}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test]
async fn pages_filters_and_stats_answer_from_the_read_models() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = start(&log, &schema).await;
    let success = [
        PayoutCommand::StartSubmission,
        report("ok", "SUCCESS", ReportedOutcome::Succeeded, None),
    ];
    for i in 0..3 {
        payout(&log, &format!("api-paid-{i}"), &success).await;
    }
    for i in 0..4 {
        payout(&log, &format!("api-open-{i}"), &[]).await;
    }
    caught_up(&log, &schema).await;

    let mut seen = HashSet::new();
    let mut path = "/v1/payouts?limit=3".to_string();
    let mut sizes = Vec::new();
    let mut created = Vec::new();
    loop {
        let page = get_json(&handle, &path).await;
        let items = page["items"].as_array().unwrap();
        sizes.push(items.len());
        for item in items {
            assert!(seen.insert(item["order_id"].as_str().unwrap().to_string()));
            // As instants: RFC 3339 text drops trailing zeros (`.722Z` is before `.722462Z`), so
            // the strings do not sort as the times do.
            let at: chrono::DateTime<chrono::Utc> =
                item["created_at"].as_str().unwrap().parse().unwrap();
            created.push(at);
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/payouts?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!((sizes, seen.len()), (vec![3, 3, 1], 7));
    let mut sorted = created.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(created, sorted, "newest first");

    let count = |v: Value| v["items"].as_array().unwrap().len();
    assert_eq!(
        count(get_json(&handle, "/v1/payouts?status=succeeded").await),
        3
    );
    assert_eq!(
        count(get_json(&handle, "/v1/payouts?status=requested&limit=500").await),
        4
    );
    assert_eq!(
        count(get_json(&handle, "/v1/payouts?provider=cashy-co").await),
        7
    );
    assert_eq!(
        count(get_json(&handle, "/v1/payouts?provider=killb").await),
        0
    );
    assert_eq!(
        count(get_json(&handle, "/v1/payouts?external_id=api-open-2").await),
        1
    );

    let stats = get_json(&handle, "/v1/stats?window=1h").await;
    assert_eq!(
        (stats["window"].as_str(), stats["total"].as_i64()),
        (Some("1h"), Some(7))
    );
    let status = |s: &str| {
        stats["by_status"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["status"] == s)
            .cloned()
            .unwrap()
    };
    assert_eq!(status("succeeded")["count"], 3);
    assert_eq!(status("succeeded")["amounts"][0]["amount"], "750000");
    assert_eq!(status("requested")["count"], 4);
    let cashy = &stats["by_provider"][0];
    assert_eq!(
        (cashy["provider"].as_str(), cashy["count"].as_i64()),
        (Some("cashy-co"), Some(7))
    );
    assert_eq!(
        (cashy["finished"].as_i64(), cashy["success_rate"].as_f64()),
        (Some(3), Some(1.0))
    );
    assert!(
        cashy["median_seconds_to_terminal"]
            .as_f64()
            .is_some_and(|m| m >= 0.0)
    );
    assert_eq!(cashy["by_status"]["succeeded"], 3);

    assert_eq!(get(&handle, "/healthz").await, (200, "ok".to_string()));
    let ready = get_json(&handle, "/readyz").await;
    assert_eq!(ready["ready"], true, "{ready}");
    let metrics = get(&handle, "/metrics").await.1;
    for line in [
        "giro_projection_lag_events 0",
        "giro_projection_events_applied_total",
    ] {
        assert!(metrics.contains(line), "{line} missing from {metrics}");
    }
    handle.stop().await;
}

/// Walks a list with `limit` and its cursors: the page sizes, the ids in order, `created_at`.
async fn walk(
    handle: &giro_projection::ProjectionHandle,
    list: &str,
    id: &str,
) -> (Vec<usize>, Vec<String>, Vec<chrono::DateTime<chrono::Utc>>) {
    let (mut sizes, mut ids, mut created) = (Vec::new(), Vec::new(), Vec::new());
    let mut path = list.to_string();
    loop {
        let page = get_json(handle, &path).await;
        let items = page["items"].as_array().unwrap();
        sizes.push(items.len());
        for item in items {
            ids.push(item[id].as_str().unwrap().to_string());
            // As instants: RFC 3339 text drops trailing zeros (`.722Z` is before `.722462Z`), so
            // the strings do not sort as the times do.
            let at: chrono::DateTime<chrono::Utc> =
                item["created_at"].as_str().unwrap().parse().unwrap();
            created.push(at);
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{list}&cursor={cursor}"),
            None => break,
        }
        assert!(sizes.len() < 100, "{list} never ends");
    }
    (sizes, ids, created)
}

/// The ids of a list's first page (a large one).
async fn listed(handle: &giro_projection::ProjectionHandle, path: &str, id: &str) -> Vec<String> {
    let page = get_json(handle, path).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[id].as_str().unwrap().to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn charges_and_beneficiaries_page_with_cursors_like_payouts() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = start(&log, &schema).await;
    let mut charges = Vec::new();
    let mut requested = Vec::new();
    for i in 0..7 {
        let then = if i % 2 == 0 {
            vec![cancel_charge()]
        } else {
            Vec::new()
        };
        let id = charge(&log, &format!("page-c{i}"), &then).await.to_string();
        if i % 2 == 1 {
            requested.push(id.clone());
        }
        charges.push(id);
    }
    let mut beneficiaries = Vec::new();
    let mut active = Vec::new();
    for i in 0..8 {
        let statuses: &[&str] = if i % 3 == 0 { &["ACTIVE"] } else { &[] };
        let id = beneficiary(&log, &format!("page-b{i}"), statuses)
            .await
            .to_string();
        if i % 3 == 0 {
            active.push(id.clone());
        }
        beneficiaries.push(id);
    }
    caught_up(&log, &schema).await;

    for (list, id, all, limit, sizes) in [
        (
            "/v1/charges?limit=3",
            "order_id",
            &charges,
            3,
            vec![3, 3, 1],
        ),
        ("/v1/charges?limit=7", "order_id", &charges, 7, vec![7]),
        ("/v1/charges?limit=1", "order_id", &charges, 1, vec![1; 7]),
        (
            "/v1/charges?status=requested&limit=2",
            "order_id",
            &requested,
            2,
            vec![2, 1],
        ),
        (
            "/v1/beneficiaries?limit=3",
            "beneficiary_id",
            &beneficiaries,
            3,
            vec![3, 3, 2],
        ),
        (
            "/v1/beneficiaries?limit=4",
            "beneficiary_id",
            &beneficiaries,
            4,
            vec![4, 4],
        ),
        (
            "/v1/beneficiaries?status=ACTIVE&limit=2",
            "beneficiary_id",
            &active,
            2,
            vec![2, 1],
        ),
    ] {
        let (got_sizes, ids, created) = walk(&handle, list, id).await;
        assert_eq!(got_sizes, sizes, "{list}: page sizes with limit {limit}");
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "{list}: a row listed twice: {ids:?}"
        );
        assert_eq!(sorted(ids), sorted(all.clone()), "{list}: every row once");
        let mut newest_first = created.clone();
        newest_first.sort_by(|a, b| b.cmp(a));
        assert_eq!(created, newest_first, "{list}: newest first");
    }
    handle.stop().await;
}

#[tokio::test]
async fn bad_requests_get_json_errors() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = start(&log, &schema).await;
    let unknown = uuid::Uuid::new_v4();
    // Charges in three statuses and beneficiaries in two, to check that every canonical status
    // filters (and only unknown ones are refused).
    let sub = charge_submitted();
    let paid = [
        sub.to_vec(),
        vec![charge_report("p", "paid", ChargeOutcome::Paid, None)],
    ]
    .concat();
    let paid = charge(&log, "bad-paid", &paid).await.to_string();
    let open = charge(&log, "bad-open", &[]).await.to_string();
    let cancelled = charge(&log, "bad-cancelled", &[cancel_charge()])
        .await
        .to_string();
    let active = beneficiary(&log, "bad-active", &["ACTIVE"])
        .await
        .to_string();
    let pending = beneficiary(&log, "bad-pending", &[]).await.to_string();
    caught_up(&log, &schema).await;
    for (path, want) in [
        ("/v1/charges?status=paid", vec![&paid]),
        ("/v1/charges?status=PAID&limit=500", vec![&paid]),
        ("/v1/charges?status=requested", vec![&open]),
        ("/v1/charges?status=cancelled", vec![&cancelled]),
        ("/v1/charges?status=authorized", vec![]),
        ("/v1/charges?status=chargeback", vec![]),
        ("/v1/beneficiaries?status=ACTIVE", vec![&active]),
        ("/v1/beneficiaries?status=pending", vec![&pending]),
        ("/v1/beneficiaries?status=INACTIVE", vec![]),
    ] {
        let id = if path.starts_with("/v1/beneficiaries") {
            "beneficiary_id"
        } else {
            "order_id"
        };
        let want: Vec<String> = want.into_iter().cloned().collect();
        assert_eq!(listed(&handle, path, id).await, want, "GET {path}");
    }
    for status in ChargeStatus::ALL {
        let path = format!("/v1/charges?status={}", status.as_str());
        assert_eq!(get(&handle, &path).await.0, 200, "GET {path}");
    }
    for kind in ["payouts", "charges", "beneficiaries"] {
        assert_error(&handle, &format!("/v1/{kind}/{unknown}"), 404, "not_found").await;
        assert_error(
            &handle,
            &format!("/v1/{kind}/{unknown}/events"),
            404,
            "not_found",
        )
        .await;
        assert_error(
            &handle,
            &format!("/v1/{kind}/not-a-uuid"),
            400,
            "invalid_parameter",
        )
        .await;
        for query in [
            "status=bogus",
            "limit=0",
            "limit=501",
            "limit=x",
            "cursor=zz",
            "colour=red",
        ] {
            assert_error(
                &handle,
                &format!("/v1/{kind}?{query}"),
                400,
                "invalid_parameter",
            )
            .await;
        }
    }
    for path in [
        "/v1/payouts?status=paid",
        "/v1/charges?status=succeeded",
        "/v1/charges?status=paid,requested",
        "/v1/beneficiaries?status=paid",
    ] {
        assert_error(&handle, path, 400, "invalid_parameter").await;
    }
    assert_error(
        &handle,
        "/v1/beneficiaries?provider=killb",
        400,
        "invalid_parameter",
    )
    .await;
    assert_error(
        &handle,
        "/v1/payouts?provider=Not%20A%20Provider",
        400,
        "invalid_parameter",
    )
    .await;
    assert_error(
        &handle,
        "/v1/stats?window=forever",
        400,
        "invalid_parameter",
    )
    .await;
    assert_error(&handle, "/v1/stats?window=400d", 400, "invalid_parameter").await;
    assert_error(&handle, "/v1/nothing", 404, "not_found").await;
    assert_eq!(get(&handle, &format!("/payouts/{unknown}")).await.0, 404);
    assert_eq!(get(&handle, "/payouts/%3Cscript%3E").await.0, 400);
    assert_eq!(get(&handle, "/?window=never").await.0, 400);
    handle.stop().await;
}

#[tokio::test]
async fn readiness_fails_while_the_stream_is_missing() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let mut config = config(&log, &schema);
    config.log.stream = format!("{}_MISSING", log.config.stream);
    let handle = giro_projection::start(config, log.client.clone())
        .await
        .unwrap();
    let (status, body) = get(&handle, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["ready"].as_bool(), v["postgres"].as_str()),
        (Some(false), Some("ok"))
    );
    assert!(v["nats"].as_str().unwrap().contains("MISSING"), "{body}");
    assert_eq!(get(&handle, "/healthz").await.0, 200);
    handle.stop().await;
}
