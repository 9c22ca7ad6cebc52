//! Notifications out (CONTRACT.md §2 "Notifications"): payouts driven through the sandboxes to a
//! terminal status, and every status change arrives on `<prefix>.notify.v1.payout.<status>`, in
//! the order of the payout's events, with the documented fields and nothing personal.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::StreamExt;
use giro_domain::payout::{PayoutDecider, PayoutStatus};
use giro_domain::{Decider, OrderId};
use giro_e2e::{Stack, StackOptions};
use serde_json::Value;

const WITHIN: Duration = Duration::from_secs(60);

/// The fields of notification version 1, as docs/CONTRACT.md lists them.
const FIELDS: [&str; 15] = [
    "id",
    "notification_version",
    "kind",
    "order_id",
    "idempotency_key",
    "external_id",
    "status",
    "previous_status",
    "amount",
    "currency",
    "provider",
    "failure_code",
    "event_type",
    "order_version",
    "occurred_at",
];

/// Each status change of the payout as its events tell it: (event id, version, event type,
/// status before, status after).
async fn status_changes(
    stack: &Stack,
    id: OrderId,
) -> Vec<(String, u64, String, Option<String>, String)> {
    let order = stack
        .log
        .log
        .load::<PayoutDecider>(id)
        .await
        .expect("order loads");
    let mut state = None;
    let mut changes = Vec::new();
    for event in &order.events {
        let before: Option<PayoutStatus> = state
            .as_ref()
            .map(|p: &giro_domain::payout::Payout| p.status);
        state = PayoutDecider::evolve(state, event);
        let after = state.as_ref().expect("payout exists").status;
        if before != Some(after) {
            changes.push((
                event.id.to_string(),
                event.version,
                giro_domain::EventType::event_type(&event.event).to_string(),
                before.map(|s| s.as_str().to_string()),
                after.as_str().to_string(),
            ));
        }
    }
    changes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_status_change_of_a_payout_arrives_in_order_on_its_notification_subject() {
    let stack = Stack::start(StackOptions::default()).await;
    let prefix = stack.log.config.prefix.clone();
    let mut subscriber = stack
        .log
        .client
        .subscribe(format!("{prefix}.notify.v1.>"))
        .await
        .expect("subscribes");
    let notify = giro_stack::start_notify(
        &stack.log.log,
        Some(giro_notify::NotifyConfig::new(stack.log.config.clone())),
    )
    .await
    .expect("notifications start");

    // One payout that succeeds and one that fails (KillB's sandbox: the amount picks the outcome).
    let paid = stack.create("notify-paid", "killb", "500000").await;
    let failed = stack.create("notify-failed", "killb", "500011").await;
    let statuses = stack
        .wait_for(&[paid, failed], WITHIN, PayoutStatus::is_terminal)
        .await;
    assert_eq!(statuses, [PayoutStatus::Succeeded, PayoutStatus::Failed]);

    let mut expected = Vec::new();
    for id in [paid, failed] {
        expected.extend(status_changes(&stack, id).await);
    }
    let mut received: Vec<(String, String, Value)> = Vec::new();
    let deadline = Instant::now() + WITHIN;
    while received.len() < expected.len() && Instant::now() < deadline {
        if let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_secs(1), subscriber.next()).await
        {
            let msg_id = message
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Msg-Id"))
                .map(|v| v.as_str().to_string())
                .unwrap_or_default();
            let body: Value =
                serde_json::from_slice(&message.payload).expect("notification is JSON");
            received.push((message.subject.to_string(), msg_id, body));
        }
    }
    assert_eq!(
        received.len(),
        expected.len(),
        "notifications received: {received:#?}\nstatus changes: {expected:#?}"
    );

    for id in [paid, failed] {
        let payout = stack
            .log
            .log
            .load::<PayoutDecider>(id)
            .await
            .unwrap()
            .state
            .unwrap();
        let want: Vec<_> = status_changes(&stack, id).await;
        let got: Vec<&(String, String, Value)> = received
            .iter()
            .filter(|(_, _, n)| n["order_id"] == id.to_string())
            .collect();
        // In the order of the payout's events, one per status change.
        assert_eq!(got.len(), want.len(), "{id}: {got:#?}");
        assert!(
            want.len() >= 3,
            "requested, at the provider, terminal: {want:?}"
        );
        for ((subject, msg_id, n), (event_id, version, event_type, before, after)) in
            got.iter().zip(&want)
        {
            // Exactly the documented fields: nothing personal (no beneficiary) travels.
            let keys: BTreeSet<&str> = n.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, FIELDS.into_iter().collect(), "{n}");
            assert_eq!(subject, &format!("{prefix}.notify.v1.payout.{after}"));
            assert_eq!(msg_id, event_id, "Nats-Msg-Id is the notification's id");
            assert_eq!(n["id"], event_id.as_str());
            assert_eq!(n["notification_version"], 1);
            assert_eq!(n["kind"], "payout");
            assert_eq!(n["status"], after.as_str());
            assert_eq!(
                n["previous_status"],
                before.as_deref().map_or(Value::Null, Value::from)
            );
            assert_eq!(n["order_version"], *version);
            assert_eq!(n["event_type"], event_type.as_str());
            assert_eq!(
                n["idempotency_key"],
                payout.request.idempotency_key.as_str()
            );
            assert_eq!(n["provider"], "killb");
            assert_eq!(n["amount"], payout.request.money.amount().to_string());
            assert_eq!(n["currency"], payout.request.money.currency().code());
            assert!(n["amount"].is_string(), "amounts are decimal strings");
            assert!(n["occurred_at"].as_str().is_some_and(|t| t.contains('T')));
        }
        let last = &got.last().unwrap().2;
        match payout.status {
            PayoutStatus::Succeeded => assert_eq!(last["failure_code"], Value::Null),
            _ => assert_eq!(last["failure_code"], "FAILED", "{last}"),
        }
    }

    // Kept in the notification stream too, once each, for subscribers that read it later.
    let js = stack.log.log.context();
    let mut stream = js
        .get_stream(format!("{}_NOTIFY", stack.log.config.stream))
        .await
        .expect("notification stream exists");
    let info = stream.info().await.expect("stream info");
    assert_eq!(info.state.messages, expected.len() as u64);
    notify.stop().await;
}
