//! Idempotency across intake instances and restarts, with no store besides JetStream.

use crate::common;

use std::collections::BTreeMap;

use common::*;
use giro_domain::payout::PayoutDecider;
use giro_eventlog::test_support::TestLog;
use giro_intake::{IntakeClient, Reply};
use serde_json::Value;

/// Sends `body` `n` times at once.
async fn concurrent_creates(client: &IntakeClient, body: &str, n: usize) -> Vec<Reply> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let client = client.clone();
        let body = body.to_string();
        tasks.spawn(async move { client.create_payout(body).await });
    }
    let mut replies = vec![];
    while let Some(r) = tasks.join_next().await {
        replies.push(r.unwrap());
    }
    replies
}

/// Requests served by `payout-create`, per running instance (by service id) of this test.
async fn creates_served(
    nats: &async_nats::Client,
    prefix: &str,
    instances: usize,
) -> BTreeMap<String, u64> {
    let stats = service_instances(nats, "STATS", prefix, instances).await;
    stats
        .iter()
        .map(|s| {
            let endpoint = s["endpoints"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["name"] == "payout-create")
                .unwrap_or_else(|| panic!("no payout-create endpoint: {s}"));
            (
                s["id"].as_str().unwrap().to_string(),
                endpoint["num_requests"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_creates_on_two_instances_make_exactly_one_order() {
    let t = TestLog::new().await;
    let prefix = t.config.prefix.as_str();
    let nats = connect().await;
    let a = start_intake(connect().await, &t.config).await;
    let b = start_intake(connect().await, &t.config).await;
    let client = client_for(&t, nats.clone());
    let body = payout("same-key-50").to_string();

    // Both instances are in the `giro-intake` queue group on every endpoint.
    let info = service_instances(&nats, "INFO", prefix, 2).await;
    assert_eq!(info.len(), 2, "{info:?}");
    for instance in &info {
        assert_eq!(instance["name"], "giro-intake");
        // The deployment it serves, so that two on one NATS can be told apart.
        let metadata = &instance["metadata"];
        assert_eq!(metadata["prefix"], prefix, "{instance}");
        assert_eq!(metadata["stream"], t.config.stream.as_str(), "{instance}");
        assert_eq!(metadata["version"], env!("CARGO_PKG_VERSION"), "{instance}");
        let endpoints = instance["endpoints"].as_array().unwrap();
        let subjects: Vec<&str> = endpoints
            .iter()
            .map(|e| e["subject"].as_str().unwrap())
            .collect();
        for suffix in [
            "cmd.payout.create",
            "cmd.payout.cancel",
            "cmd.charge.create",
            "cmd.beneficiary.register",
            "query.order.get",
        ] {
            assert!(
                subjects.contains(&format!("{prefix}.{suffix}").as_str()),
                "{suffix} not in {subjects:?}"
            );
        }
        assert!(
            endpoints.iter().all(|e| e["queue_group"] == "giro-intake"),
            "{instance}"
        );
    }

    // First half: 25 at once on two instances, which share them.
    let mut replies = concurrent_creates(&client, &body, 25).await;
    let first = creates_served(&nats, prefix, 2).await;
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(first.values().sum::<u64>(), 25, "{first:?}");
    assert!(
        first.values().all(|&n| n > 0),
        "one instance served all: {first:?}"
    );

    // One instance restarts between the halves.
    a.stop().await;
    let survivor = creates_served(&nats, prefix, 1).await;
    assert_eq!(survivor.len(), 1, "{survivor:?}");
    let (b_id, b_before) = survivor.into_iter().next().unwrap();
    assert_eq!(first.get(&b_id), Some(&b_before));
    let a = start_intake(connect().await, &t.config).await;
    // Both take requests again before the second half is sent.
    assert_eq!(service_instances(&nats, "INFO", prefix, 2).await.len(), 2);

    // Second half: 25 more at once, on the survivor and the restarted instance.
    replies.extend(concurrent_creates(&client, &body, 25).await);
    let second = creates_served(&nats, prefix, 2).await;
    assert_eq!(second.len(), 2, "{second:?}");
    let b_after = second[&b_id];
    let (_, restarted) = second
        .iter()
        .find(|(id, _)| **id != b_id && !first.contains_key(*id))
        .expect("the restarted instance answers with a new id");
    assert!(
        b_after > b_before,
        "the survivor served none of the second half: {second:?}"
    );
    assert!(
        *restarted > 0,
        "the restarted instance served none: {second:?}"
    );
    assert_eq!(b_after - b_before + restarted, 25, "{second:?}");

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
    other["amount"] = Value::from("600000");
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
