//! Idempotency across intake instances and restarts, with no store besides JetStream.

mod common;

use common::*;
use giro_domain::payout::PayoutDecider;
use giro_eventlog::test_support::TestLog;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_creates_on_two_instances_make_exactly_one_order() {
    let t = TestLog::new().await;
    let a = start_intake(connect().await, &t.config).await;
    let b = start_intake(connect().await, &t.config).await;
    let client = client_for(&t, connect().await);
    let body = payout("same-key-50").to_string();

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let client = client.clone();
        let body = body.clone();
        tasks.spawn(async move { client.create_payout(body).await });
    }
    let mut replies = vec![];
    while let Some(r) = tasks.join_next().await {
        replies.push(r.unwrap());
    }
    assert!(
        replies.iter().all(|r| r.ok),
        "{:?}",
        replies.iter().find(|r| !r.ok)
    );
    let fresh = replies
        .iter()
        .filter(|r| r.body["duplicate"] == false)
        .count();
    let duplicates = replies
        .iter()
        .filter(|r| r.body["duplicate"] == true)
        .count();
    assert_eq!((fresh, duplicates), (1, 49));
    let order_id = replies[0].str("order_id").unwrap().to_string();
    assert!(
        replies
            .iter()
            .all(|r| r.str("order_id") == Some(order_id.as_str()))
    );

    let id = order_id.parse().unwrap();
    assert_eq!(
        t.log.load::<PayoutDecider>(id).await.unwrap().events.len(),
        1
    );

    // Restart: both instances go, a new one comes; the same command is still a duplicate.
    a.stop().await;
    b.stop().await;
    let c = start_intake(connect().await, &t.config).await;
    let again = client.create_payout(body.clone()).await;
    assert!(again.ok, "{again:?}");
    assert_eq!(again.body["duplicate"], true);
    assert_eq!(again.str("order_id"), Some(order_id.as_str()));
    assert_eq!(
        t.log.load::<PayoutDecider>(id).await.unwrap().events.len(),
        1
    );

    // Same key, another body: a conflict, and still one event.
    let mut other = payout("same-key-50");
    other["amount"] = "600000".into();
    let conflict = client.create_payout(other.to_string()).await;
    assert_eq!(
        conflict.code(),
        Some(giro_domain::ErrorCode::IdempotencyConflict)
    );
    assert_eq!(
        t.log.load::<PayoutDecider>(id).await.unwrap().events.len(),
        1
    );
    c.stop().await;
}
