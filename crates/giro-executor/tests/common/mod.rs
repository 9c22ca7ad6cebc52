//! Fixtures for executor tests.
#![allow(dead_code)]

pub mod fake;
pub mod fake_charges;

use std::time::{Duration, Instant};

use giro_domain::charge::{ChargeCommand, ChargeDecider, ChargeEvent};
use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutEvent, PayoutStatus};
use giro_domain::provider::Catalog;
use giro_domain::{Envelope, EventType};
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
        failover_after: Duration::from_secs(60),
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

/// The sandboxes' clock for executor tests: provider lifecycles in milliseconds.
pub fn sandbox_timing() -> giro_sandbox::Timing {
    giro_sandbox::Timing {
        time_scale: 0.0001,
        step_delay: Duration::from_millis(30),
        reversal_delay: Duration::from_millis(150),
        callback_timeout: Duration::from_secs(5),
    }
}

/// A payout's events, oldest first.
pub async fn payout_events(log: &EventLog, id: OrderId) -> Vec<Envelope<PayoutEvent>> {
    let events = log.load::<PayoutDecider>(id).await.unwrap().events;
    events
        .into_iter()
        .map(std::sync::Arc::unwrap_or_clone)
        .collect()
}

/// A charge's events, oldest first.
pub async fn charge_events(log: &EventLog, id: OrderId) -> Vec<Envelope<ChargeEvent>> {
    let events = log.load::<ChargeDecider>(id).await.unwrap().events;
    events
        .into_iter()
        .map(std::sync::Arc::unwrap_or_clone)
        .collect()
}

/// The event types of a list of events.
pub fn types<E: EventType>(events: &[Envelope<E>]) -> Vec<&'static str> {
    events.iter().map(|e| e.event.event_type()).collect()
}

/// Polls `check` every 50 ms until it gives a value, or panics with `what` after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates an A55 charge (BRL, one installment) as intake would and returns its id.
pub async fn create_charge(log: &EventLog, key: &str, amount: &str, method: &str) -> OrderId {
    let body = json!({
        "idempotency_key": key, "provider": "a55", "amount": amount, "currency": "BRL",
        "installment_count": 1, "method": method,
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "12345678909",
                  "phone": "+5511999999999",
                  "address": {"street": "Av. Paulista", "address_number": "1000",
                              "complement": "Sala 101", "neighborhood": "Bela Vista",
                              "city": "Sao Paulo", "state": "SP", "postal_code": "01310-100",
                              "country": "BR"}},
        "due_date": "2030-12-31", "description": "Order 42",
        "redirect_url": "https://shop.example.com/done"
    });
    let cmd = giro_domain::charge::parse_create(body.to_string().as_bytes(), &Catalog::default())
        .unwrap();
    let id = cmd.order_id;
    log.execute::<ChargeDecider>(
        id,
        &ChargeCommand::Create(Box::new(cmd)),
        &EventMeta::default(),
        true,
    )
    .await
    .unwrap();
    id
}

/// Carries out a charge command as intake would.
pub async fn charge_command(log: &EventLog, id: OrderId, command: ChargeCommand) {
    log.execute::<ChargeDecider>(id, &command, &EventMeta::default(), false)
        .await
        .unwrap();
}
