//! Routing rules as configuration on the real stack: intake routes payouts that name no provider
//! by `ops/routing/routes.json` (a large Colombian payout to KillB, the rest shared 3:1 between
//! Cashy Colombia and KillB), each `payout.requested` records the rule and the candidates, and the
//! executors of both providers make them, each once.

use std::time::Duration;

use giro_domain::OrderId;
use giro_domain::payout::{PayoutDecider, PayoutEvent, PayoutStatus as S};
use giro_e2e::{Stack, StackOptions};
use giro_providers::registry::read_routes;
use serde_json::json;

const WITHIN: Duration = Duration::from_secs(60);

fn body(key: &str, amount: &str) -> String {
    json!({
        "idempotency_key": key, "amount": amount, "currency": "COP",
        "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                         "email": "maria@example.com", "phone": "3001234567",
                         "document": {"type": "CC", "number": "12345678"},
                         "bank_code": "001", "account_number": "123456789", "account_type": "savings" }
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payouts_go_where_the_rules_say_and_each_records_why() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stack = Stack::start(StackOptions::default()).await;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ops/routing/routes.json");
    let mut catalog = stack.registry.catalog();
    catalog.routes = read_routes(path).expect("the example rules");
    assert_eq!(catalog.validate_routes(), Ok(()));
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

    let mut ids: Vec<(OrderId, &str)> = vec![];
    for i in 0..24 {
        let reply = client
            .create_payout(body(&format!("routed-{i}"), "150000"))
            .await;
        assert!(reply.ok, "{reply:?}");
        ids.push((
            reply.str("order_id").unwrap().parse().unwrap(),
            "cop-bank-split",
        ));
    }
    let reply = client.create_payout(body("routed-large", "7000000")).await;
    assert!(reply.ok, "{reply:?}");
    ids.push((
        reply.str("order_id").unwrap().parse().unwrap(),
        "cop-large-to-killb",
    ));

    let all: Vec<OrderId> = ids.iter().map(|(id, _)| *id).collect();
    let statuses = stack.wait_for(&all, WITHIN, |s| s.is_terminal()).await;
    assert_eq!(statuses, vec![S::Succeeded; all.len()]);
    let mut by_provider = std::collections::BTreeMap::<String, usize>::new();
    for (id, rule) in &ids {
        let order = stack.log.log.load::<PayoutDecider>(*id).await.unwrap();
        let PayoutEvent::Requested(requested) = &order.events[0].event else {
            panic!("{id}: the first event is payout.requested");
        };
        let route = requested.route.as_ref().expect("the route is recorded");
        assert_eq!(route.rule, *rule, "{id}");
        let candidates: Vec<&str> = route.candidates.iter().map(|c| c.as_str()).collect();
        let expected: &[&str] = if *rule == "cop-bank-split" {
            &["cashy-co", "killb"]
        } else {
            &["killb"]
        };
        assert_eq!(candidates, expected, "{id}");
        *by_provider
            .entry(requested.provider.to_string())
            .or_default() += 1;
        stack.assert_gapless(*id).await;
    }
    // Both providers made some of the shared ones; KillB the large one too.
    assert!(
        by_provider.get("cashy-co").is_some_and(|n| *n > 0),
        "{by_provider:?}"
    );
    assert!(
        by_provider.get("killb").is_some_and(|n| *n > 1),
        "{by_provider:?}"
    );
    println!("routed: {by_provider:?}");
    let summary = stack.sandbox.registry().summary();
    assert!(summary.exactly_once, "{summary:?}");
    assert_eq!(summary.orders as usize, all.len(), "{summary:?}");
    intake.stop().await;
}
