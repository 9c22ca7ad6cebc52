//! Failover on the real stack: Colombian bank payouts routed by `ops/routing/routes.json`
//! (cashy-co first, killb second), and cashy-co put down for maintenance mid-run. The payouts it
//! turns away fail over to KillB (`payout.rerouted`: `maintenance` past the failover wait, or
//! `circuit_open` once its breaker opened) and complete there; and
//! across both sandboxes every payout was created at a provider exactly once: none was paid
//! twice. The figures are printed (`--no-capture`).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use giro_domain::payout::{PayoutDecider, PayoutEvent, PayoutStatus as S, RerouteReason};
use giro_domain::{OrderId, SubmissionHandle};
use giro_e2e::{Stack, StackOptions};
use giro_providers::registry::read_routes;
use giro_sandbox::{FaultSettings, OrderFilter};
use serde_json::json;

fn body(key: &str) -> String {
    json!({
        "idempotency_key": key, "amount": "150000", "currency": "COP",
        "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                         "email": "maria@example.com", "phone": "3001234567",
                         "document": {"type": "CC", "number": "12345678"},
                         "bank_code": "001", "account_number": "123456789", "account_type": "savings" }
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cashy_down_mid_run_fails_over_to_killb_and_nothing_is_paid_twice() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let count: usize = std::env::var("GIRO_FAILOVER_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(240);
    let mut options = StackOptions::default();
    options.timings.failover_after = Duration::from_secs(2);
    let stack = Stack::start(options).await;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ops/routing/routes.json");
    let mut catalog = stack.registry.catalog();
    catalog.routes = read_routes(path).expect("the example rules");
    let intake = giro_intake::Intake::start(
        stack.log.client.clone(),
        stack.log.log.clone(),
        giro_intake::IntakeConfig {
            prefix: stack.log.config.prefix.clone(),
            catalog,
            ..giro_intake::IntakeConfig::default()
        },
    )
    .await
    .expect("intake starts");
    let client = giro_intake::IntakeClient::new(
        stack.log.client.clone(),
        stack.log.config.prefix.clone(),
        Duration::from_secs(10),
    );

    let started = Instant::now();
    let fault_at = count / 2;
    let mut ids: Vec<OrderId> = Vec::with_capacity(count);
    for i in 0..count {
        if i == fault_at {
            stack
                .sandbox
                .faults()
                .set(FaultSettings {
                    down_for_maintenance: vec!["cashy".into()],
                    ..FaultSettings::default()
                })
                .expect("faults");
        }
        let reply = client.create_payout(body(&format!("failover-{i}"))).await;
        assert!(reply.ok, "{reply:?}");
        ids.push(reply.str("order_id").unwrap().parse().unwrap());
    }
    // With cashy-co still down, every payout made after the fault completes (through KillB).
    let after_fault = &ids[fault_at..];
    let statuses = stack
        .wait_for(after_fault, Duration::from_secs(180), |s| s.is_terminal())
        .await;
    for (id, s) in after_fault.iter().zip(&statuses) {
        assert_eq!(*s, S::Succeeded, "{id}: {:?}", stack.event_types(*id).await);
    }
    let failed_over_in = started.elapsed();
    // Cashy-co back: what it had before the fault finishes there.
    stack
        .sandbox
        .faults()
        .set(FaultSettings::default())
        .expect("faults");
    let statuses = stack
        .wait_for(&ids, Duration::from_secs(120), |s| s.is_terminal())
        .await;
    assert_eq!(statuses, vec![S::Succeeded; count]);

    // Across both sandboxes: each payout created at a provider exactly once, at the provider it
    // ended at, under the handle of an attempt it made there.
    let mut at_provider: HashMap<OrderId, Vec<(String, u32)>> = HashMap::new();
    for report in stack.sandbox.registry().orders(&OrderFilter::default()) {
        let handle: SubmissionHandle = report.order.handle.parse().expect("a Giro handle");
        at_provider
            .entry(handle.order_id)
            .or_default()
            .push((report.order.provider.clone(), handle.attempt));
    }
    let mut via: BTreeMap<String, usize> = BTreeMap::new();
    let mut rerouted = 0;
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    let mut twice = 0;
    let mut slowest = chrono::TimeDelta::zero();
    for (i, id) in ids.iter().enumerate() {
        let order = stack.log.log.load::<PayoutDecider>(*id).await.unwrap();
        let payout = order.state.as_ref().expect("payout");
        let created = at_provider.get(id).map(Vec::as_slice).unwrap_or_default();
        let ended_at = payout.provider().to_string();
        if created.len() > 1 {
            twice += 1;
            eprintln!("{id} created {} times: {created:?}", created.len());
            continue;
        }
        assert_eq!(created.len(), 1, "{id} never created");
        assert_eq!(
            (created[0].0.as_str(), created[0].1),
            (ended_at.as_str(), payout.attempt),
            "{id} created elsewhere than its last attempt"
        );
        let reroutes: Vec<_> = order
            .events
            .iter()
            .filter_map(|e| match &e.event {
                PayoutEvent::Rerouted(r) => Some(r),
                _ => None,
            })
            .collect();
        if let Some(r) = reroutes.first() {
            assert_eq!(
                (r.from.as_str(), r.to.as_str()),
                ("cashy-co", "killb"),
                "{id}"
            );
            // Turned away past the failover wait, or kept from cashy-co by its open breaker.
            assert!(
                matches!(
                    r.reason,
                    RerouteReason::Maintenance | RerouteReason::CircuitOpen
                ),
                "{id}: {r:?}"
            );
            *reasons.entry(r.reason.as_str()).or_default() += 1;
            rerouted += 1;
        }
        if i >= fault_at {
            assert_eq!(ended_at, "killb", "{id} made after the fault");
            let took = order.events.last().unwrap().at - order.events[0].at;
            slowest = slowest.max(took);
        }
        assert_eq!(
            payout.unmatched_reports, 0,
            "{id}: a former provider reported"
        );
        stack.assert_gapless(*id).await;
        *via.entry(ended_at).or_default() += 1;
    }
    let summary = stack.sandbox.registry().summary();
    println!(
        "failover: {count} payouts, cashy-co down from payout {fault_at}; via {via:?}; \
         {rerouted} rerouted cashy-co -> killb ({reasons:?}); those after the fault done in \
         {:.1}s, the slowest in {:.1}s; provider orders {} for {count} payouts; submitted twice = {twice}",
        failed_over_in.as_secs_f64(),
        slowest.as_seconds_f64(),
        summary.orders
    );
    assert!(summary.at_most_once, "{summary:?}");
    assert_eq!(summary.orders as usize, count, "{summary:?}");
    assert!(rerouted > 0, "nothing failed over");
    assert_eq!(twice, 0, "payouts created at a provider more than once");
    intake.stop().await;
}
