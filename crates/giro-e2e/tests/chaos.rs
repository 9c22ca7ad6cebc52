//! Chaos: 1,000 payouts over the three payout providers, two executor instances per provider, a
//! sandbox that loses 30% of responses after processing, answers 10% with 5xx and drops 10% of
//! callbacks, and one executor killed mid-call and restarted mid-run. Afterwards every order was
//! created at its own provider exactly once (the sandbox's introspection, order by order), the
//! killed executor's claims were recovered by lookup, every order is terminal, and no order's log
//! has a gap or repeat.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use giro_domain::payout::{PayoutDecider, PayoutEvent};
use giro_domain::{OrderId, SubmissionHandle};
use giro_e2e::{Stack, StackOptions, payout_providers};
use giro_sandbox::{FaultSettings, OrderFilter};

/// The reason the executor records when a claim's owner never reported (payouts.rs in
/// giro-executor): the attempt is then resolved by asking the provider.
const CLAIM_TIMED_OUT: &str = "did not report a result in time";

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
        faults: faults.clone(),
        executors: 2,
        seed: 42,
        ..StackOptions::default()
    })
    .await;
    let started = Instant::now();
    let mut ids = Vec::with_capacity(count);
    // The kill lands while the providers are slow to answer, so the executor dies holding claims
    // (`payout.submission_started` appended, the provider called, no result recorded).
    let slow_from = count / 2;
    let kill_at = (slow_from + 30).min(count - 1);
    for i in 0..count {
        let provider = payout_providers()[i % 3];
        // Mostly successes; every tenth a documented failure (…11).
        let amount = match (provider, i % 10) {
            ("cashy-tz", 9) => "5011".to_string(),
            ("cashy-tz", _) => format!("{}", 5000 + (i % 7) * 100),
            (_, 9) => "150011".to_string(),
            _ => format!("{}", 150_000 + (i % 7) * 100),
        };
        if i == slow_from {
            stack
                .sandbox
                .faults()
                .set(FaultSettings {
                    latency_ms: 400,
                    ..faults.clone()
                })
                .expect("faults");
        }
        ids.push(stack.create(&format!("chaos-{i}"), provider, &amount).await);
        if i == kill_at {
            // One executor dies mid-call; a new one takes its place.
            stack.kill_executor("cashy-co").await;
            stack.sandbox.faults().set(faults.clone()).expect("faults");
            stack.start_executor(1).await;
        }
    }
    let created = started.elapsed();
    let statuses = stack
        .wait_for(&ids, Duration::from_secs(600), |s| s.is_terminal())
        .await;
    let terminal = started.elapsed();
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

    // The sandbox's own verdict: no handle created twice, none sent and never created, no
    // external id twice.
    let summary = stack.sandbox.registry().summary();
    if !summary.exactly_once || summary.orders as usize != count {
        for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 3 == 0).take(6) {
            eprintln!("order {i} {id}: {:?}", stack.event_types(*id).await);
        }
    }
    assert!(
        summary.at_most_once,
        "paid twice: {:?} {:?}",
        summary.handles_created_more_than_once, summary.external_ids_created_more_than_once
    );
    assert!(
        summary.exactly_once,
        "sent and never created: {:?}",
        summary.handles_never_created
    );
    assert_eq!(summary.orders as usize, count, "{summary:?}");

    // Order by order: every provider order belongs, by its handle, to exactly one Giro payout of
    // that provider, and every payout has exactly one provider order, the one it names.
    let mut at_provider: HashMap<OrderId, Vec<(String, String)>> = HashMap::new();
    for report in stack.sandbox.registry().orders(&OrderFilter::default()) {
        let handle: SubmissionHandle = report
            .order
            .handle
            .parse()
            .unwrap_or_else(|e| panic!("{e}: {:?}", report.order));
        at_provider
            .entry(handle.order_id)
            .or_default()
            .push((report.order.provider.clone(), report.order.order_id.clone()));
    }
    assert_eq!(
        at_provider.len(),
        count,
        "provider orders of unknown payouts"
    );
    let mut unknown = 0;
    let mut recovered = vec![];
    for (i, id) in ids.iter().enumerate() {
        let provider = payout_providers()[i % 3];
        let orders = at_provider.get(id).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(
            orders.len(),
            1,
            "order {i} {id} created {} times at its provider: {orders:?}",
            orders.len()
        );
        assert_eq!(orders[0].0, provider, "order {i} {id} sent elsewhere");
        let loaded = stack
            .log
            .log
            .load::<PayoutDecider>(*id)
            .await
            .expect("order loads");
        let versions: Vec<u64> = loaded.events.iter().map(|e| e.version).collect();
        assert_eq!(
            versions,
            (1..=versions.len() as u64).collect::<Vec<_>>(),
            "order {i} {id}"
        );
        let payout = loaded.state.expect("order exists");
        assert_eq!(
            payout.provider_ref.as_deref(),
            Some(orders[0].1.as_str()),
            "order {i} {id} names another provider order"
        );
        let reasons: Vec<&str> = loaded
            .events
            .iter()
            .filter_map(|e| match &e.event {
                PayoutEvent::OutcomeUnknown(u) => Some(u.reason.as_str()),
                _ => None,
            })
            .collect();
        if !reasons.is_empty() {
            unknown += 1;
        }
        if reasons.iter().any(|r| r.contains(CLAIM_TIMED_OUT)) {
            recovered.push((i, provider));
        }
    }
    // The chaos was real: lost responses and 5xx left outcomes unknown, resolved by lookup.
    assert!(unknown > count / 10, "only {unknown} unknown outcomes");
    // The killed executor's claims were taken over once they timed out, and resolved by lookup
    // (each of those orders is terminal and at its provider exactly once, as checked above).
    assert!(
        recovered.iter().any(|(_, p)| *p == "cashy-co"),
        "no claim of the killed cashy-co executor was recovered: {recovered:?}"
    );
    eprintln!(
        "chaos: {count} payouts created in {:.1}s, terminal in {:.1}s, checked in {:.1}s; {unknown} went through outcome_unknown, {} \
         after a claim timed out ({recovered:?}); {} create requests processed for {} orders",
        created.as_secs_f64(),
        terminal.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        recovered.len(),
        summary.submissions,
        summary.orders
    );
}
