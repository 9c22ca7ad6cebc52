//! Scheduled payouts (`execute_at`, issue #21) on the real stack: intake answers `scheduled`, no
//! provider sees the payout before its time, the wait is a JetStream message schedule that outlives
//! every executor (all of them down at the time it falls due), and once due the payout is made
//! exactly once; a scheduled payout cancelled before its time is never sent and its schedule is
//! gone.

use std::time::{Duration, Instant};

use async_nats::jetstream;
use chrono::{DateTime, SecondsFormat, Utc};
use giro_domain::OrderId;
use giro_domain::payout::{PayoutDecider, PayoutEvent, PayoutStatus as S};
use giro_e2e::{Stack, StackOptions, payout_providers};
use giro_executor::wakes::schedules_stream;
use giro_sandbox::simulator::{SampleKind, sample_for};
use serde_json::{Value, json};

const WITHIN: Duration = Duration::from_secs(60);

fn amount(provider: &str) -> &'static str {
    if provider == "cashy-tz" {
        "5000"
    } else {
        "150000"
    }
}

/// The body intake takes for a payout through `provider`, made at `at`.
fn scheduled_body(key: &str, provider: &str, at: DateTime<Utc>) -> Value {
    let sample = sample_for(SampleKind::Payout, Some(provider)).expect("a sample");
    let mut body = sample.body(&sample.order(key, amount(provider), 0));
    body["execute_at"] = json!(at.to_rfc3339_opts(SecondsFormat::Millis, true));
    body
}

/// The last message on `<prefix>.<kind>.payout.<id>` in the schedules stream, if any.
async fn last_of(
    stack: &Stack,
    kind: &str,
    id: OrderId,
) -> Option<jetstream::message::StreamMessage> {
    let js = jetstream::new(stack.log.client.clone());
    let stream = js
        .get_stream(schedules_stream(&stack.log.config.stream))
        .await
        .expect("the schedules stream");
    let subject = format!("{}.{kind}.payout.{id}", stack.log.config.prefix);
    stream.get_last_raw_message_by_subject(&subject).await.ok()
}

/// The pending schedule of `id`, as `nats stream view` shows it: its `Nats-Schedule` header.
async fn schedule_of(stack: &Stack, id: OrderId) -> Option<String> {
    let headers = last_of(stack, "schedule", id).await?.headers;
    headers
        .get("Nats-Schedule")
        .map(|value| value.as_str().to_string())
}

/// True while the wake the server published for `id` is still in the schedules stream.
async fn wake_kept(stack: &Stack, id: OrderId) -> bool {
    last_of(stack, "wake", id).await.is_some()
}

async fn wait_until_scheduled(stack: &Stack, ids: &[OrderId]) {
    let deadline = Instant::now() + WITHIN;
    for id in ids {
        while schedule_of(stack, *id).await.is_none() {
            assert!(Instant::now() < deadline, "no schedule stored for {id}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn sent(stack: &Stack, provider: &str, id: OrderId) -> usize {
    stack
        .sandbox_orders(provider, id)
        .iter()
        .map(|o| o.submissions as usize)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_payout_waits_out_every_executor_and_is_paid_once_at_its_time() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut stack = Stack::start(StackOptions::default()).await;
    let (_intake, client) = stack.start_intake().await;
    let execute_at = Utc::now() + chrono::TimeDelta::seconds(6);
    let mut scheduled = vec![];
    for provider in payout_providers() {
        let body = scheduled_body(&format!("sched-{provider}"), provider, execute_at);
        let reply = client.create_payout(body.to_string()).await;
        assert!(reply.ok, "{provider}: {reply:?}");
        assert_eq!(reply.str("status"), Some("scheduled"), "{reply:?}");
        let id: OrderId = reply.str("order_id").expect("order_id").parse().unwrap();
        scheduled.push((provider, id));
    }
    // One for tomorrow, withdrawn today.
    let tomorrow = Utc::now() + chrono::TimeDelta::days(1);
    let body = scheduled_body("sched-withdrawn", "cashy-co", tomorrow);
    let reply = client.create_payout(body.to_string()).await;
    let withdrawn: OrderId = reply.str("order_id").expect("order_id").parse().unwrap();

    let ids: Vec<OrderId> = scheduled.iter().map(|(_, id)| *id).collect();
    wait_until_scheduled(&stack, &ids).await;
    wait_until_scheduled(&stack, &[withdrawn]).await;
    let shown = schedule_of(&stack, ids[0]).await.expect("a schedule");
    let expected_at = DateTime::from_timestamp(execute_at.timestamp() + 1, 0).expect("an instant");
    assert_eq!(
        shown,
        format!(
            "@at {}",
            expected_at.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
        "rounded up to the second"
    );
    let cancelled = client.cancel_payout(&withdrawn.to_string()).await;
    assert_eq!(cancelled.str("status"), Some("cancelled"), "{cancelled:?}");

    // Every executor goes down before the payouts are due and stays down past their time.
    for (_, handle) in std::mem::take(&mut stack.executors) {
        handle.stop().await;
    }
    let wait = (execute_at - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(2);
    tokio::time::sleep(wait).await;
    for (provider, id) in &scheduled {
        assert_eq!(stack.status(*id).await, S::Scheduled, "{provider}");
        assert_eq!(sent(&stack, provider, *id), 0, "{provider}: sent early");
    }

    // They come back: the wakes waited in JetStream, and every payout is made once.
    for i in 0..stack.providers.len() {
        stack.start_executor(i).await;
    }
    let statuses = stack.wait_for(&ids, WITHIN, |s| s.is_terminal()).await;
    assert_eq!(statuses, vec![S::Succeeded; ids.len()]);
    for (provider, id) in &scheduled {
        let order = stack.log.log.load::<PayoutDecider>(*id).await.unwrap();
        let types: Vec<&str> = order
            .events
            .iter()
            .map(|e| giro_domain::EventType::event_type(&e.event))
            .collect();
        assert_eq!(
            &types[..3],
            [
                "payout.requested",
                "payout.became_due",
                "payout.submission_started"
            ],
            "{provider}"
        );
        let due = order
            .events
            .iter()
            .find(|e| matches!(e.event, PayoutEvent::BecameDue(_)))
            .expect("became due");
        assert!(
            due.at >= execute_at,
            "{provider}: due at {} before {execute_at}",
            due.at
        );
        assert_eq!(sent(&stack, provider, *id), 1, "{provider}");
        assert!(
            schedule_of(&stack, *id).await.is_none(),
            "{provider}: schedule left"
        );
        stack.assert_gapless(*id).await;
    }
    // Each fired wake is deleted once its payout became due: the schedules stream keeps only
    // what is still to come.
    let deadline = Instant::now() + WITHIN;
    for (provider, id) in &scheduled {
        while wake_kept(&stack, *id).await {
            assert!(
                Instant::now() < deadline,
                "{provider}: the fired wake stayed"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // The withdrawn one: never sent, its schedule purged.
    assert_eq!(stack.status(withdrawn).await, S::Cancelled);
    assert_eq!(
        stack.event_types(withdrawn).await,
        ["payout.requested", "payout.cancelled"]
    );
    let deadline = Instant::now() + WITHIN;
    while schedule_of(&stack, withdrawn).await.is_some() {
        assert!(
            Instant::now() < deadline,
            "the withdrawn payout's schedule stayed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sent(&stack, "cashy-co", withdrawn), 0);
    let summary = stack.sandbox.registry().summary();
    assert!(summary.exactly_once, "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_refuses_a_time_past_or_too_far_naming_execute_at() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stack = Stack::start(StackOptions {
        executors: 0,
        ..StackOptions::default()
    })
    .await;
    let (_intake, client) = stack.start_intake().await;
    for (key, at) in [
        ("past", Utc::now() - chrono::TimeDelta::minutes(1)),
        ("far", Utc::now() + chrono::TimeDelta::days(400)),
    ] {
        let body = scheduled_body(key, "cashy-co", at);
        let reply = client.create_payout(body.to_string()).await;
        assert!(!reply.ok, "{reply:?}");
        let error = reply.error.expect("an error");
        assert_eq!(error.field.as_deref(), Some("execute_at"), "{error:?}");
    }
    let mut body = scheduled_body("malformed", "cashy-co", Utc::now());
    body["execute_at"] = json!("next friday");
    let reply = client.create_payout(body.to_string()).await;
    let error = reply.error.expect("an error");
    assert_eq!(error.field.as_deref(), Some("execute_at"), "{error:?}");
}
