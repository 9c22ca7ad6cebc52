//! The engine killed mid-run: every payout executor's tasks are aborted at once (as `kill -9`
//! would end them: claims held, calls in flight, nothing acknowledged), then a new engine starts on
//! the same stream with a log of its own (no cache of the old one). Every order open at the kill
//! moves again (a new event on its subject) within a bounded time of the restart, printed; every
//! order ends, none was created twice at its provider, none has a gap or repeat.
//!
//! Twice: with the e2e tests' timings (claim time-out 3 s, polls every 0.5-2 s), and with the
//! production defaults (`Timings::default()`: claim time-out 40 s, ack wait 30 s, first poll after
//! 120 s), where every open order must move within a minute. The webhook ingress stays up, as a
//! separate component would.

use std::time::{Duration, Instant};

use giro_domain::OrderId;
use giro_domain::payout::PayoutDecider;
use giro_e2e::{Stack, StackOptions};
use giro_eventlog::EventLog;
use giro_executor::{ExecutorHandle, Timings};
use giro_sandbox::FaultSettings;

/// The payout instances this test sends to in turn (its bodies are written for them).
const PAYOUT_PROVIDERS: [&str; 3] = ["killb", "cashy-co", "cashy-tz"];

/// A new engine: a log on a connection of its own and an executor per payout instance.
async fn restart(stack: &Stack) -> (EventLog, Vec<ExecutorHandle>) {
    let client = giro_eventlog::server::connect(&stack.log.url, Default::default())
        .await
        .expect("NATS answers");
    let log = EventLog::open(client, stack.log.config.clone())
        .await
        .expect("the stream opens");
    let mut config = giro_stack::StackConfig::new(stack.log.config.prefix.clone(), None);
    config.timings = Some(stack.timings.clone());
    config.payout_consumers = giro_stack::PayoutConsumers::PerInstance;
    let mut executors = vec![];
    for (id, _, _) in &stack.providers {
        let started = giro_stack::start_payouts(&stack.registry, &log, &config, Some(id.as_str()))
            .await
            .expect("executor starts");
        executors.extend(started.into_iter().map(|(_, handle)| handle));
    }
    (log, executors)
}

/// The orders not terminal now, with how many events each has.
async fn open_orders(log: &EventLog, ids: &[OrderId]) -> Vec<(OrderId, usize)> {
    let mut open = vec![];
    for id in ids {
        let order = log.load::<PayoutDecider>(*id).await.expect("order loads");
        let terminal = order.state.as_ref().is_some_and(|p| p.status.is_terminal());
        if !terminal {
            open.push((*id, order.events.len()));
        }
    }
    open
}

/// How long after `since` each of `open` got an event beyond those it had.
async fn moved_again(
    log: &EventLog,
    open: &[(OrderId, usize)],
    since: Instant,
    bound: Duration,
) -> Vec<Duration> {
    let mut moved: Vec<Option<Duration>> = vec![None; open.len()];
    while moved.iter().any(Option::is_none) {
        assert!(
            since.elapsed() < bound,
            "{} of {} open orders did not move within {bound:?} of the restart",
            moved.iter().filter(|m| m.is_none()).count(),
            open.len()
        );
        for (slot, (id, events)) in moved.iter_mut().zip(open) {
            if slot.is_none() {
                let order = log.load::<PayoutDecider>(*id).await.expect("order loads");
                if order.events.len() > *events {
                    *slot = Some(since.elapsed());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    moved.into_iter().flatten().collect()
}

/// Kills the engine mid-run over `count` payouts and restarts it; every open order must move
/// again within `bound` and end within `end_within` of the restart.
async fn killed_and_restarted(
    label: &str,
    timings: Option<Timings>,
    count: usize,
    bound: Duration,
    end_within: Duration,
) {
    let slow = FaultSettings {
        latency_ms: 1500,
        ..FaultSettings::default()
    };
    let defaults = StackOptions::default();
    let mut stack = Stack::start(StackOptions {
        faults: slow,
        seed: 17,
        timings: timings.unwrap_or(defaults.timings.clone()),
        ..defaults
    })
    .await;
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let provider = PAYOUT_PROVIDERS[i % 3];
        let amount = if provider == "cashy-tz" {
            "5000"
        } else {
            "150000"
        };
        ids.push(
            stack
                .create(&format!("restart-{i}"), provider, amount)
                .await,
        );
    }
    // Mid-run: orders claimed and waiting for the (slow) provider, others not yet picked up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (_, executor) in stack.executors.drain(..) {
        executor.stop().await;
    }
    let open = open_orders(&stack.log.log, &ids).await;
    assert!(!open.is_empty(), "every order ended before the kill");
    stack
        .sandbox
        .faults()
        .set(FaultSettings::default())
        .expect("faults");

    let restarted = Instant::now();
    let (log, _executors) = restart(&stack).await;
    let mut moved = moved_again(&log, &open, restarted, bound).await;
    moved.sort();
    let statuses = stack.wait_for(&ids, end_within, |s| s.is_terminal()).await;
    assert!(statuses.iter().all(|s| s.is_terminal()), "{statuses:?}");
    let summary = stack.sandbox.registry().summary();
    assert!(summary.at_most_once, "submitted twice: {summary:?}");
    assert_eq!(summary.orders as usize, count, "{summary:?}");
    for id in &ids {
        stack.assert_gapless(*id).await;
    }
    eprintln!(
        "engine restart ({label}): {} of {count} orders open at the kill; every one moved again within \
         {:.2}s of the restart (median {:.2}s); all terminal {:.1}s after the restart",
        open.len(),
        moved.last().copied().unwrap_or_default().as_secs_f64(),
        moved[moved.len() / 2].as_secs_f64(),
        restarted.elapsed().as_secs_f64(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_engine_is_killed_mid_run_every_open_order_moves_again_after_a_restart() {
    let (bound, end) = (Duration::from_secs(30), Duration::from_secs(60));
    killed_and_restarted("test timings", None, 150, bound, end).await;
}

/// The production defaults: a claim held by the dead engine is taken for gone after 40 s, a
/// message it held comes back after the 30 s ack wait, and a submitted order whose timer died
/// with it is polled at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_production_timings_every_open_order_moves_again_within_a_minute_of_a_restart() {
    let (bound, end) = (Duration::from_secs(60), Duration::from_secs(150));
    let timings = Timings::default();
    killed_and_restarted("production timings", Some(timings), 60, bound, end).await;
}
