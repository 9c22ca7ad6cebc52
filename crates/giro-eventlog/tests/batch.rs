//! A decision of several events is one atomic batch (nats-server 2.12): all stored or none, against
//! the real NATS on 127.0.0.1:4222, each test on its own stream.

use chrono::Utc;
use giro_domain::payout::{Held, PayoutCommand, PayoutDecider, PayoutEvent};
use giro_domain::provider::Catalog;
use giro_domain::{EventMeta, OrderId};
use giro_eventlog::test_support::TestLog;
use giro_eventlog::{EVENT_TYPE_HEADER, Error, Tail};
use serde_json::json;

fn create(key: &str) -> (OrderId, PayoutCommand) {
    let body = json!({
        "idempotency_key": key, "provider": "cashy-tz", "amount": "5000", "currency": "TZS",
        "beneficiary": {"rail": "tz_mobile", "name": "Juma Hamisi", "msisdn": "255712345678", "operator": "tigo"}
    });
    let draft = giro_domain::payout::parse_create(body.to_string().as_bytes()).unwrap();
    let cmd = draft.into_command(&Catalog::default(), None).unwrap();
    (cmd.order_id, PayoutCommand::Create(Box::new(cmd)))
}

fn meta() -> EventMeta {
    EventMeta {
        correlation_id: "test".into(),
        causation_id: None,
    }
}

fn held(reason: &str) -> (PayoutEvent, Option<String>) {
    let event = PayoutEvent::Held(Held {
        reason: reason.into(),
    });
    (event, Some("cashy-tz".to_string()))
}

/// A test log holding one created order; its subject and tail.
async fn one_order(key: &str) -> (TestLog, OrderId, String, Tail) {
    let t = TestLog::new().await;
    let (id, cmd) = create(key);
    let done = t
        .log
        .execute::<PayoutDecider>(id, &cmd, &meta(), true)
        .await
        .unwrap();
    let subject = t.log.subject::<PayoutDecider>(id);
    let tail = done.order.tail();
    (t, id, subject, tail)
}

#[tokio::test]
async fn the_events_of_one_append_are_stored_together_in_order() {
    let (t, id, subject, tail) = one_order("batch-1").await;
    let events = vec![held("a"), held("b"), held("c")];
    let appended = t
        .log
        .append(&subject, id, tail, events, &meta(), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        appended
            .events
            .iter()
            .map(|e| e.version)
            .collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert_eq!(appended.last_sequence, tail.last_sequence + 3);
    let loaded = t.log.load::<PayoutDecider>(id).await.unwrap();
    assert_eq!(loaded.version(), 4);
    assert_eq!(loaded.last_sequence, appended.last_sequence);
    // Each message of the batch is an ordinary event message: its type, its id and its route.
    let stream = async_nats::jetstream::new(t.client.clone())
        .get_stream(&t.config.stream)
        .await
        .unwrap();
    for (envelope, seq) in appended.events.iter().zip(tail.last_sequence + 1..) {
        let message = stream.direct_get(seq).await.unwrap();
        assert_eq!(message.subject.as_str(), subject);
        let h = &message.headers;
        assert_eq!(h.get(EVENT_TYPE_HEADER).unwrap().as_str(), "payout.held");
        assert_eq!(
            h.get("Nats-Msg-Id").unwrap().as_str(),
            envelope.id.to_string()
        );
        assert_eq!(h.get("Giro-Provider").unwrap().as_str(), "cashy-tz");
    }
}

#[tokio::test]
async fn a_stale_batch_is_refused_whole() {
    let (t, id, subject, tail) = one_order("batch-2").await;
    // Another writer moved the order on.
    t.log
        .append(&subject, id, tail, vec![held("other")], &meta(), Utc::now())
        .await
        .unwrap();
    let stale = t
        .log
        .append(
            &subject,
            id,
            tail,
            vec![held("a"), held("b")],
            &meta(),
            Utc::now(),
        )
        .await;
    assert!(
        matches!(stale, Err(Error::Conflict { expected }) if expected == tail.last_sequence),
        "{stale:?}"
    );
    let loaded = t.log.load::<PayoutDecider>(id).await.unwrap();
    assert_eq!(loaded.version(), 2, "nothing of the stale batch is stored");
}

#[tokio::test]
async fn a_batch_never_committed_leaves_nothing_and_blocks_nothing() {
    let (t, id, subject, tail) = one_order("batch-3").await;
    // A writer that died after staging the first message of its batch, before the commit.
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Batch-Id", "died-before-commit");
    headers.insert("Nats-Batch-Sequence", "1");
    headers.insert(
        "Nats-Expected-Last-Subject-Sequence",
        tail.last_sequence.to_string(),
    );
    headers.insert(EVENT_TYPE_HEADER, "payout.held");
    t.client
        .publish_with_headers(subject.clone(), headers, "{}".into())
        .await
        .unwrap();
    t.client.flush().await.unwrap();
    let loaded = t.log.load::<PayoutDecider>(id).await.unwrap();
    assert_eq!(loaded.tail(), tail, "a staged message is not stored");
    // The next writer appends as if the dead one had never started.
    let appended = t
        .log
        .append(
            &subject,
            id,
            tail,
            vec![held("a"), held("b")],
            &meta(),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(appended.last_sequence, tail.last_sequence + 2);
    assert_eq!(t.log.load::<PayoutDecider>(id).await.unwrap().version(), 3);
}
