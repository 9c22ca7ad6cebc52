//! Exactly-once application: instances killed mid-run and restarted, and several instances at
//! once, leave every stream message applied once and every row equal to its events.

use std::time::Duration;

use giro_domain::OrderId;
use giro_domain::beneficiary::BeneficiaryDecider;
use giro_domain::charge::{ChargeDecider, ChargeOutcome};
use giro_domain::payout::{PayoutCommand, PayoutDecider, ReportedOutcome};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use giro_projection::test_support::faults::{Fault, fail_between_rows_and_checkpoint};

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

/// The stream sequences in the three timelines together, in order.
async fn timeline_sequences(schema: &TestSchema) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT sequence FROM payout_events UNION ALL SELECT sequence FROM charge_events \
         UNION ALL SELECT sequence FROM beneficiary_events ORDER BY 1",
    )
    .fetch_all(&schema.pool)
    .await
    .unwrap()
}

/// What is committed is exactly the stream up to the checkpoint: each sequence in a timeline
/// once, and one row per order seen, at the version of its last event in the timeline.
async fn assert_committed_up_to_checkpoint(schema: &TestSchema) {
    let checkpoint = checkpoint(schema).await as i64;
    assert_eq!(
        timeline_sequences(schema).await,
        (1..=checkpoint).collect::<Vec<_>>(),
        "committed timelines at checkpoint {checkpoint}"
    );
    for (rows, timeline, id) in [
        ("payouts", "payout_events", "order_id"),
        ("charges", "charge_events", "order_id"),
        ("beneficiaries", "beneficiary_events", "beneficiary_id"),
    ] {
        let (orders, matching): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT (SELECT count(DISTINCT {id}) FROM {timeline}), \
             (SELECT count(*) FROM {rows} r WHERE r.version = \
              (SELECT max(version) FROM {timeline} e WHERE e.{id} = r.{id}))"
        )))
        .fetch_one(&schema.pool)
        .await
        .unwrap();
        let all: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {rows}")))
                .fetch_one(&schema.pool)
                .await
                .unwrap();
        assert_eq!(
            (all, matching),
            (orders, orders),
            "{rows}: rows, rows at their timeline's last version, orders in {timeline}"
        );
    }
}

/// One order's row: its status, its version and how many timeline entries it has.
async fn projected(schema: &TestSchema, rows: &str, id: OrderId) -> (String, u64, usize) {
    let (timeline, column) = match rows {
        "payouts" => ("payout_events", "order_id"),
        "charges" => ("charge_events", "order_id"),
        _ => ("beneficiary_events", "beneficiary_id"),
    };
    let (status, version, events): (String, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT status, version, (SELECT count(*) FROM {timeline} e WHERE e.{column} = r.{column}) \
         FROM {rows} r WHERE r.{column} = $1"
    )))
    .bind(id.as_uuid())
    .fetch_one(&schema.pool)
    .await
    .unwrap_or_else(|e| panic!("{rows} {id}: {e}"));
    (status, version as u64, events as usize)
}

#[tokio::test]
async fn a_failure_forced_between_rows_and_checkpoint_rolls_back_and_a_restart_applies_every_event_once()
 {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let payouts = produce(&log, "fault", 24).await;
    let sub = charge_submitted();
    let paid = [
        sub.to_vec(),
        vec![charge_report("p", "paid", ChargeOutcome::Paid, None)],
    ]
    .concat();
    let mut charges = Vec::new();
    for i in 0..9 {
        let then = match i % 3 {
            0 => Vec::new(),
            1 => vec![cancel_charge()],
            _ => paid.clone(),
        };
        charges.push(charge(&log, &format!("fault-c{i}"), &then).await);
    }
    let mut beneficiaries = Vec::new();
    for (i, statuses) in [&[][..], &["ACTIVE"], &["ACTIVE", "INACTIVE"]]
        .iter()
        .cycle()
        .take(6)
        .enumerate()
    {
        beneficiaries.push(beneficiary(&log, &format!("fault-b{i}"), statuses).await);
    }
    let last = stream_last(&log).await;
    let mut config = config(&log, &schema);
    config.batch_size = 7;

    // A crash: the third batch writes its rows and timelines, then the applier panics before
    // moving the checkpoint. Nothing of it may be committed.
    let crash = fail_between_rows_and_checkpoint(&schema.name, 2, Fault::Panic);
    let handle = giro_projection::start(config.clone(), log.client.clone())
        .await
        .unwrap();
    let struck = crash.wait().await;
    assert!(
        0 < struck.checkpoint && struck.checkpoint < struck.batch_last && struck.batch_last < last,
        "{struck:?} of {last}"
    );
    assert_eq!(
        struck.timeline_rows, struck.batch_last,
        "the failing transaction had written its whole batch: {struck:?}"
    );
    // The projector died with the panic: the checkpoint stays where the failed batch began.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(checkpoint(&schema).await, struck.checkpoint);
    assert_committed_up_to_checkpoint(&schema).await;
    drop(handle);

    // A restarted instance whose second batch fails with an error: it retries from the
    // checkpoint on its own and reaches the end of the stream.
    let error = fail_between_rows_and_checkpoint(&schema.name, 1, Fault::Error);
    let handle = giro_projection::start(config, log.client.clone())
        .await
        .unwrap();
    let second = error.wait().await;
    assert!(
        struck.checkpoint < second.checkpoint && second.batch_last <= last,
        "{second:?} after {struck:?}"
    );
    assert_eq!(second.timeline_rows, second.batch_last, "{second:?}");
    caught_up(&log, &schema).await;
    assert_committed_up_to_checkpoint(&schema).await;
    let metrics = get(&handle, "/metrics").await.1;
    assert!(
        metrics.contains("giro_projection_errors_total{stage=\"apply\"} 1"),
        "{metrics}"
    );

    // Every event of the stream is in a timeline once, every order has one row, and every row
    // and timeline is what the order's events say.
    assert_eq!(
        timeline_sequences(&schema).await,
        (1..=last as i64).collect::<Vec<_>>()
    );
    let mut events = 0;
    for id in &payouts {
        let loaded = log.log.load::<PayoutDecider>(*id).await.unwrap();
        let p = loaded.state.unwrap();
        let want = (
            p.status.as_str().to_string(),
            p.version,
            loaded.events.len(),
        );
        assert_eq!(
            projected(&schema, "payouts", *id).await,
            want,
            "payout {id}"
        );
        events += loaded.events.len();
    }
    for id in &charges {
        let loaded = log.log.load::<ChargeDecider>(*id).await.unwrap();
        let c = loaded.state.unwrap();
        let want = (
            c.status.as_str().to_string(),
            c.version,
            loaded.events.len(),
        );
        assert_eq!(
            projected(&schema, "charges", *id).await,
            want,
            "charge {id}"
        );
        events += loaded.events.len();
    }
    for id in &beneficiaries {
        let loaded = log.log.load::<BeneficiaryDecider>(*id).await.unwrap();
        let b = loaded.state.unwrap();
        let status = serde_json::to_value(b.status).unwrap();
        let want = (
            status.as_str().unwrap().to_string(),
            b.version,
            loaded.events.len(),
        );
        assert_eq!(
            projected(&schema, "beneficiaries", *id).await,
            want,
            "beneficiary {id}"
        );
        events += loaded.events.len();
    }
    assert_eq!(
        events as u64, last,
        "events of the orders = stream messages"
    );
    for (rows, want) in [
        ("payouts", payouts.len()),
        ("charges", charges.len()),
        ("beneficiaries", beneficiaries.len()),
    ] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {rows}")))
                .fetch_one(&schema.pool)
                .await
                .unwrap();
        assert_eq!(n as usize, want, "{rows}");
    }
    handle.stop().await;
}
