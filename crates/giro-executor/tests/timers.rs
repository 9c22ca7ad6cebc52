//! An order's timer (its latest event's message, redelivered after a delay) lasts only as long
//! as the order waits on it: once the order moves on, the message is acked, so an engine that has
//! finished its orders holds no pending messages, whatever its timers' delays, with one executor
//! instance or several sharing a consumer.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::fake::{Behaviour, FakeProvider};
use common::*;
use futures::StreamExt;
use giro_domain::payout::{
    PayoutCommand, PayoutDecider, PayoutStatus, ProviderReport, ReportSource, ReportedOutcome,
};
use giro_domain::{EventMeta, OrderId, ProviderId};
use giro_eventlog::EventLog;
use giro_eventlog::test_support::{TestLog, nats_url};
use giro_executor::{ExecutorConfig, ExecutorHandle};
use giro_providers::PayoutProvider;

/// Cashy Colombia's executor config, with timers far longer than the test: only a cancellation
/// can take them off the consumer.
fn patient(t: &TestLog) -> ExecutorConfig {
    let provider = ProviderId::try_from("cashy-co".to_string()).unwrap();
    let mut config = ExecutorConfig::new(provider, t.config.prefix.clone());
    config.timings = giro_executor::Timings {
        poll_after: Duration::from_secs(600),
        poll_max: Duration::from_secs(600),
        claim_timeout: Duration::from_secs(600),
        ..fast_timings()
    };
    config
}

/// A handle on the test's log as another process has it: a connection and a cache of its own.
async fn process(t: &TestLog) -> EventLog {
    let client = async_nats::connect(nats_url()).await.unwrap();
    EventLog::open(client, t.config.clone()).await.unwrap()
}

/// An executor instance in a process of its own.
async fn instance(t: &TestLog, fake: &Arc<FakeProvider>) -> ExecutorHandle {
    instance_waiting(t, fake, patient(t).timings.ack_wait).await
}

/// An instance whose consumer waits `ack_wait` for an answer to each delivery.
async fn instance_waiting(
    t: &TestLog,
    fake: &Arc<FakeProvider>,
    ack_wait: Duration,
) -> ExecutorHandle {
    let provider: Arc<dyn PayoutProvider> = fake.clone();
    let mut config = patient(t);
    config.timings.ack_wait = ack_wait;
    giro_executor::start(process(t).await, provider, config, false)
        .await
        .unwrap()
}

/// The executor's consumer as the server sees it.
async fn consumer_info(t: &TestLog) -> async_nats::jetstream::consumer::Info {
    let js = async_nats::jetstream::new(t.client.clone());
    let stream = js.get_stream(&t.config.stream).await.unwrap();
    stream
        .consumer_info(patient(t).consumer_name())
        .await
        .unwrap()
}

/// The executor's consumer: (undelivered, delivered and not acknowledged).
async fn consumer(t: &TestLog) -> (u64, usize) {
    let info = consumer_info(t).await;
    (info.num_pending, info.num_ack_pending)
}

/// Creates `n` payouts and waits until each is submitted and waits on one timer.
async fn submitted(t: &TestLog, n: usize) -> Vec<OrderId> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(create(&t.log, &format!("timer-{i}"), "cashy-co", "150000").await);
    }
    eventually(Duration::from_secs(20), "payouts waiting on timers", || {
        let (t, ids) = (t, &ids);
        async move {
            for id in ids {
                let order = t.log.load::<PayoutDecider>(*id).await.unwrap();
                if order.state.unwrap().status != PayoutStatus::Submitted {
                    return None;
                }
            }
            (consumer(t).await == (0, ids.len())).then_some(())
        }
    })
    .await;
    ids
}

/// The provider's callbacks reach an ingress in another process; then every payout has ended
/// and, long before any timer would fire, nothing is left pending.
async fn succeed_and_settle(t: &TestLog, ids: &[OrderId]) {
    let ingress = process(t).await;
    for id in ids {
        let order = ingress.load::<PayoutDecider>(*id).await.unwrap();
        let handle = order.state.unwrap().handle.unwrap();
        let report = ProviderReport {
            source: ReportSource::Webhook,
            raw_status: "SUCCESS".into(),
            outcome: ReportedOutcome::Succeeded,
            report_id: format!("{handle}:SUCCESS"),
            provider_ref: None,
            reason: None,
            fee: None,
            attempt: None,
            amount: None,
            completed_at: None,
            channel_ref: None,
            reported_at: None,
        };
        let command = PayoutCommand::RecordReport(report);
        ingress
            .execute::<PayoutDecider>(*id, &command, &EventMeta::default(), false)
            .await
            .unwrap();
    }
    let statuses = wait_terminal(&t.log, ids, Duration::from_secs(10)).await;
    assert_eq!(statuses, vec![PayoutStatus::Succeeded; ids.len()]);
    eventually(
        Duration::from_secs(10),
        "the ended payouts' timers cancelled",
        || async { (consumer(t).await == (0, 0)).then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_is_cancelled_when_its_order_moves_on_not_when_it_fires() {
    let t = TestLog::new().await;
    let fake = Arc::new(FakeProvider::new(Behaviour::default()));
    let exec = instance(&t, &fake).await;
    let ids = submitted(&t, 5).await;
    succeed_and_settle(&t, &ids).await;
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_a_consumer_cancel_each_others_timers() {
    let t = TestLog::new().await;
    // Where the instances of the consumer tell each other they are there, and which orders moved
    // on: both must have been heard before the payouts come.
    let subject = giro_executor::timers_subject(&t.config.prefix, &patient(&t).consumer_name());
    let mut words = t.client.subscribe(subject).await.unwrap();
    t.client.flush().await.unwrap();
    let fake = Arc::new(FakeProvider::new(Behaviour::default()));
    let (a, b) = (instance(&t, &fake).await, instance(&t, &fake).await);
    let mut heard = HashSet::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while heard.len() < 2 {
            let word = words.next().await.unwrap();
            let text = String::from_utf8_lossy(&word.payload).to_string();
            heard.insert(text.split(' ').next().unwrap_or_default().to_string());
        }
    })
    .await
    .expect("the two instances did not say they were there");
    // Each order's events are spread over both instances: whichever handles a newer event has
    // the timer the other set cancelled.
    let ids = submitted(&t, 12).await;
    succeed_and_settle(&t, &ids).await;
    a.stop().await;
    b.stop().await;
}

/// What the executor instances send on the consumer's ack subjects (`+ACK`, `-NAK {…}`), as a
/// core subscriber sees it.
async fn acks(t: &TestLog) -> async_nats::Subscriber {
    let subject = format!(
        "$JS.ACK.{}.{}.>",
        t.config.stream,
        patient(t).consumer_name()
    );
    let acks = t.client.subscribe(subject).await.unwrap();
    t.client.flush().await.unwrap();
    acks
}

/// Everything received on `acks` so far, as text.
fn drain(acks: &mut async_nats::Subscriber) -> Vec<String> {
    let mut seen = Vec::new();
    while let Some(Some(m)) = futures::FutureExt::now_or_never(acks.next()) {
        seen.push(String::from_utf8_lossy(&m.payload).to_string());
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_timer_whose_order_moves_on_within_half_the_ack_wait_sends_no_nak() {
    let t = TestLog::new().await;
    let mut acks = acks(&t).await;
    let fake = Arc::new(FakeProvider::new(Behaviour::default()));
    // Half of 60 s: far more than a busy machine takes to submit and report.
    let exec = instance_waiting(&t, &fake, Duration::from_secs(60)).await;
    let ids = submitted(&t, 5).await;
    succeed_and_settle(&t, &ids).await;
    let seen = drain(&mut acks);
    assert!(
        seen.iter().all(|a| a == "+ACK"),
        "only acks, no NAK: {seen:?}"
    );
    // One per event each payout was delivered (requested, claimed, submitted, reported, ended).
    assert!(seen.len() >= 5 * ids.len(), "acks seen: {seen:?}");
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_timer_is_nakd_once_for_the_rest_of_its_delay_after_half_the_ack_wait() {
    let t = TestLog::new().await;
    let mut acks = acks(&t).await;
    let fake = Arc::new(FakeProvider::new(Behaviour::default()));
    let ack_wait = Duration::from_secs(2);
    let exec = instance_waiting(&t, &fake, ack_wait).await;
    let ids = submitted(&t, 3).await;
    // Each submitted payout waits 600 s for its first poll: after half the ack wait its message
    // is NAKed for what is left of that, so the ack wait never runs out on it.
    let rest = format!(
        "-NAK {{\"delay\":{}}}",
        (Duration::from_secs(600) - ack_wait / 2).as_nanos()
    );
    let mut seen = Vec::new();
    let want = ids.len();
    eventually(Duration::from_secs(10), "a NAK per waiting payout", || {
        seen.extend(drain(&mut acks));
        let naks = seen.iter().filter(|a| a.starts_with("-NAK")).count();
        async move { (naks >= want).then_some(()) }
    })
    .await;
    // Twice the ack wait later: nothing was delivered again, and no other NAK was sent.
    tokio::time::sleep(ack_wait * 2).await;
    seen.extend(drain(&mut acks));
    let naks: Vec<&String> = seen.iter().filter(|a| a.starts_with("-NAK")).collect();
    assert_eq!(naks, vec![&rest; ids.len()], "all seen: {seen:?}");
    let info = consumer_info(&t).await;
    assert_eq!(info.num_redelivered, 0, "redelivered before their delay");
    assert_eq!((info.num_pending, info.num_ack_pending), (0, ids.len()));
    exec.stop().await;
}
