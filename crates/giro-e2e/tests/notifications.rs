//! Notifications out (CONTRACT.md §2 "Notifications"): payouts driven through the sandboxes to a
//! terminal status, and every status change arrives on `<prefix>.notify.v1.payout.<status>`, in
//! the order of the payout's events, with the documented fields and nothing personal.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::StreamExt;
use giro_domain::charge::{Charge, ChargeDecider, ChargeStatus};
use giro_domain::payout::{Payout, PayoutDecider, PayoutStatus};
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

/// One status change as an order's events tell it.
#[derive(Debug)]
struct Change {
    event_id: String,
    version: u64,
    event_type: String,
    before: Option<&'static str>,
    after: &'static str,
}

/// Each status change of order `id` of decider `D` (`status` reads a state's status).
async fn status_changes<D: Decider>(
    stack: &Stack,
    id: OrderId,
    status: impl Fn(&D::State) -> Option<&'static str>,
) -> Vec<Change> {
    let order = stack.log.log.load::<D>(id).await.expect("order loads");
    let mut state = D::State::default();
    let mut changes = Vec::new();
    for event in &order.events {
        let before = status(&state);
        state = D::evolve(state, event);
        let after = status(&state).expect("the order exists");
        if before != Some(after) {
            changes.push(Change {
                event_id: event.id.to_string(),
                version: event.version,
                event_type: giro_domain::EventType::event_type(&event.event).to_string(),
                before,
                after,
            });
        }
    }
    changes
}

fn payout_status(state: &Option<Payout>) -> Option<&'static str> {
    state.as_ref().map(|p| p.status.as_str())
}

fn charge_status(state: &Option<Charge>) -> Option<&'static str> {
    state.as_ref().map(|c| c.status.as_str())
}

/// Receives notifications from `subscriber` until `count` arrived or `WITHIN` passed: subject,
/// `Nats-Msg-Id` and body of each.
async fn receive(
    subscriber: &mut async_nats::Subscriber,
    count: usize,
) -> Vec<(String, String, Value)> {
    let mut received = Vec::new();
    let deadline = Instant::now() + WITHIN;
    while received.len() < count && Instant::now() < deadline {
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
    received
}

/// Checks that `got` are the notifications of `want`, in order, with the documented fields.
fn assert_notified(prefix: &str, kind: &str, got: &[&(String, String, Value)], want: &[Change]) {
    assert_eq!(
        got.len(),
        want.len(),
        "{got:#?}
{want:#?}"
    );
    for ((subject, msg_id, n), change) in got.iter().zip(want) {
        // Exactly the documented fields: nothing personal (no beneficiary or payer) travels.
        let keys: BTreeSet<&str> = n.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, FIELDS.into_iter().collect(), "{n}");
        assert_eq!(
            subject,
            &format!("{prefix}.notify.v1.{kind}.{}", change.after)
        );
        assert_eq!(
            msg_id, &change.event_id,
            "Nats-Msg-Id is the notification's id"
        );
        assert_eq!(n["id"], change.event_id.as_str());
        assert_eq!(n["notification_version"], 1);
        assert_eq!(n["kind"], kind);
        assert_eq!(n["status"], change.after);
        assert_eq!(
            n["previous_status"],
            change.before.map_or(Value::Null, Value::from)
        );
        assert_eq!(n["order_version"], change.version);
        assert_eq!(n["event_type"], change.event_type.as_str());
        assert!(n["amount"].is_string(), "amounts are decimal strings");
        assert!(n["occurred_at"].as_str().is_some_and(|t| t.contains('T')));
    }
}

/// Subscribes to `<prefix>.<subjects>` on `log`, then starts giro-notify on it (so nothing it
/// publishes is missed).
async fn listen_then_notify(
    log: &giro_eventlog::test_support::TestLog,
    subjects: &str,
) -> (async_nats::Subscriber, giro_notify::NotifyHandle) {
    let subscriber = log
        .client
        .subscribe(format!("{}.{subjects}", log.config.prefix))
        .await
        .expect("subscribes");
    let notify = giro_stack::start_notify(
        &log.log,
        Some(giro_notify::NotifyConfig::new(log.config.clone())),
    )
    .await
    .expect("notifications start");
    (subscriber, notify)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_status_change_of_a_payout_arrives_in_order_on_its_notification_subject() {
    let stack = Stack::start(StackOptions::default()).await;
    let prefix = stack.log.config.prefix.clone();
    let (mut subscriber, notify) = listen_then_notify(&stack.log, "notify.v1.>").await;

    // One payout that succeeds and one that fails (KillB's sandbox: the amount picks the outcome).
    let paid = stack.create("notify-paid", "killb", "500000").await;
    let failed = stack.create("notify-failed", "killb", "500011").await;
    let statuses = stack
        .wait_for(&[paid, failed], WITHIN, PayoutStatus::is_terminal)
        .await;
    assert_eq!(statuses, [PayoutStatus::Succeeded, PayoutStatus::Failed]);

    let mut expected = Vec::new();
    for id in [paid, failed] {
        expected.extend(status_changes::<PayoutDecider>(&stack, id, payout_status).await);
    }
    let received = receive(&mut subscriber, expected.len()).await;
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
        let want = status_changes::<PayoutDecider>(&stack, id, payout_status).await;
        // In the order of the payout's events, one per status change.
        let got: Vec<_> = received
            .iter()
            .filter(|(_, _, n)| n["order_id"] == id.to_string())
            .collect();
        assert!(
            want.len() >= 3,
            "requested, at the provider, terminal: {want:?}"
        );
        assert_notified(&prefix, "payout", &got, &want);
        for (_, _, n) in &got {
            assert_eq!(
                n["idempotency_key"],
                payout.request.idempotency_key.as_str()
            );
            assert_eq!(n["provider"], "killb");
            assert_eq!(n["amount"], payout.request.money.amount().to_string());
            assert_eq!(n["currency"], payout.request.money.currency().code());
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paid_charge_is_notified_on_the_charge_subjects() {
    let stack = Stack::start(StackOptions::default()).await;
    let prefix = stack.log.config.prefix.clone();
    let (mut subscriber, notify) = listen_then_notify(&stack.log, "notify.v1.charge.>").await;
    // A55's sandbox: a credit-card charge of 150.00 is paid.
    let id = stack
        .create_charge("notify-charge", "150.00", "credit_card")
        .await;
    let charge = stack
        .wait_charge(id, WITHIN, |c| c.status.is_terminal())
        .await;
    assert_eq!(charge.status, ChargeStatus::Paid);
    let want = status_changes::<ChargeDecider>(&stack, id, charge_status).await;
    assert_eq!(want.first().map(|c| c.after), Some("requested"));
    assert_eq!(want.last().map(|c| c.after), Some("paid"));
    let received = receive(&mut subscriber, want.len()).await;
    let got: Vec<_> = received.iter().collect();
    assert_notified(&prefix, "charge", &got, &want);
    for (_, _, n) in &got {
        assert_eq!(n["order_id"], id.to_string());
        assert_eq!(
            n["idempotency_key"],
            charge.request.idempotency_key.as_str()
        );
        assert_eq!(n["provider"], "a55");
        assert_eq!(n["amount"], charge.request.money.amount().to_string());
        assert_eq!(n["currency"], "BRL");
        assert_eq!(n["failure_code"], Value::Null);
    }
    notify.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_cannot_be_notified_is_dead_lettered_with_its_reason() {
    let log = giro_eventlog::test_support::TestLog::new().await;
    let prefix = log.config.prefix.clone();
    let (mut dead, notify) = listen_then_notify(&log, "dlq.notify.>").await;
    // Not an event: no version, no type.
    let subject = format!("{prefix}.evt.payout.{}", uuid::Uuid::new_v4());
    log.log
        .context()
        .publish(subject.clone(), r#"{"not":"an event"}"#.into())
        .await
        .expect("published")
        .await
        .expect("stored");
    let letter = tokio::time::timeout(WITHIN, dead.next())
        .await
        .expect("a dead letter within a minute")
        .expect("the subscription is open");
    assert_eq!(
        letter.subject.as_str(),
        format!("{prefix}.dlq.notify.payout")
    );
    assert_eq!(&letter.payload[..], br#"{"not":"an event"}"#);
    let headers = letter.headers.expect("headers");
    assert_eq!(
        headers.get("Giro-Original-Subject").unwrap().as_str(),
        subject
    );
    let reason = headers.get("Giro-Dead-Letter-Reason").unwrap().as_str();
    assert!(reason.contains("no version"), "{reason}");
    notify.stop().await;
}
