//! Fixtures for executor tests.
#![allow(dead_code)]

pub mod fake;

use std::time::{Duration, Instant};

use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutStatus};
use giro_domain::provider::Catalog;
use giro_domain::{EventMeta, OrderId};
use giro_eventlog::EventLog;
use giro_executor::Timings;
use serde_json::json;

/// Timings shrunk so tests run in seconds.
pub fn fast_timings() -> Timings {
    Timings {
        claim_timeout: Duration::from_millis(1500),
        poll_after: Duration::from_millis(200),
        poll_max: Duration::from_millis(800),
        retry_base: Duration::from_millis(100),
        retry_max: Duration::from_millis(400),
        max_attempts: 8,
        hold_recheck: Duration::from_millis(200),
        hold_timeout: Duration::from_secs(120),
        ack_wait: Duration::from_secs(5),
        unknown_timeout: Duration::from_secs(10),
    }
}

/// Creates a payout through the domain (as intake would) and returns its id.
pub async fn create(log: &EventLog, key: &str, provider: &str, amount: &str) -> OrderId {
    let body = match provider {
        "cashy-tz" => json!({
            "idempotency_key": key, "provider": provider, "amount": amount, "currency": "TZS",
            "beneficiary": {"rail": "tz_mobile", "name": "Juma Hamisi", "msisdn": "255712345678", "operator": "tigo"}
        }),
        _ => json!({
            "idempotency_key": key, "provider": provider, "amount": amount, "currency": "COP",
            "external_id": key,
            "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                             "email": "maria@example.com", "phone": "3001234567",
                             "document": {"type": "CC", "number": "12345678"},
                             "bank_code": "007", "account_number": "123456789", "account_type": "savings" }
        }),
    };
    let draft = giro_domain::payout::parse_create(body.to_string().as_bytes()).unwrap();
    let cmd = draft.into_command(&Catalog::default(), None).unwrap();
    let id = cmd.order_id;
    log.execute::<PayoutDecider>(
        id,
        &PayoutCommand::Create(Box::new(cmd)),
        &EventMeta::default(),
        true,
    )
    .await
    .unwrap();
    id
}

/// Waits until every order is terminal, or the deadline passes; returns the statuses.
pub async fn wait_terminal(log: &EventLog, ids: &[OrderId], within: Duration) -> Vec<PayoutStatus> {
    let deadline = Instant::now() + within;
    loop {
        let mut statuses = Vec::with_capacity(ids.len());
        for id in ids {
            let order = log.load::<PayoutDecider>(*id).await.unwrap();
            statuses.push(order.state.map(|p| p.status).unwrap());
        }
        if statuses.iter().all(|s| s.is_terminal()) || Instant::now() > deadline {
            return statuses;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks that an order's events are numbered 1..=n without gaps or repeats.
pub async fn assert_gapless(log: &EventLog, id: OrderId) {
    let order = log.load::<PayoutDecider>(id).await.unwrap();
    let versions: Vec<u64> = order.events.iter().map(|e| e.version).collect();
    assert_eq!(
        versions,
        (1..=versions.len() as u64).collect::<Vec<_>>(),
        "order {id}"
    );
}
