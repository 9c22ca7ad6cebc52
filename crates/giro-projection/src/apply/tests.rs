//! The checkpoint rules against the real PostgreSQL: a batch is applied once, a repeat or an
//! overlap skips what is done, a reader ahead of the checkpoint is sent back.

use chrono::Utc;
use giro_domain::OrderKind;
use giro_domain::payout::{Held, PayoutEvent};
use serde_json::json;
use uuid::Uuid;

use super::{Outcome, apply_batch};
use crate::decode::{Decoded, Known};
use crate::source::Batch;
use crate::test_support::TestSchema;

/// `payout.held` events for one order without a row, numbered by sequence: timeline rows only.
fn batch(order: Uuid, after: u64, last: u64) -> Batch {
    let events = (after + 1..=last)
        .map(|seq| Decoded {
            sequence: seq,
            kind: OrderKind::Payout,
            order_id: order,
            version: seq,
            event_id: Uuid::new_v4(),
            event_type: "payout.held".to_string(),
            at: Utc::now(),
            data: json!({"reason": "funds"}),
            event: Some(Known::Payout(PayoutEvent::Held(Held {
                reason: "funds".into(),
            }))),
            trace: None,
        })
        .collect::<Vec<_>>();
    Batch {
        after,
        last,
        delivered: events.len() as u64,
        events,
        unreadable: 0,
    }
}

async fn timeline_sequences(schema: &TestSchema) -> Vec<i64> {
    sqlx::query_scalar("SELECT sequence FROM payout_events ORDER BY sequence")
        .fetch_all(&schema.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn batches_apply_once_and_overlaps_skip_what_is_done() {
    let schema = TestSchema::prepared().await;
    let order = Uuid::new_v4();
    let first = apply_batch(&schema.pool, &batch(order, 0, 5))
        .await
        .unwrap();
    assert_eq!(
        first,
        Outcome::Applied {
            events: 5,
            skipped: 0,
            unknown: 0,
            checkpoint: 5
        }
    );
    let repeat = apply_batch(&schema.pool, &batch(order, 0, 5))
        .await
        .unwrap();
    assert_eq!(repeat, Outcome::Overtaken { checkpoint: 5 });
    let overlap = apply_batch(&schema.pool, &batch(order, 3, 8))
        .await
        .unwrap();
    assert_eq!(
        overlap,
        Outcome::Applied {
            events: 3,
            skipped: 2,
            unknown: 0,
            checkpoint: 8
        }
    );
    let ahead = apply_batch(&schema.pool, &batch(order, 10, 12))
        .await
        .unwrap();
    assert_eq!(ahead, Outcome::Behind { checkpoint: 8 });
    assert_eq!(
        timeline_sequences(&schema).await,
        (1..=8).collect::<Vec<_>>()
    );
    assert_eq!(crate::db::checkpoint(&schema.pool).await.unwrap(), 8);
}

#[tokio::test]
async fn concurrent_appliers_of_the_same_batches_write_each_event_once() {
    let schema = TestSchema::prepared().await;
    let order = Uuid::new_v4();
    let batches: Vec<Batch> = (0..20).map(|i| batch(order, i * 10, i * 10 + 10)).collect();
    let run = |batches: Vec<Batch>, pool: sqlx::PgPool| async move {
        for b in &batches {
            apply_batch(&pool, b).await.unwrap();
        }
    };
    tokio::join!(
        run(batches.clone(), schema.pool.clone()),
        run(batches.clone(), schema.pool.clone()),
        run(batches, schema.pool.clone())
    );
    assert_eq!(
        timeline_sequences(&schema).await,
        (1..=200).collect::<Vec<_>>()
    );
}
