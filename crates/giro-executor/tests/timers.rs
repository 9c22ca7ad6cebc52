//! An order's timer (its latest event's message, redelivered after a delay) lasts only as long
//! as the order waits on it: once the order moves on, the message is acked, so an engine that has
//! finished its orders holds no pending messages, whatever its timers' delays.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::fake::{Behaviour, FakeProvider};
use common::*;
use giro_domain::payout::{
    PayoutCommand, PayoutDecider, PayoutStatus, ProviderReport, ReportSource, ReportedOutcome,
};
use giro_domain::{EventMeta, OrderId, ProviderId};
use giro_eventlog::EventLog;
use giro_eventlog::test_support::{TestLog, nats_url};
use giro_executor::{ExecutorConfig, PayoutProvider};

/// The executor's consumer: (undelivered, delivered and not acknowledged).
async fn consumer(t: &TestLog, name: &str) -> (u64, usize) {
    let js = async_nats::jetstream::new(t.client.clone());
    let stream = js.get_stream(&t.config.stream).await.unwrap();
    let info = stream.consumer_info(name).await.unwrap();
    (info.num_pending, info.num_ack_pending)
}

async fn status(log: &EventLog, id: OrderId) -> PayoutStatus {
    let order = log.load::<PayoutDecider>(id).await.unwrap();
    order.state.unwrap().status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_is_cancelled_when_its_order_moves_on_not_when_it_fires() {
    let t = TestLog::new().await;
    let provider = ProviderId::try_from("cashy-co".to_string()).unwrap();
    let mut config = ExecutorConfig::new(provider, t.config.prefix.clone());
    // Timers far longer than the test: only a cancellation can take them off the consumer.
    config.timings = giro_executor::Timings {
        poll_after: Duration::from_secs(600),
        poll_max: Duration::from_secs(600),
        claim_timeout: Duration::from_secs(600),
        ..fast_timings()
    };
    let name = config.consumer_name();
    let fake: Arc<dyn PayoutProvider> = Arc::new(FakeProvider::new(Behaviour::default()));
    let exec = giro_executor::start(t.log.clone(), fake, config, false)
        .await
        .unwrap();
    let ids: Vec<OrderId> = {
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(create(&t.log, &format!("timer-{i}"), "cashy-co", "150000").await);
        }
        ids
    };
    // Each payout submitted, its `submitted` event waiting on a timer: five pending messages.
    eventually(
        Duration::from_secs(20),
        "five payouts waiting on timers",
        || {
            let (t, ids, name) = (&t, &ids, &name);
            async move {
                for id in ids {
                    if status(&t.log, *id).await != PayoutStatus::Submitted {
                        return None;
                    }
                }
                (consumer(t, name).await == (0, 5)).then_some(())
            }
        },
    )
    .await;
    // The provider's callbacks arrive at an ingress in another process: a handle on the log with
    // a cache of its own, which the executor's process does not see.
    let ingress = EventLog::open(
        async_nats::connect(nats_url()).await.unwrap(),
        t.config.clone(),
    )
    .await
    .unwrap();
    for id in &ids {
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
            reported_at: None,
        };
        ingress
            .execute::<PayoutDecider>(
                *id,
                &PayoutCommand::RecordReport(report),
                &EventMeta::default(),
                false,
            )
            .await
            .unwrap();
    }
    let statuses = wait_terminal(&t.log, &ids, Duration::from_secs(10)).await;
    assert_eq!(statuses, vec![PayoutStatus::Succeeded; 5]);
    // Ten minutes before any timer would fire, nothing is pending any more.
    eventually(
        Duration::from_secs(10),
        "the ended payouts' timers cancelled",
        || {
            let t = &t;
            let name = &name;
            async move { (consumer(t, name).await == (0, 0)).then_some(()) }
        },
    )
    .await;
    exec.stop().await;
}
