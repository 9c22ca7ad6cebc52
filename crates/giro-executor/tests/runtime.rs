//! The runtime's promises with a scripted provider: every payout paid exactly once, lost responses
//! resolved by lookup, a dead claimer's attempt resolved by another instance, funds never overdrawn.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::fake::{Behaviour, FakeProvider};
use common::*;
use giro_domain::ProviderId;
use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutStatus};
use giro_eventlog::test_support::TestLog;
use giro_executor::{ExecutorConfig, PayoutProvider};
use rust_decimal::Decimal;

fn config(t: &TestLog, provider: &str) -> ExecutorConfig {
    let mut c = ExecutorConfig::new(
        ProviderId::try_from(provider.to_string()).unwrap(),
        t.config.prefix.clone(),
    );
    c.timings = fast_timings();
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_responses_and_busy_refusals_still_pay_each_order_once() {
    let t = TestLog::new().await;
    let fake = Arc::new(FakeProvider::new(Behaviour {
        lose_every: 3,
        busy_first: 4,
        polls_to_success: 1,
        ..Default::default()
    }));
    let provider: Arc<dyn PayoutProvider> = fake.clone();
    let a = giro_executor::start(
        t.log.clone(),
        provider.clone(),
        config(&t, "cashy-co"),
        false,
    )
    .await
    .unwrap();
    let b = giro_executor::start(t.log.clone(), provider, config(&t, "cashy-co"), false)
        .await
        .unwrap();
    let mut ids = vec![];
    for i in 0..30 {
        ids.push(create(&t.log, &format!("lost-{i}"), "cashy-co", "150000").await);
    }
    // An order of another provider is left alone.
    let other = create(&t.log, "not-mine", "cashy-tz", "5000").await;
    let statuses = wait_terminal(&t.log, &ids, Duration::from_secs(60)).await;
    assert!(
        statuses.iter().all(|s| *s == PayoutStatus::Succeeded),
        "{statuses:?}"
    );
    assert_eq!(fake.created(), 30);
    for id in &ids {
        assert_eq!(fake.created_for_order(*id), 1);
        assert_gapless(&t.log, *id).await;
    }
    let untouched = t.log.load::<PayoutDecider>(other).await.unwrap();
    assert_eq!(untouched.events.len(), 1);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_whose_executor_died_is_resolved_by_lookup_not_resent() {
    let t = TestLog::new().await;
    let fake = Arc::new(FakeProvider::new(Behaviour {
        polls_to_success: 0,
        ..Default::default()
    }));
    let id = create(&t.log, "crash-1", "cashy-co", "150000").await;
    // An executor claimed the attempt and called the provider, then died before recording it.
    let claimed = t
        .log
        .execute::<PayoutDecider>(
            id,
            &PayoutCommand::StartSubmission,
            &Default::default(),
            false,
        )
        .await
        .unwrap();
    let p = claimed.order.state.unwrap();
    let order = giro_executor::PayoutOrder {
        id,
        handle: p.handle.as_deref().unwrap(),
        request: &p.request,
        provider_ref: None,
    };
    assert!(matches!(
        fake.submit(order).await,
        giro_executor::Submission::Accepted { .. }
    ));

    let provider: Arc<dyn PayoutProvider> = fake.clone();
    let survivor = giro_executor::start(t.log.clone(), provider, config(&t, "cashy-co"), false)
        .await
        .unwrap();
    let statuses = wait_terminal(&t.log, &[id], Duration::from_secs(30)).await;
    assert_eq!(statuses, vec![PayoutStatus::Succeeded]);
    assert_eq!(fake.created_for_order(id), 1);
    let types: Vec<&str> = t
        .log
        .load::<PayoutDecider>(id)
        .await
        .unwrap()
        .events
        .iter()
        .map(|e| giro_domain::EventType::event_type(&e.event))
        .collect();
    assert!(types.contains(&"payout.outcome_unknown"), "{types:?}");
    assert_gapless(&t.log, id).await;
    survivor.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_the_funds_hold_half_the_batch_until_a_top_up() {
    let t = TestLog::new().await;
    // Ten payouts of 100,000 against 500,000: five fit.
    let fake = Arc::new(FakeProvider::new(Behaviour {
        balance: Some(Decimal::from(500_000)),
        polls_to_success: 0,
        ..Default::default()
    }));
    let provider: Arc<dyn PayoutProvider> = fake.clone();
    let a = giro_executor::start(t.log.clone(), provider.clone(), config(&t, "killb"), true)
        .await
        .unwrap();
    let b = giro_executor::start(t.log.clone(), provider, config(&t, "killb"), true)
        .await
        .unwrap();
    let mut ids = vec![];
    for i in 0..10 {
        ids.push(create(&t.log, &format!("funds-{i}"), "killb", "100000").await);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (succeeded, held) = loop {
        let mut s = 0;
        let mut h = 0;
        for id in &ids {
            match t
                .log
                .load::<PayoutDecider>(*id)
                .await
                .unwrap()
                .state
                .unwrap()
                .status
            {
                PayoutStatus::Succeeded => s += 1,
                PayoutStatus::Held => h += 1,
                _ => {}
            }
        }
        if s + h == 10 || std::time::Instant::now() > deadline {
            break (s, h);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((succeeded, held), (5, 5));
    assert!(
        fake.lowest_balance() >= Decimal::ZERO,
        "overdrawn: {}",
        fake.lowest_balance()
    );
    fake.top_up(Decimal::from(500_000));
    let statuses = wait_terminal(&t.log, &ids, Duration::from_secs(30)).await;
    assert!(
        statuses.iter().all(|s| *s == PayoutStatus::Succeeded),
        "{statuses:?}"
    );
    assert_eq!(fake.lowest_balance(), Decimal::ZERO);
    assert_eq!(fake.created(), 10);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_is_dead_lettered_and_the_consumer_keeps_going() {
    let t = TestLog::new().await;
    let fake = Arc::new(FakeProvider::new(Behaviour {
        polls_to_success: 0,
        ..Default::default()
    }));
    let provider: Arc<dyn PayoutProvider> = fake.clone();
    let exec = giro_executor::start(t.log.clone(), provider, config(&t, "cashy-co"), false)
        .await
        .unwrap();
    // Two unreadable events for this provider, appended as Giro appends (first on their subject):
    // JetStream keeps their append condition, which must not follow them to the dead letters.
    let js = async_nats::jetstream::new(t.client.clone());
    for _ in 0..2 {
        let poison = uuid::Uuid::new_v4();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(giro_eventlog::PROVIDER_HEADER, "cashy-co");
        headers.insert("Nats-Expected-Last-Subject-Sequence", "0");
        js.publish_with_headers(
            format!("{}.evt.payout.{poison}", t.config.prefix),
            headers,
            "{not json".into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    }
    let good = create(&t.log, "after-poison", "cashy-co", "150000").await;
    let statuses = wait_terminal(&t.log, &[good], Duration::from_secs(30)).await;
    assert_eq!(statuses, vec![PayoutStatus::Succeeded]);
    let dlq = js.get_stream(t.config.dead_letter_stream()).await.unwrap();
    let letter = dlq
        .direct_get_last_for_subject(format!("{}.dlq.executor.cashy-co", t.config.prefix))
        .await
        .unwrap();
    let reason = letter
        .headers
        .get("Giro-Dead-Letter-Reason")
        .unwrap()
        .as_str()
        .to_string();
    assert!(reason.contains("unreadable"), "{reason}");
    assert_eq!(&letter.payload[..], b"{not json");
    let mut dlq = dlq;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while dlq.info().await.unwrap().state.messages < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "both poison events are dead-lettered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    exec.stop().await;
}
