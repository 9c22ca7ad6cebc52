//! One executor process serving several payout provider instances on one consumer, and the funds
//! ledger's group commit: many reservations decided at once, by several instances, never
//! overdrawing.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::fake::{Behaviour, FakeProvider};
use common::*;
use giro_domain::payout::{PayoutDecider, PayoutStatus};
use giro_domain::{OrderId, ProviderId};
use giro_eventlog::test_support::TestLog;
use giro_executor::funds::Funds;
use giro_executor::{ExecutorConfig, PayoutInstance, SHARED_PAYOUT_CONSUMER};
use giro_providers::PayoutProvider;
use rust_decimal::Decimal;

fn instance(t: &TestLog, provider: &str, fake: &Arc<FakeProvider>) -> PayoutInstance {
    let mut config = ExecutorConfig::new(
        ProviderId::try_from(provider.to_string()).unwrap(),
        t.config.prefix.clone(),
    );
    config.timings = fast_timings();
    let provider: Arc<dyn PayoutProvider> = fake.clone();
    PayoutInstance {
        provider,
        config,
        prefunded: false,
        currencies: Vec::new(),
    }
}

fn paying() -> Arc<FakeProvider> {
    Arc::new(FakeProvider::new(Behaviour {
        polls_to_success: 0,
        ..Default::default()
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_consumer_drives_each_served_provider_and_leaves_the_others_alone() {
    let t = TestLog::new().await;
    let (co, tz) = (paying(), paying());
    let exec = giro_executor::start_payouts(
        t.log.clone(),
        vec![instance(&t, "cashy-co", &co), instance(&t, "cashy-tz", &tz)],
    )
    .await
    .unwrap();
    let mut served = Vec::new();
    for i in 0..3 {
        served.push(create(&t.log, &format!("co-{i}"), "cashy-co", "150000").await);
        served.push(create(&t.log, &format!("tz-{i}"), "cashy-tz", "5000").await);
    }
    let foreign = create(&t.log, "kb-0", "killb", "150000").await;
    let statuses = wait_terminal(&t.log, &served, Duration::from_secs(30)).await;
    assert_eq!(statuses, vec![PayoutStatus::Succeeded; 6]);
    // Each provider got its own orders, once each.
    assert_eq!((co.created(), tz.created()), (3, 3));
    for id in &served {
        assert_gapless(&t.log, *id).await;
    }
    // One consumer for the process; every event acknowledged, KillB's included, and the KillB
    // order untouched: no executor here serves it.
    let js = async_nats::jetstream::new(t.client.clone());
    let stream = js.get_stream(&t.config.stream).await.unwrap();
    let mut settled = false;
    for _ in 0..100 {
        let info = stream.consumer_info(SHARED_PAYOUT_CONSUMER).await.unwrap();
        if info.num_pending == 0 && info.num_ack_pending == 0 {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(settled, "the shared consumer has unacknowledged events");
    let names: Vec<String> = {
        use futures::StreamExt;
        stream.consumer_names().map(|n| n.unwrap()).collect().await
    };
    assert_eq!(names, vec![SHARED_PAYOUT_CONSUMER.to_string()]);
    let kb = t.log.load::<PayoutDecider>(foreign).await.unwrap();
    assert_eq!(kb.state.unwrap().status, PayoutStatus::Requested);
    assert_eq!(kb.events.len(), 1);
    exec.stop().await;
}

async fn ledger(t: &TestLog) -> Funds {
    let js = async_nats::jetstream::new(t.client.clone());
    let stream = format!("{}_FUNDS", t.config.stream);
    Funds::open(&js, &stream, &t.config.prefix, "killb", t.config.replicas)
        .await
        .unwrap()
}

fn fixed(balance: i64) -> impl Fn() -> std::future::Ready<Result<Decimal, String>> + Clone {
    move || std::future::ready(Ok(Decimal::from(balance)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reservations_decided_together_by_two_instances_never_exceed_the_balance() {
    let t = TestLog::new().await;
    let (a, b) = (ledger(&t).await, ledger(&t).await);
    let orders: Vec<OrderId> = (0..40)
        .map(|_| OrderId::from_uuid(uuid::Uuid::new_v4()))
        .collect();
    // 40 reservations of 100,000 against 1,000,000, half through each instance, all at once.
    let attempts = orders.iter().enumerate().map(|(i, id)| {
        let funds = if i % 2 == 0 { a.clone() } else { b.clone() };
        let id = *id;
        async move {
            let held = funds
                .reserve(id, Decimal::from(100_000), fixed(1_000_000))
                .await
                .unwrap();
            (id, held)
        }
    });
    let results = futures::future::join_all(attempts).await;
    let granted: Vec<OrderId> = results.iter().filter(|r| r.1).map(|r| r.0).collect();
    assert_eq!(granted.len(), 10, "{results:?}");
    assert_eq!(a.reserved_total().await.unwrap(), Decimal::from(1_000_000));
    // Asking again for a held reservation keeps it as it is, whatever the balance says now.
    assert!(
        b.reserve(granted[0], Decimal::from(100_000), fixed(0))
            .await
            .unwrap()
    );
    assert_eq!(b.reserved_total().await.unwrap(), Decimal::from(1_000_000));
    // Releases and new reservations decided in one go: the released amounts are reserved again.
    let refused: Vec<OrderId> = results.iter().filter(|r| !r.1).map(|r| r.0).collect();
    let releases = granted.iter().map(|id| a.release(*id));
    let second = refused[..10].iter().map(|id| {
        let b = b.clone();
        let id = *id;
        async move {
            loop {
                // A reservation may be decided before the release it needs: ask again.
                if b.reserve(id, Decimal::from(100_000), fixed(1_000_000))
                    .await
                    .unwrap()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let (released, ()) = tokio::join!(futures::future::join_all(releases), async {
        tokio::time::timeout(Duration::from_secs(20), futures::future::join_all(second))
            .await
            .expect("the released funds are reserved again");
    });
    assert!(released.iter().all(Result::is_ok));
    let now = a.reservations().await.unwrap();
    assert_eq!(now.len(), 10);
    assert!(refused[..10].iter().all(|id| now.contains_key(id)));
    // A release of an order holding nothing changes nothing.
    b.release(OrderId::from_uuid(uuid::Uuid::new_v4()))
        .await
        .unwrap();
    assert_eq!(a.reserved_total().await.unwrap(), Decimal::from(1_000_000));
}

/// Whether `funds` grants a new order `amount` of a balance of 1,000.
async fn reserve_new(funds: &Funds, amount: i64) -> bool {
    let order = OrderId::from_uuid(uuid::Uuid::new_v4());
    funds
        .reserve(order, Decimal::from(amount), fixed(1_000))
        .await
        .unwrap()
}

/// An instance decides from the ledger entry as it last stored it, without reading it back; a
/// release stored by another instance since is still counted before a reservation is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_by_another_instance_frees_the_funds_for_this_one() {
    let t = TestLog::new().await;
    let (a, b) = (ledger(&t).await, ledger(&t).await);
    let (first, second) = (
        OrderId::from_uuid(uuid::Uuid::new_v4()),
        OrderId::from_uuid(uuid::Uuid::new_v4()),
    );
    assert!(
        a.reserve(first, Decimal::from(700), fixed(1_000))
            .await
            .unwrap()
    );
    b.release(first).await.unwrap();
    // As `a` stored it, `first` still holds 700 of the 1,000; as stored now, nothing is held.
    assert!(
        a.reserve(second, Decimal::from(1_000), fixed(1_000))
            .await
            .unwrap(),
        "refused on a ledger entry another instance had replaced"
    );
    let now = b.reservations().await.unwrap();
    assert_eq!(
        now.into_iter().collect::<Vec<_>>(),
        vec![(second, Decimal::from(1_000))]
    );
    // A refusal is decided on the entry as stored now (`b` holds 600 of the 1,000 there).
    b.release(second).await.unwrap();
    assert!(reserve_new(&b, 600).await);
    assert!(!reserve_new(&a, 600).await);
    // A grant decided on a replaced entry is never stored over it: `a` knows 600 held, `b`
    // has reserved the other 400 since.
    assert!(reserve_new(&b, 400).await);
    assert!(!reserve_new(&a, 300).await);
    assert_eq!(a.reserved_total().await.unwrap(), Decimal::from(1_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_balance_that_cannot_be_read_refuses_the_batch_and_keeps_the_ledger() {
    let t = TestLog::new().await;
    let funds = ledger(&t).await;
    let kept = OrderId::from_uuid(uuid::Uuid::new_v4());
    assert!(
        funds
            .reserve(kept, Decimal::from(5), fixed(10))
            .await
            .unwrap()
    );
    let failing = || std::future::ready(Err::<Decimal, _>("provider down".to_string()));
    let error = funds
        .reserve(
            OrderId::from_uuid(uuid::Uuid::new_v4()),
            Decimal::from(1),
            failing,
        )
        .await
        .unwrap_err();
    assert!(error.to_string().contains("provider down"), "{error}");
    assert_eq!(
        funds
            .reservations()
            .await
            .unwrap()
            .into_keys()
            .collect::<Vec<_>>(),
        vec![kept]
    );
}
