//! Payout batches through intake: a part accepted whole or refused naming every bad item, its
//! payouts carrying the batch, idempotent on the batch's key, cancelled item by item.

use crate::common;

use std::time::Instant;

use common::*;
use giro_domain::payout::{PayoutDecider, PayoutStatus};
use giro_domain::{OrderId, OrderKind};
use giro_eventlog::EventLog;
use giro_eventlog::test_support::TestLog;
use serde_json::{Value, json};

fn items(prefix: &str, n: usize) -> Vec<Value> {
    (0..n).map(|i| payout(&format!("{prefix}-{i}"))).collect()
}

fn payout_id(key: &str) -> OrderId {
    OrderId::for_idempotency_key(OrderKind::Payout, &key.to_string().try_into().unwrap())
}

async fn status(log: &EventLog, key: &str) -> Option<(PayoutStatus, Option<OrderId>)> {
    let loaded = log.load::<PayoutDecider>(payout_id(key)).await.unwrap();
    loaded.state.map(|p| (p.status, p.request.batch_id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_makes_one_payout_per_item_and_is_idempotent_on_its_key() {
    let t = TestLog::new().await;
    let _intake = start_intake(connect().await, &t.config).await;
    let client = client_for(&t, connect().await);
    let body =
        json!({"idempotency_key": "run-a", "items": items("a", 3), "metadata": {"run": "nov"}});
    let reply = client.create_batch(body.to_string()).await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.str("status"), Some("open"));
    assert_eq!(reply.body["items_received"], 3);
    assert_eq!(reply.body["duplicate"], false);
    let batch: OrderId = reply.str("batch_id").unwrap().parse().unwrap();
    for i in 0..3 {
        let (status, of) = status(&t.log, &format!("a-{i}"))
            .await
            .expect("the item's payout");
        assert_eq!((status, of), (PayoutStatus::Requested, Some(batch)));
    }
    let again = client.create_batch(body.to_string()).await;
    assert_eq!(
        (again.ok, &again.body["duplicate"]),
        (true, &json!(true)),
        "{again:?}"
    );
    let other = json!({"idempotency_key": "run-a", "items": items("a", 2)});
    let conflict = client.create_batch(other.to_string()).await;
    assert_eq!(
        conflict.code().map(|c| c.as_str()),
        Some("idempotency_conflict")
    );
    // An item key used by a payout outside the batch is refused at that item; nothing is made.
    let outside = client.create_payout(payout("solo").to_string()).await;
    assert!(outside.ok);
    let mut mixed = items("m", 2);
    mixed.push(payout("solo"));
    let reply = client
        .create_batch(json!({"idempotency_key": "run-m", "items": mixed}).to_string())
        .await;
    assert_eq!(reply.body["errors"][0]["item"], 2, "{reply:?}");
    assert_eq!(reply.body["errors"][0]["code"], "idempotency_conflict");
    assert_eq!(status(&t.log, "m-0").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_item_is_named_with_its_field_and_nothing_is_accepted() {
    let t = TestLog::new().await;
    let _intake = start_intake(connect().await, &t.config).await;
    let nats = connect().await;
    let mut bodies = items("b", 5);
    bodies[1]["beneficiary"]["account_number"] = json!("12AB");
    bodies[3]["currency"] = json!("XXX");
    bodies[4]["provider"] = json!("nowhere");
    let body = json!({"idempotency_key": "run-b", "items": bodies});
    let subject = format!("{}.cmd.payout_batch.create", t.config.prefix);
    let reply = raw(&nats, subject, body.to_string().into_bytes()).await;
    expect(&reply, "invalid_field", Some("items"), "400");
    let named: Vec<(u64, &str, &str)> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["item"].as_u64().unwrap(),
                e["code"].as_str().unwrap(),
                e["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            (1, "invalid_beneficiary", "beneficiary.account_number"),
            (3, "unsupported_currency", "currency"),
            (4, "unknown_provider", "provider"),
        ],
        "{}",
        reply.body
    );
    assert_eq!(reply.body["error_count"], 3);
    assert_eq!(
        status(&t.log, "b-0").await,
        None,
        "nothing of a refused batch is made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_comes_in_parts_and_cancelling_it_cancels_what_no_provider_has() {
    let t = TestLog::new().await;
    let _intake = start_intake(connect().await, &t.config).await;
    let client = client_for(&t, connect().await);
    let later = |mut v: Vec<Value>| {
        for item in &mut v {
            item["execute_at"] = json!("2027-06-01T09:00:00-05:00");
        }
        v
    };
    let create =
        json!({"idempotency_key": "run-c", "item_count": 4, "items": later(items("c", 2))});
    let reply = client.create_batch(create.to_string()).await;
    assert_eq!(reply.str("status"), Some("receiving"), "{reply:?}");
    let batch = reply.str("batch_id").unwrap().to_string();
    let gap = json!({"batch_id": batch, "first_item": 3, "items": later(items("c", 1))});
    let refused = client.add_batch_items(gap.to_string()).await;
    assert_eq!(
        refused.code().map(|c| c.as_str()),
        Some("invalid_state"),
        "{refused:?}"
    );
    let rest: Vec<Value> = later(items("c", 4)).split_off(2);
    let add = json!({"batch_id": batch, "first_item": 2, "items": rest});
    let reply = client.add_batch_items(add.to_string()).await;
    assert_eq!(reply.str("status"), Some("open"), "{reply:?}");
    assert_eq!(reply.body["items_received"], 4);
    let cancel = client.cancel_batch(&batch, Some("wrong file")).await;
    assert!(cancel.ok, "{cancel:?}");
    assert_eq!(
        (&cancel.body["cancelled"], &cancel.body["not_cancellable"]),
        (&json!(4), &json!(0))
    );
    for i in 0..4 {
        let (s, _) = status(&t.log, &format!("c-{i}")).await.unwrap();
        assert_eq!(s, PayoutStatus::Cancelled);
    }
    let again = client.cancel_batch(&batch, None).await;
    assert_eq!(again.body["duplicate"], true, "{again:?}");
    let unknown = client
        .cancel_batch(&OrderId::from_uuid(uuid::Uuid::nil()).to_string(), None)
        .await;
    assert_eq!(unknown.code().map(|c| c.as_str()), Some("not_found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_items_are_appended_in_seconds() {
    let t = TestLog::new().await;
    let _intake = start_intake(connect().await, &t.config).await;
    let client = client_for(&t, connect().await);
    let body = json!({"idempotency_key": "run-d", "items": items("d", 2000)}).to_string();
    assert!(
        body.len() < 1024 * 1024,
        "one part fits in a NATS message: {}",
        body.len()
    );
    let started = Instant::now();
    let reply = client.create_batch(body).await;
    let took = started.elapsed();
    assert!(reply.ok, "{reply:?}");
    eprintln!("2,000 items accepted in {took:?}");
    assert!(took.as_secs() < 10, "{took:?}");
}
