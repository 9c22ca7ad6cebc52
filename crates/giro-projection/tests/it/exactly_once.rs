//! Exactly-once application: instances killed mid-run and restarted, and several instances at
//! once, leave every stream message applied once and every row equal to its events.

use std::time::Duration;

use giro_domain::OrderId;
use giro_domain::payout::{PayoutCommand, PayoutDecider, ReportedOutcome};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;

use crate::common::*;

/// Payouts with 1 to 6 events each.
async fn produce(log: &TestLog, tag: &str, orders: usize) -> Vec<OrderId> {
    let mut ids = Vec::with_capacity(orders);
    for i in 0..orders {
        let mut then = Vec::new();
        if i % 6 >= 1 {
            then.push(PayoutCommand::StartSubmission);
        }
        if i % 6 >= 2 {
            then.push(PayoutCommand::RecordSubmitted {
                attempt: 1,
                provider_ref: Some(format!("P{i}")),
                raw_status: None,
            });
        }
        if i % 6 >= 3 {
            then.push(report(
                &format!("r{i}"),
                "SUCCESS",
                ReportedOutcome::Succeeded,
                None,
            ));
        }
        if i % 6 >= 5 {
            then.push(report(
                &format!("x{i}"),
                "FAIL",
                ReportedOutcome::Failed,
                Some("returned"),
            ));
        }
        ids.push(payout(log, &format!("{tag}-{i}"), &then).await);
    }
    ids
}

/// Every stream message is in a timeline exactly once, and every row is what its events say.
async fn assert_exactly_once(log: &TestLog, schema: &TestSchema, ids: &[OrderId]) {
    let last = stream_last(log).await;
    let sequences: Vec<i64> =
        sqlx::query_scalar("SELECT sequence FROM payout_events ORDER BY sequence")
            .fetch_all(&schema.pool)
            .await
            .unwrap();
    assert_eq!(
        sequences,
        (1..=last as i64).collect::<Vec<_>>(),
        "timeline sequences"
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM payouts")
        .fetch_one(&schema.pool)
        .await
        .unwrap();
    assert_eq!(rows as usize, ids.len());
    for id in ids {
        let loaded = log.log.load::<PayoutDecider>(*id).await.unwrap();
        let p = loaded.state.unwrap();
        let (status, version): (String, i64) =
            sqlx::query_as("SELECT status, version FROM payouts WHERE order_id = $1")
                .bind(id.as_uuid())
                .fetch_one(&schema.pool)
                .await
                .unwrap();
        assert_eq!(
            (status.as_str(), version as u64),
            (p.status.as_str(), p.version),
            "{id}"
        );
    }
}

#[tokio::test]
async fn instances_killed_mid_run_and_restarted_apply_every_event_once() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let ids = produce(&log, "crash", 90).await;
    let last = stream_last(&log).await;
    let mut config = config(&log, &schema);
    config.batch_size = 7;
    let mut kills = 0;
    let mut seen = 0;
    while kills < 4 {
        let handle = giro_projection::start(config.clone(), log.client.clone())
            .await
            .unwrap();
        // Kill the instance as soon as it has committed something new: it is then most likely
        // inside its next transaction.
        for _ in 0..2_000 {
            let now = checkpoint(&schema).await;
            if now > seen {
                seen = now;
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(handle);
        kills += 1;
        assert!(
            seen < last,
            "the run ended before the last kill; produce more events"
        );
    }
    let handle = giro_projection::start(config, log.client.clone())
        .await
        .unwrap();
    caught_up(&log, &schema).await;
    assert_exactly_once(&log, &schema, &ids).await;
    handle.stop().await;
}

fn applied(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("giro_projection_events_applied_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no events_applied in {metrics}"))
}

#[tokio::test]
async fn two_instances_at_once_apply_every_event_once_between_them() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let mut config = config(&log, &schema);
    config.batch_size = 5;
    let a = giro_projection::start(config.clone(), log.client.clone())
        .await
        .unwrap();
    let b = giro_projection::start(config, log.client.clone())
        .await
        .unwrap();
    let ids = produce(&log, "pair", 60).await;
    caught_up(&log, &schema).await;
    assert_exactly_once(&log, &schema, &ids).await;
    let total = applied(&get(&a, "/metrics").await.1) + applied(&get(&b, "/metrics").await.1);
    assert_eq!(
        total,
        stream_last(&log).await,
        "events applied by the two instances together"
    );
    a.stop().await;
    b.stop().await;
}
