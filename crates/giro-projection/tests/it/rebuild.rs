//! A rebuild gives identical tables, and an instance running during it carries on in the new ones.

use giro_domain::payout::{PayoutCommand, ReportedOutcome};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;

use crate::common::*;

/// Every read-model table as JSON text, in key order (checkpoint times left out).
async fn snapshot(schema: &TestSchema) -> Vec<String> {
    let tables = [
        ("payouts", "order_id"),
        ("payout_events", "order_id, version"),
        ("charges", "order_id"),
        ("charge_events", "order_id, version"),
        ("beneficiaries", "beneficiary_id"),
        ("beneficiary_events", "beneficiary_id, version"),
    ];
    let mut out = Vec::new();
    for (table, key) in tables {
        let sql = format!("SELECT coalesce(json_agg(t ORDER BY {key})::text, '[]') FROM {table} t");
        let text: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&schema.pool)
            .await
            .unwrap();
        out.push(format!("{table}: {text}"));
    }
    out.push(format!("checkpoint: {}", checkpoint(schema).await));
    out
}

#[tokio::test]
async fn a_rebuild_gives_identical_tables_and_live_instances_follow_it() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    for i in 0..12 {
        let mut then = vec![PayoutCommand::StartSubmission];
        if i % 3 == 0 {
            then.push(report(
                &format!("s{i}"),
                "SUCCESS",
                ReportedOutcome::Succeeded,
                None,
            ));
        }
        if i % 4 == 0 {
            then.push(report(
                &format!("f{i}"),
                "FAIL",
                ReportedOutcome::Failed,
                Some("reversed"),
            ));
        }
        payout(&log, &format!("rebuild-{i}"), &then).await;
    }
    // A corrupt log: an (order, version) stored twice. Live and rebuilt tables keep the first.
    let repeated = payout(&log, "rebuild-repeated", &[PayoutCommand::StartSubmission]).await;
    let twice = serde_json::json!({"id": uuid::Uuid::new_v4(), "type": "payout.held",
        "order_id": repeated, "version": 2, "at": chrono::Utc::now(),
        "meta": {"correlation_id": "x"}, "data": {"reason": "a second version 2"}});
    async_nats::jetstream::new(log.client.clone())
        .publish(
            format!("{}.evt.payout.{repeated}", log.config.prefix),
            twice.to_string().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    charge(&log, "rebuild-charge", &[cancel_charge()]).await;
    beneficiary(&log, "rebuild-benef", &["ACTIVE", "INACTIVE"]).await;
    let live = start(&log, &schema).await;
    caught_up(&log, &schema).await;
    let before = snapshot(&schema).await;

    let summary = giro_projection::rebuild(&config(&log, &schema), log.client.clone())
        .await
        .unwrap();
    assert_eq!(summary.messages, stream_last(&log).await);
    assert_eq!(summary.last_sequence, stream_last(&log).await);
    assert_eq!(
        (summary.payouts, summary.charges, summary.beneficiaries),
        (13, 1, 1)
    );
    assert_eq!(snapshot(&schema).await, before, "rebuilt tables differ");

    // The live instance kept running through the swap and projects new events into the new tables.
    let after = payout(&log, "after-rebuild", &[PayoutCommand::StartSubmission]).await;
    caught_up(&log, &schema).await;
    assert_eq!(
        get_json(&live, &format!("/v1/payouts/{after}")).await["status"],
        "submitting"
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM payouts")
        .fetch_one(&schema.pool)
        .await
        .unwrap();
    assert_eq!(rows, 14);
    live.stop().await;
}

#[tokio::test]
async fn the_bench_entry_point_runs_on_a_small_stream() {
    let args = giro_projection::bench::BenchArgs {
        events: 3_000,
        nats_url: giro_eventlog::test_support::nats_url(),
        database_url: giro_projection::test_support::database_url(),
    };
    let client = async_nats::connect(giro_eventlog::test_support::nats_url())
        .await
        .unwrap();
    let before = bench_streams(&client).await;
    let report = giro_projection::bench::catch_up(&args).await.unwrap();
    assert_eq!(report.events, 3_000);
    assert_eq!(report.rebuild.messages, 3_000);
    assert_eq!(report.rebuild.payouts, 300);
    assert!(report.rebuild.events_per_second() > 0.0);
    // It leaves no stream behind (the events' nor the dead letters' the event log provisions).
    let after = bench_streams(&client).await;
    assert!(
        after.is_subset(&before),
        "left behind: {:?}",
        after.difference(&before)
    );
}

async fn bench_streams(client: &async_nats::Client) -> std::collections::BTreeSet<String> {
    let names = client
        .request("$JS.API.STREAM.NAMES", "{}".into())
        .await
        .unwrap();
    let names: serde_json::Value = serde_json::from_slice(&names.payload).unwrap();
    names["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .filter(|n| n.starts_with("GIRO_BENCH_PROJ_"))
        .map(str::to_string)
        .collect()
}

/// How many audit rows the schema's live tables hold.
async fn audit_rows(schema: &TestSchema) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit")
        .fetch_one(&schema.pool)
        .await
        .unwrap()
}

async fn audit_rows_reach(schema: &TestSchema, want: i64) {
    for _ in 0..200 {
        if audit_rows(schema).await >= want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(audit_rows(schema).await, want);
}

#[tokio::test]
async fn a_rebuild_keeps_the_audit_of_operator_actions_and_the_follower_adds_to_it() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let js = async_nats::jetstream::new(log.client.clone());
    let audit = giro_eventlog::AuditLog::open(&js, &log.config)
        .await
        .unwrap();
    let record = |action: &str, operator: &str| giro_eventlog::AuditRecord {
        at: chrono::Utc::now(),
        action: action.to_string(),
        operator: Some(operator.to_string()),
        order_id: None,
        outcome: giro_eventlog::AuditOutcome::Allowed,
        code: None,
        reason: Some("checked with the provider".to_string()),
        events: vec![],
    };
    audit
        .append(&record("payout.resolve", "olga"))
        .await
        .unwrap();
    audit.append(&record("payout.retry", "olga")).await.unwrap();
    payout(&log, "audited", &[PayoutCommand::StartSubmission]).await;
    let live = start(&log, &schema).await;
    caught_up(&log, &schema).await;
    audit_rows_reach(&schema, 2).await;

    giro_projection::rebuild(&config(&log, &schema), log.client.clone())
        .await
        .unwrap();
    // In the new tables as soon as the rebuild returns, not at the projection's next start.
    assert_eq!(
        audit_rows(&schema).await,
        2,
        "the audit was lost by the rebuild"
    );
    // And the running follower goes on writing into them.
    audit
        .append(&record("payout.approve", "carla"))
        .await
        .unwrap();
    audit_rows_reach(&schema, 3).await;
    let operators: Vec<String> = sqlx::query_scalar("SELECT operator FROM audit ORDER BY seq")
        .fetch_all(&schema.pool)
        .await
        .unwrap();
    assert_eq!(operators, ["olga", "olga", "carla"]);
    live.stop().await;
}
