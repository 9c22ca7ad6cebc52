//! The runtime's promises, with the providers' sandboxes over real HTTP where they can express
//! the situation and a scripted provider where they cannot: every payout paid exactly once, lost
//! responses resolved by lookup, a dead claimer's attempt resolved by another instance, funds never
//! overdrawn and never left reserved, the retry policy (the provider's announced waits honoured,
//! "come back later" not spending attempts, attempts capped, final refusals final), A55's
//! `errors.unexpected` retried, and refunds never sent twice.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::fake::{Behaviour, FakeProvider};
use common::fake_charges::{FakeCharges, RefundAnswer};
use common::*;
use giro_domain::charge::{ChargeCommand, ChargeDecider, ChargeEvent, ChargeStatus};
use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutEvent, PayoutStatus};
use giro_domain::{Envelope, OrderId, ProviderId, Secret, SubmissionHandle};
use giro_eventlog::test_support::TestLog;
use giro_executor::funds::Funds;
use giro_executor::{ExecutorConfig, Timings};
use giro_providers::a55::{A55Client, A55Config};
use giro_providers::cashy::{CashyClient, CashyConfig, CashyCountry};
use giro_providers::killb::{KillbClient, KillbConfig};
use giro_providers::{BoxFuture, ChargeProvider, Lookup, PayoutOrder, PayoutProvider, Submission};
use giro_sandbox::cashy::{CashyConfig as CashySimulator, CashyMerchant};
use giro_sandbox::killb::{KillbConfig as KillbSimulator, PrefundAccount};
use giro_sandbox::{FaultSettings, Sandbox, SandboxConfig};
use rust_decimal::Decimal;

fn config(t: &TestLog, provider: &str) -> ExecutorConfig {
    config_with(t, provider, fast_timings())
}

fn config_with(t: &TestLog, provider: &str, timings: Timings) -> ExecutorConfig {
    let mut c = ExecutorConfig::new(
        ProviderId::try_from(provider.to_string()).unwrap(),
        t.config.prefix.clone(),
    );
    c.timings = timings;
    c
}

/// One executor instance of `provider` on the test's stream with `timings`.
async fn run_payouts(
    t: &TestLog,
    client: Arc<dyn PayoutProvider>,
    provider: &str,
    timings: Timings,
    prefunded: bool,
) -> giro_executor::ExecutorHandle {
    giro_executor::start(
        t.log.clone(),
        client,
        config_with(t, provider, timings),
        prefunded,
    )
    .await
    .unwrap()
}

const KILLB_EMAIL: &str = "ops@giro.test";
const KILLB_PASSWORD: &str = "kb-password";
const KILLB_SECRET: &str = "kb-webhook-secret";
const KILLB_ACCOUNT: &str = "prefund-cop-001";
const TZ_MERCHANT: &str = "1002001";
const TZ_KEY: &str = "cashy-tz-sandbox-key";
const A55_CLIENT_ID: &str = "giro-client";
const A55_CLIENT_SECRET: &str = "giro-client-secret";
const A55_WEBHOOK_SECRET: &str = "a55-webhook-secret";
const A55_WALLET: &str = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const A55_MERCHANT: &str = "11111111-1111-1111-1111-111111111111";

/// The KillB sandbox, its pre-fund account holding `balance` COP when given.
async fn killb_sandbox(balance: Option<i64>) -> Sandbox {
    let mut killb = KillbSimulator::new(KILLB_EMAIL, KILLB_PASSWORD, KILLB_SECRET);
    if let Some(amount) = balance {
        killb.accounts = vec![PrefundAccount {
            id: KILLB_ACCOUNT.into(),
            currency: "COP".into(),
            network: None,
            amount: Decimal::from(amount),
        }];
    }
    Sandbox::start(SandboxConfig {
        simulators: vec![Box::new(killb)],
        timing: sandbox_timing(),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn killb_config(sandbox: &Sandbox) -> KillbConfig {
    let mut config = KillbConfig::new(
        sandbox.killb_url().unwrap(),
        KILLB_EMAIL,
        Secret::new(KILLB_PASSWORD.into()),
        KILLB_ACCOUNT,
        Secret::new(KILLB_SECRET.into()),
    );
    config.rate_limit = None;
    config.timeout = Duration::from_secs(5);
    config
}

fn killb(sandbox: &Sandbox) -> Arc<KillbClient> {
    Arc::new(KillbClient::new(killb_config(sandbox)).unwrap())
}

async fn cashy_sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        simulators: vec![Box::new(CashySimulator::new(vec![
            CashyMerchant::tanzania(TZ_MERCHANT, TZ_KEY),
        ]))],
        timing: sandbox_timing(),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn cashy_tz_config(base_url: String) -> CashyConfig {
    let mut config = CashyConfig::new(
        base_url,
        TZ_MERCHANT,
        Secret::new(TZ_KEY.into()),
        CashyCountry::Tz,
        "https://giro.example.com/webhooks/cashy",
    );
    config.timeout = Duration::from_secs(5);
    config
}

async fn a55_sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        simulators: vec![Box::new(giro_sandbox::a55::A55Config::new(
            A55_CLIENT_ID,
            A55_CLIENT_SECRET,
            A55_WEBHOOK_SECRET,
        ))],
        timing: sandbox_timing(),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

/// An A55 client holding a token already, so that faults set afterwards hit the charge calls.
async fn a55(sandbox: &Sandbox) -> Arc<A55Client> {
    let mut config = A55Config::new(
        sandbox.a55_url().unwrap(),
        A55_CLIENT_ID,
        Secret::new(A55_CLIENT_SECRET.into()),
        A55_WALLET,
        A55_MERCHANT,
        Secret::new(A55_WEBHOOK_SECRET.into()),
    );
    config.timeout = Duration::from_secs(5);
    let client = A55Client::new(config).unwrap();
    let _ = client.get_charge("no-such-charge").await;
    Arc::new(client)
}

fn faults(sandbox: &Sandbox, settings: FaultSettings) {
    sandbox.faults().set(settings).expect("valid faults");
}

/// The payouts a sandbox created for `order`, over all its handles.
fn provider_orders(sandbox: &Sandbox, provider: &str, order: OrderId) -> usize {
    sandbox
        .registry()
        .handles(Some(provider))
        .iter()
        .filter(|h| h.handle.parse::<SubmissionHandle>().map(|h| h.order_id) == Ok(order))
        .map(|h| h.orders.len())
        .sum()
}

/// Each recorded "come back later" refusal with the wait it announced, and how long after it the
/// next attempt was claimed (if one was).
fn waits_after_refusals(events: &[Envelope<PayoutEvent>]) -> Vec<(Duration, Option<Duration>)> {
    let mut out = Vec::new();
    for (i, env) in events.iter().enumerate() {
        let PayoutEvent::ProviderWaitAnnounced(w) = &env.event else {
            continue;
        };
        let asked = w.wait();
        let next = events[i..].iter().find_map(|e| match e.event {
            PayoutEvent::SubmissionStarted(_) => (e.at - env.at).to_std().ok(),
            _ => None,
        });
        out.push((asked, next));
    }
    out
}

async fn payout_failures(log: &giro_eventlog::EventLog, id: OrderId) -> usize {
    payout_events(log, id)
        .await
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                PayoutEvent::SubmissionFailed(_) | PayoutEvent::ProviderWaitAnnounced(_)
            )
        })
        .count()
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
    let order = giro_providers::PayoutOrder {
        id,
        handle: p.handle.as_deref().unwrap(),
        request: &p.request,
        provider_ref: None,
    };
    assert!(matches!(
        fake.submit(order).await,
        giro_providers::Submission::Accepted { .. }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cashy_busy_refusals_are_waited_out_as_announced_and_spend_no_attempts() {
    let t = TestLog::new().await;
    let sandbox = cashy_sandbox().await;
    faults(
        &sandbox,
        FaultSettings {
            rate_limit: 1.0,
            ..FaultSettings::default()
        },
    );
    let mut timings = fast_timings();
    timings.max_attempts = 2;
    let client = CashyClient::new(cashy_tz_config(sandbox.cashy_url().unwrap())).unwrap();
    let exec = run_payouts(&t, Arc::new(client), "cashy-tz", timings, false).await;
    let id = create(&t.log, "busy-tz", "cashy-tz", "60000").await;
    eventually(Duration::from_secs(30), "three busy refusals", || async {
        (payout_failures(&t.log, id).await >= 3).then_some(())
    })
    .await;
    faults(&sandbox, FaultSettings::default());
    let statuses = wait_terminal(&t.log, &[id], Duration::from_secs(30)).await;
    assert_eq!(statuses, vec![PayoutStatus::Succeeded]);

    let events = payout_events(&t.log, id).await;
    let waits = waits_after_refusals(&events);
    assert!(waits.len() >= 3, "{:?}", types(&events));
    for (asked, waited) in &waits {
        assert_eq!(*asked, Duration::from_secs(2), "System_busy asks for 2 s");
        let waited = waited.expect("a next attempt followed");
        assert!(
            waited >= *asked,
            "retried after {waited:?}, asked {asked:?}"
        );
    }
    assert!(!types(&events).contains(&"payout.failed"));
    assert_eq!(provider_orders(&sandbox, "cashy-tz", id), 1);
    assert_gapless(&t.log, id).await;
    exec.stop().await;
}

/// The audit's case: a Cashy maintenance window. Giro waits the minute it allows for
/// `System_Maintenance` before trying again, and the refusal spends no attempt (one is allowed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cashy_maintenance_is_waited_out_for_its_minute_and_the_payout_completes() {
    let t = TestLog::new().await;
    let sandbox = cashy_sandbox().await;
    faults(
        &sandbox,
        FaultSettings {
            maintenance: 1.0,
            ..FaultSettings::default()
        },
    );
    let mut timings = fast_timings();
    timings.max_attempts = 1;
    let client = CashyClient::new(cashy_tz_config(sandbox.cashy_url().unwrap())).unwrap();
    let exec = run_payouts(&t, Arc::new(client), "cashy-tz", timings, false).await;
    let id = create(&t.log, "maintenance-tz", "cashy-tz", "60000").await;
    eventually(Duration::from_secs(20), "a maintenance refusal", || async {
        (payout_failures(&t.log, id).await >= 1).then_some(())
    })
    .await;
    faults(&sandbox, FaultSettings::default());
    let statuses = wait_terminal(&t.log, &[id], Duration::from_secs(90)).await;
    assert_eq!(statuses, vec![PayoutStatus::Succeeded]);
    let events = payout_events(&t.log, id).await;
    let waits = waits_after_refusals(&events);
    assert_eq!(waits.len(), 1, "{:?}", types(&events));
    let (asked, waited) = waits[0];
    assert_eq!(asked, Duration::from_secs(60));
    assert!(waited.unwrap() >= asked, "retried after {waited:?}");
    assert_eq!(provider_orders(&sandbox, "cashy-tz", id), 1);
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killb_rate_limits_are_waited_out_until_the_announced_reset() {
    let t = TestLog::new().await;
    let sandbox = killb_sandbox(None).await;
    faults(
        &sandbox,
        FaultSettings {
            rate_limit: 1.0,
            ..FaultSettings::default()
        },
    );
    let mut timings = fast_timings();
    timings.max_attempts = 2;
    let exec = run_payouts(&t, killb(&sandbox), "killb", timings, false).await;
    let id = create(&t.log, "limited-kb", "killb", "500000").await;
    eventually(Duration::from_secs(30), "three 429s", || async {
        (payout_failures(&t.log, id).await >= 3).then_some(())
    })
    .await;
    faults(&sandbox, FaultSettings::default());
    let statuses = wait_terminal(&t.log, &[id], Duration::from_secs(30)).await;
    assert_eq!(statuses, vec![PayoutStatus::Succeeded]);

    let events = payout_events(&t.log, id).await;
    let waits = waits_after_refusals(&events);
    assert!(waits.len() >= 3, "{:?}", types(&events));
    for (asked, waited) in &waits {
        // X-RateLimit-Reset is a second or two ahead: far more than the 100 ms backoff.
        assert!(*asked >= Duration::from_secs(1), "{asked:?}");
        let waited = waited.expect("a next attempt followed");
        assert!(
            waited >= *asked,
            "retried after {waited:?}, asked {asked:?}"
        );
    }
    assert_eq!(provider_orders(&sandbox, "killb", id), 1);
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintenance_window_longer_than_the_attempt_budget_is_waited_out() {
    let t = TestLog::new().await;
    let fake = Arc::new(FakeProvider::new(Behaviour {
        busy_first: 4,
        busy_code: Some("System_Maintenance"),
        busy_retry_after: Some(Duration::from_secs(1)),
        polls_to_success: 0,
        ..Default::default()
    }));
    // Without the provider's wait, four refusals would be over in well under a second and the
    // second would already have failed the order.
    let mut timings = fast_timings();
    timings.max_attempts = 2;
    timings.retry_base = Duration::from_millis(50);
    timings.retry_max = Duration::from_millis(100);
    let provider: Arc<dyn PayoutProvider> = fake.clone();
    let exec = run_payouts(&t, provider, "cashy-co", timings, false).await;
    let id = create(&t.log, "maintenance", "cashy-co", "150000").await;
    let statuses = wait_terminal(&t.log, &[id], Duration::from_secs(30)).await;
    assert_eq!(statuses, vec![PayoutStatus::Succeeded]);
    let sends = fake.sends_for(id);
    assert_eq!(sends.len(), 5, "four refusals, then the payout");
    for pair in sends.windows(2) {
        let gap = pair[1].1 - pair[0].1;
        assert!(gap >= Duration::from_secs(1), "sent again after {gap:?}");
    }
    assert_eq!(fake.created_for_order(id), 1);
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_keeps_asking_to_come_back_later_fails_the_order_after_hold_timeout() {
    let t = TestLog::new().await;
    let fake = Arc::new(FakeProvider::new(Behaviour {
        busy_first: u64::MAX,
        busy_code: Some("System_Maintenance"),
        busy_retry_after: Some(Duration::from_millis(300)),
        ..Default::default()
    }));
    let mut timings = fast_timings();
    timings.max_attempts = 2;
    timings.hold_timeout = Duration::from_secs(2);
    let provider: Arc<dyn PayoutProvider> = fake.clone();
    let exec = run_payouts(&t, provider, "cashy-co", timings, false).await;
    let started = Instant::now();
    let id = create(&t.log, "endless-maintenance", "cashy-co", "150000").await;
    let statuses = wait_terminal(&t.log, &[id], Duration::from_secs(30)).await;
    assert_eq!(statuses, vec![PayoutStatus::Failed]);
    assert!(started.elapsed() >= Duration::from_secs(2));
    let p = t
        .log
        .load::<PayoutDecider>(id)
        .await
        .unwrap()
        .state
        .unwrap();
    let failure = p.failure.unwrap();
    assert_eq!(failure.code, "System_Maintenance");
    assert!(
        failure.message.starts_with("gave up after ")
            && failure
                .message
                .ends_with(": not taking payouts now (System_Maintenance)"),
        "{}",
        failure.message
    );
    assert!(
        p.attempt > 2,
        "refusals that ask to come back do not spend attempts"
    );
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_longer_than_ack_wait_keeps_its_message_and_is_not_delivered_twice() {
    let t = TestLog::new().await;
    let fake = Arc::new(FakeProvider::new(Behaviour {
        submit_delay: Some(Duration::from_millis(3500)),
        ..Default::default()
    }));
    let mut timings = fast_timings();
    timings.ack_wait = Duration::from_secs(1);
    timings.claim_timeout = Duration::from_secs(20);
    let provider: Arc<dyn PayoutProvider> = fake.clone();
    let exec = run_payouts(&t, provider, "cashy-co", timings, false).await;
    let id = create(&t.log, "slow-submit", "cashy-co", "150000").await;
    // 2.5 ack_waits into the 3.5 s submission: the step still holds its message with progress
    // acks, so JetStream has given it to no one again.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut consumer: async_nats::jetstream::consumer::PullConsumer =
        async_nats::jetstream::new(t.client.clone())
            .get_stream(&t.config.stream)
            .await
            .unwrap()
            .get_consumer("giro-executor-cashy-co")
            .await
            .unwrap();
    let info = consumer.info().await.unwrap();
    // Every delivery so far was a first one: as many deliveries as events.
    assert_eq!(
        info.delivered.consumer_sequence, info.delivered.stream_sequence,
        "{info:?}"
    );
    let statuses = wait_terminal(&t.log, &[id], Duration::from_secs(30)).await;
    assert_eq!(statuses, vec![PayoutStatus::Succeeded]);
    assert_eq!(fake.sends_for(id).len(), 1);
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resends_after_a_lookup_finds_nothing_are_counted_and_end_in_the_providers_reason() {
    let t = TestLog::new().await;
    let fake = Arc::new(FakeProvider::new(Behaviour {
        unknown_without_storing: true,
        ..Default::default()
    }));
    let mut timings = fast_timings();
    timings.max_attempts = 3;
    timings.claim_timeout = Duration::from_millis(500);
    let provider: Arc<dyn PayoutProvider> = fake.clone();
    let exec = run_payouts(&t, provider, "cashy-co", timings.clone(), false).await;
    let id = create(&t.log, "always-5xx", "cashy-co", "150000").await;
    let statuses = wait_terminal(&t.log, &[id], Duration::from_secs(30)).await;
    assert_eq!(statuses, vec![PayoutStatus::Failed]);
    let p = t
        .log
        .load::<PayoutDecider>(id)
        .await
        .unwrap()
        .state
        .unwrap();
    let failure = p.failure.unwrap();
    assert_eq!(failure.code, "attempts_exhausted");
    // The last reason is the provider's answer, or, on a slow machine where a send outlived the
    // short claim time-out here, that time-out: either way the order gave up after 3 sends.
    assert!(
        [
            "gave up after 3 attempts: HTTP 500 System_error",
            "gave up after 3 attempts: the claiming executor did not report a result in time",
        ]
        .contains(&failure.message.as_str()),
        "{}",
        failure.message
    );
    // One attempt, sent three times under its one handle, with backoff in between.
    assert_eq!(p.attempt, 1);
    let sends = fake.sends_for(id);
    assert_eq!(sends.len(), 3);
    assert!(sends.iter().all(|(h, _)| Some(h) == p.handle.as_ref()));
    for (k, pair) in sends.windows(2).enumerate() {
        let least = timings.retry_base * 2u32.pow(k as u32);
        assert!(pair[1].1 - pair[0].1 >= least, "resend {k} too soon");
    }
    let events = payout_events(&t.log, id).await;
    let not_found = events
        .iter()
        .filter(|e| matches!(&e.event, PayoutEvent::Resent(_)))
        .count();
    assert_eq!(not_found, 2, "{:?}", types(&events));
    assert_gapless(&t.log, id).await;
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_outcome_the_provider_cannot_be_asked_about_is_never_failed_nor_resent() {
    let t = TestLog::new().await;
    let fake = Arc::new(FakeProvider::new(Behaviour {
        unknown_without_storing: true,
        lookup_fails: true,
        ..Default::default()
    }));
    let mut timings = fast_timings();
    timings.max_attempts = 1;
    let provider: Arc<dyn PayoutProvider> = fake.clone();
    let exec = run_payouts(&t, provider, "cashy-co", timings, false).await;
    let id = create(&t.log, "unaskable", "cashy-co", "150000").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let p = t
        .log
        .load::<PayoutDecider>(id)
        .await
        .unwrap()
        .state
        .unwrap();
    assert_eq!(p.status, PayoutStatus::Submitting);
    assert!(p.outcome_unknown);
    assert_eq!(fake.sends_for(id).len(), 1);
    exec.stop().await;
}

/// A KillB client whose executor "dies" mid-submission: the first payout is sent and its answer
/// never recorded, the second is claimed and never sent.
struct DiesMidSubmission {
    inner: Arc<KillbClient>,
    calls: AtomicU32,
}

impl PayoutProvider for DiesMidSubmission {
    fn submit<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Submission> {
        Box::pin(async move {
            if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
                let _ = self.inner.submit(order).await;
            }
            std::future::pending().await
        })
    }
    fn lookup<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Lookup> {
        self.inner.lookup(order)
    }
    fn balance<'a>(
        &'a self,
        currency: giro_domain::Currency,
    ) -> BoxFuture<'a, Option<Result<Decimal, String>>> {
        self.inner.balance(currency)
    }
}

/// A KillB client that notes, for every payout it sends, whether the order held a reservation.
struct WatchesReservations {
    inner: Arc<KillbClient>,
    funds: Funds,
    sent: std::sync::Mutex<Vec<(OrderId, bool)>>,
}

impl PayoutProvider for WatchesReservations {
    fn submit<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Submission> {
        Box::pin(async move {
            let held = self
                .funds
                .reservations()
                .await
                .unwrap()
                .contains_key(&order.id);
            self.sent.lock().unwrap().push((order.id, held));
            self.inner.submit(order).await
        })
    }
    fn lookup<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Lookup> {
        self.inner.lookup(order)
    }
    fn balance<'a>(
        &'a self,
        currency: giro_domain::Currency,
    ) -> BoxFuture<'a, Option<Result<Decimal, String>>> {
        self.inner.balance(currency)
    }
}

async fn ledger(t: &TestLog, account: &str) -> Funds {
    let js = async_nats::jetstream::new(t.client.clone());
    Funds::open(
        &js,
        &format!("{}_FUNDS", t.config.stream),
        &t.config.prefix,
        account,
        t.config.replicas,
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reservations_outlive_a_dead_executor_and_are_released_when_their_orders_complete() {
    let t = TestLog::new().await;
    let sandbox = killb_sandbox(None).await;
    let client = killb(&sandbox);
    let funds = ledger(&t, "killb").await;
    let dying: Arc<dyn PayoutProvider> = Arc::new(DiesMidSubmission {
        inner: client.clone(),
        calls: AtomicU32::new(0),
    });
    let a = giro_executor::start(t.log.clone(), dying, config(&t, "killb"), true)
        .await
        .unwrap();
    let ids = [
        create(&t.log, "reserved-1", "killb", "500000").await,
        create(&t.log, "reserved-2", "killb", "300000").await,
    ];
    eventually(Duration::from_secs(20), "both orders claimed", || async {
        for id in &ids {
            let p = t
                .log
                .load::<PayoutDecider>(*id)
                .await
                .unwrap()
                .state
                .unwrap();
            if p.status != PayoutStatus::Submitting {
                return None;
            }
        }
        Some(())
    })
    .await;
    eventually(Duration::from_secs(10), "one payout at KillB", || async {
        let sent: usize = ids
            .iter()
            .map(|id| provider_orders(&sandbox, "killb", *id))
            .sum();
        (sent == 1).then_some(())
    })
    .await;
    a.stop().await;
    assert_eq!(
        funds.reserved_total().await.unwrap(),
        Decimal::from(800_000),
        "the dead executor's reservations are still held"
    );

    let watching = Arc::new(WatchesReservations {
        inner: client,
        funds: funds.clone(),
        sent: Default::default(),
    });
    let provider: Arc<dyn PayoutProvider> = watching.clone();
    let b = giro_executor::start(t.log.clone(), provider, config(&t, "killb"), true)
        .await
        .unwrap();
    let statuses = wait_terminal(&t.log, &ids, Duration::from_secs(30)).await;
    assert_eq!(statuses, vec![PayoutStatus::Succeeded; 2]);
    for id in &ids {
        assert_eq!(provider_orders(&sandbox, "killb", *id), 1, "paid once");
        assert_gapless(&t.log, *id).await;
    }
    // The payout never sent was found missing and sent again, under its reservation.
    let sent = watching.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].1, "a resend is covered by the order's reservation");
    eventually(
        Duration::from_secs(10),
        "the ledger back to zero",
        || async {
            funds
                .reserved_total()
                .await
                .unwrap()
                .is_zero()
                .then_some(())
        },
    )
    .await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_held_past_hold_timeout_fails_for_funds_and_keeps_no_reservation() {
    let t = TestLog::new().await;
    let sandbox = killb_sandbox(Some(100_000)).await;
    let funds = ledger(&t, "killb").await;
    let mut timings = fast_timings();
    timings.hold_timeout = Duration::from_secs(1);
    let exec = run_payouts(&t, killb(&sandbox), "killb", timings, true).await;
    let id = create(&t.log, "too-big", "killb", "500000").await;
    let statuses = wait_terminal(&t.log, &[id], Duration::from_secs(20)).await;
    assert_eq!(statuses, vec![PayoutStatus::Failed]);
    let events = payout_events(&t.log, id).await;
    assert!(
        types(&events).contains(&"payout.held"),
        "{:?}",
        types(&events)
    );
    assert!(!types(&events).contains(&"payout.submission_started"));
    let p = t
        .log
        .load::<PayoutDecider>(id)
        .await
        .unwrap()
        .state
        .unwrap();
    let failure = p.failure.unwrap();
    assert_eq!(failure.code, "insufficient_funds");
    assert!(
        failure.message.contains("waiting for funds")
            && failure.message.contains("pre-funded balance"),
        "{}",
        failure.message
    );
    assert!(!funds.reservations().await.unwrap().contains_key(&id));
    assert!(funds.reserved_total().await.unwrap().is_zero());
    assert_eq!(provider_orders(&sandbox, "killb", id), 0);
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn final_refusals_fail_the_payout_at_its_first_attempt() {
    let t = TestLog::new().await;
    // KillB refuses a pre-fund account it does not have; Cashy an invalid notifyUrl.
    let killb_sandbox = killb_sandbox(None).await;
    let mut wrong_account = killb_config(&killb_sandbox);
    wrong_account.pre_fund_account_id = "no-such-account".into();
    let a = giro_executor::start(
        t.log.clone(),
        Arc::new(KillbClient::new(wrong_account).unwrap()),
        config(&t, "killb"),
        false,
    )
    .await
    .unwrap();
    let cashy_sandbox = cashy_sandbox().await;
    let mut bad_params = cashy_tz_config(cashy_sandbox.cashy_url().unwrap());
    bad_params.notify_url = "ftp://giro.example.com/webhooks/cashy".into();
    let b = giro_executor::start(
        t.log.clone(),
        Arc::new(CashyClient::new(bad_params).unwrap()),
        config(&t, "cashy-tz"),
        false,
    )
    .await
    .unwrap();
    let k = create(&t.log, "final-kb", "killb", "500000").await;
    let c = create(&t.log, "final-tz", "cashy-tz", "60000").await;
    let statuses = wait_terminal(&t.log, &[k, c], Duration::from_secs(20)).await;
    assert_eq!(statuses, vec![PayoutStatus::Failed; 2]);
    for (id, code) in [(k, "PREFUND.0001"), (c, "Params_notifyUrl_error")] {
        let events = payout_events(&t.log, id).await;
        let starts = types(&events)
            .iter()
            .filter(|t| **t == "payout.submission_started")
            .count();
        assert_eq!(starts, 1, "{:?}", types(&events));
        let p = t
            .log
            .load::<PayoutDecider>(id)
            .await
            .unwrap()
            .state
            .unwrap();
        assert_eq!(p.failure.unwrap().code, code);
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_provider_fails_the_payout_after_max_attempts_with_its_reason() {
    let t = TestLog::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = CashyClient::new(cashy_tz_config(format!("http://127.0.0.1:{port}"))).unwrap();
    let mut timings = fast_timings();
    timings.max_attempts = 3;
    let exec = run_payouts(&t, Arc::new(client), "cashy-tz", timings, false).await;
    let id = create(&t.log, "unreachable", "cashy-tz", "60000").await;
    let statuses = wait_terminal(&t.log, &[id], Duration::from_secs(20)).await;
    assert_eq!(statuses, vec![PayoutStatus::Failed]);
    let p = t
        .log
        .load::<PayoutDecider>(id)
        .await
        .unwrap()
        .state
        .unwrap();
    assert_eq!(p.attempt, 3);
    let failure = p.failure.unwrap();
    assert_eq!(failure.code, "not_sent");
    assert!(
        failure
            .message
            .starts_with("gave up after 3 attempts: Cashy was not reached"),
        "{}",
        failure.message
    );
    exec.stop().await;
}

async fn wait_charge(
    log: &giro_eventlog::EventLog,
    id: OrderId,
    what: &str,
    done: impl Fn(&giro_domain::charge::Charge) -> bool,
) -> giro_domain::charge::Charge {
    eventually(Duration::from_secs(30), what, || async {
        let c = log.load::<ChargeDecider>(id).await.unwrap().state.unwrap();
        done(&c).then_some(c)
    })
    .await
}

fn charge_config(t: &TestLog, timings: Timings) -> ExecutorConfig {
    config_with(t, "a55", timings)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a55_errors_unexpected_is_retried_as_a_refusal_not_left_unknown() {
    let t = TestLog::new().await;
    let sandbox = a55_sandbox().await;
    let client = a55(&sandbox).await;
    faults(
        &sandbox,
        FaultSettings {
            error_5xx: 1.0,
            ..FaultSettings::default()
        },
    );
    let provider: Arc<dyn ChargeProvider> = client;
    let exec =
        giro_executor::start_charges(t.log.clone(), provider, charge_config(&t, fast_timings()))
            .await
            .unwrap();
    let id = create_charge(&t.log, "unexpected", "150.00", "credit_card").await;
    eventually(Duration::from_secs(20), "two errors.unexpected", || async {
        let failed = charge_events(&t.log, id)
            .await
            .iter()
            .filter(|e| matches!(&e.event, ChargeEvent::SubmissionFailed(f) if f.code == "errors.unexpected" && f.retryable))
            .count();
        (failed >= 2).then_some(())
    })
    .await;
    faults(&sandbox, FaultSettings::default());
    let c = wait_charge(&t.log, id, "the charge paid", |c| {
        c.status == ChargeStatus::Paid
    })
    .await;
    assert!(c.attempt >= 3);
    let events = charge_events(&t.log, id).await;
    assert!(
        !types(&events).contains(&"charge.outcome_unknown"),
        "{:?}",
        types(&events)
    );
    assert_eq!(provider_orders(&sandbox, "a55", id), 1, "one charge at A55");
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_a55_keeps_failing_gives_up_after_max_attempts_with_its_reason() {
    let t = TestLog::new().await;
    let sandbox = a55_sandbox().await;
    let client = a55(&sandbox).await;
    faults(
        &sandbox,
        FaultSettings {
            error_5xx: 1.0,
            ..FaultSettings::default()
        },
    );
    let mut timings = fast_timings();
    timings.max_attempts = 3;
    let provider: Arc<dyn ChargeProvider> = client;
    let exec = giro_executor::start_charges(t.log.clone(), provider, charge_config(&t, timings))
        .await
        .unwrap();
    let id = create_charge(&t.log, "always-unexpected", "150.00", "pix").await;
    let c = wait_charge(&t.log, id, "the charge failed", |c| {
        c.status == ChargeStatus::Failed
    })
    .await;
    assert_eq!(c.attempt, 3);
    let failure = c.failure.unwrap();
    assert_eq!(failure.code, "errors.unexpected");
    assert!(
        failure
            .message
            .starts_with("gave up after 3 attempts: A55 failed (HTTP 500, errors.unexpected)"),
        "{}",
        failure.message
    );
    assert_eq!(provider_orders(&sandbox, "a55", id), 0);
    exec.stop().await;
}

/// A charge paid at the fake A55, and the executor driving it.
async fn paid_charge(
    t: &TestLog,
    fake: &Arc<FakeCharges>,
    key: &str,
) -> (OrderId, giro_executor::ExecutorHandle) {
    let provider: Arc<dyn ChargeProvider> = fake.clone();
    let exec =
        giro_executor::start_charges(t.log.clone(), provider, charge_config(t, fast_timings()))
            .await
            .unwrap();
    let id = create_charge(&t.log, key, "100.00", "pix").await;
    wait_charge(&t.log, id, "the charge paid", |c| {
        c.status == ChargeStatus::Paid
    })
    .await;
    (id, exec)
}

fn refund(amount: i64) -> ChargeCommand {
    ChargeCommand::Refund {
        amount: Some(Decimal::from(amount)),
        reason: Some("customer asked".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_partial_refund_whose_answer_was_lost_is_read_back_and_never_sent_again() {
    let t = TestLog::new().await;
    let fake = Arc::new(FakeCharges::new(vec![
        RefundAnswer::Done,
        RefundAnswer::Lost,
    ]));
    let (id, exec) = paid_charge(&t, &fake, "two-refunds").await;
    charge_command(&t.log, id, refund(30)).await;
    let c = wait_charge(&t.log, id, "the first refund", |c| {
        c.refund_requested.is_none()
    })
    .await;
    assert_eq!(c.refunded, Decimal::from(30));
    charge_command(&t.log, id, refund(20)).await;
    let c = wait_charge(&t.log, id, "the second refund closed", |c| {
        c.refund_requested.is_none()
    })
    .await;
    // Give a blind resend every chance to happen.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let calls = fake.refund_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(c.status, ChargeStatus::Paid);
    assert_eq!(
        c.refunded,
        Decimal::from(30),
        "only what is known to be refunded"
    );
    let events = charge_events(&t.log, id).await;
    let unresolved = events.iter().find_map(|e| match &e.event {
        ChargeEvent::RefundFailed(f) if f.code == "refund_unknown" => Some(f.clone()),
        _ => None,
    });
    let unresolved = unresolved.expect("the refund is closed as unresolved");
    assert!(
        unresolved.reason.contains("not sent again"),
        "{unresolved:?}"
    );
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_that_was_not_sent_waits_as_announced_and_is_sent_once_more() {
    let t = TestLog::new().await;
    let fake = Arc::new(FakeCharges::new(vec![RefundAnswer::NotSent(Some(
        Duration::from_secs(1),
    ))]));
    let (id, exec) = paid_charge(&t, &fake, "refund-429").await;
    charge_command(
        &t.log,
        id,
        ChargeCommand::Refund {
            amount: None,
            reason: None,
        },
    )
    .await;
    let c = wait_charge(&t.log, id, "the charge refunded", |c| {
        c.status == ChargeStatus::Refunded
    })
    .await;
    assert_eq!(c.refunded, Decimal::from(100));
    let calls = fake.refund_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(!calls[0].refunded && calls[1].refunded);
    assert!(calls[1].at - calls[0].at >= Duration::from_secs(1));
    exec.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_refund_whose_answer_was_lost_is_read_back_not_sent_again() {
    let t = TestLog::new().await;
    let sandbox = a55_sandbox().await;
    let provider: Arc<dyn ChargeProvider> = a55(&sandbox).await;
    let exec =
        giro_executor::start_charges(t.log.clone(), provider, charge_config(&t, fast_timings()))
            .await
            .unwrap();
    let id = create_charge(&t.log, "lost-refund", "150.00", "credit_card").await;
    wait_charge(&t.log, id, "the charge paid", |c| {
        c.status == ChargeStatus::Paid
    })
    .await;
    faults(
        &sandbox,
        FaultSettings {
            lose_response: 1.0,
            ..FaultSettings::default()
        },
    );
    charge_command(
        &t.log,
        id,
        ChargeCommand::Refund {
            amount: None,
            reason: None,
        },
    )
    .await;
    eventually(
        Duration::from_secs(20),
        "the refund's outcome unknown",
        || async {
            charge_events(&t.log, id)
                .await
                .iter()
                .any(|e| matches!(&e.event, ChargeEvent::RefundAttemptUnknown(_)))
                .then_some(())
        },
    )
    .await;
    faults(&sandbox, FaultSettings::default());
    let c = wait_charge(&t.log, id, "the charge refunded", |c| {
        c.status == ChargeStatus::Refunded
    })
    .await;
    assert_eq!(c.refunded, Decimal::new(15000, 2));
    let events = charge_events(&t.log, id).await;
    // A second refund call would have been refused (A55 does not refund a refunded charge).
    assert!(
        events
            .iter()
            .all(|e| !matches!(&e.event, ChargeEvent::RefundFailed(_))),
        "{:?}",
        types(&events)
    );
    let sent = events
        .iter()
        .filter(|e| matches!(&e.event, ChargeEvent::RefundAttemptStarted(_)))
        .count();
    assert_eq!(sent, 1, "sent once");
    exec.stop().await;
}
