//! Chaos: 1,000 payouts over the three payout providers, two executor instances per provider, a
//! sandbox that loses 30% of responses after processing, answers 10% with 5xx and drops 10% of
//! callbacks, and one executor killed and restarted mid-run. Afterwards every order was created at
//! its provider exactly once, every order is terminal, and no order's log has a gap or repeat.

use std::time::{Duration, Instant};

use giro_e2e::{PAYOUT_PROVIDERS, Stack, StackOptions};
use giro_sandbox::FaultSettings;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_payouts_through_chaos_are_each_paid_exactly_once() {
    let count: usize = std::env::var("GIRO_CHAOS_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let faults = FaultSettings {
        lose_response: 0.3,
        error_5xx: 0.1,
        drop_callback: 0.1,
        ..FaultSettings::default()
    };
    let mut stack = Stack::start(StackOptions {
        faults,
        executors: 2,
        seed: 42,
        ..StackOptions::default()
    })
    .await;
    let started = Instant::now();
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let provider = PAYOUT_PROVIDERS[i % 3];
        // Mostly successes; every tenth a documented failure (…11).
        let amount = match (provider, i % 10) {
            ("cashy-tz", 9) => "5011".to_string(),
            ("cashy-tz", _) => format!("{}", 5000 + (i % 7) * 100),
            (_, 9) => "150011".to_string(),
            _ => format!("{}", 150_000 + (i % 7) * 100),
        };
        ids.push(stack.create(&format!("chaos-{i}"), provider, &amount).await);
        if i == count / 2 {
            // One executor dies mid-run; a new one takes its place.
            stack.kill_executor("cashy-co").await;
            stack.start_executor(1).await;
        }
    }
    let statuses = stack
        .wait_for(&ids, Duration::from_secs(600), |s| s.is_terminal())
        .await;
    let stuck: Vec<_> = ids
        .iter()
        .zip(&statuses)
        .filter(|(_, s)| !s.is_terminal())
        .collect();
    assert!(
        stuck.is_empty(),
        "{} orders not terminal, e.g. {:?}",
        stuck.len(),
        stuck.first()
    );
    let summary = stack.sandbox.registry().summary();
    if summary.orders as usize != count {
        for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 3 == 0).take(6) {
            eprintln!("order {i} {id}: {:?}", stack.event_types(*id).await);
        }
    }
    assert!(
        summary.at_most_once,
        "paid twice: {:?}",
        summary.handles_created_more_than_once
    );
    assert_eq!(summary.orders as usize, count, "{summary:?}");
    let mut unknown = 0;
    for id in &ids {
        stack.assert_gapless(*id).await;
        if stack
            .event_types(*id)
            .await
            .contains(&"payout.outcome_unknown")
        {
            unknown += 1;
        }
    }
    // The chaos was real: lost responses and 5xx left outcomes unknown, resolved by lookup.
    assert!(unknown > count / 10, "only {unknown} unknown outcomes");
    eprintln!(
        "chaos: {count} payouts terminal in {:.1}s; {unknown} went through outcome_unknown; {} create requests processed for {} orders",
        started.elapsed().as_secs_f64(),
        summary.submissions,
        summary.orders
    );
}
