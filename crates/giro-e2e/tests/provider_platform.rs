//! Adding a provider touches no engine file: TestPay (its adapter and sandbox in
//! `tests/test_provider/`) is registered at run time, and a payout to it goes the whole way —
//! intake, the payout executor, TestPay's API, its webhook through the generic ingress — to
//! `succeeded`.

#[path = "test_provider/mod.rs"]
mod test_provider;

use std::sync::Arc;
use std::time::Duration;

use giro_domain::payout::{PayoutDecider, PayoutStatus};
use giro_e2e::{Stack, StackOptions};
use serde_json::json;
use test_provider::TestPayAdapter;

const TOKEN: &str = "testpay-e2e-token";

#[tokio::test]
async fn a_provider_registered_at_run_time_pays_through_the_whole_stack() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let testpay = test_provider::sandbox::start(TOKEN).await;
    let stack = Stack::start(StackOptions {
        adapters: vec![Arc::new(TestPayAdapter {
            url: testpay.url.clone(),
            token: TOKEN.into(),
        })],
        ..StackOptions::default()
    })
    .await;
    assert!(
        stack
            .registry
            .catalog()
            .provider(&"testpay".parse().expect("id"))
            .is_some()
    );
    let (_intake, client) = stack.start_intake().await;
    let body = json!({
        "idempotency_key": "testpay-1", "provider": "testpay", "amount": "150000.50",
        "currency": "COP",
        "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                         "email": "maria@example.com", "phone": "3001234567",
                         "document": {"type": "CC", "number": "12345678"},
                         "bank_code": "007", "account_number": "123456789",
                         "account_type": "savings" }
    });
    let reply = client.create_payout(body.to_string()).await;
    assert!(reply.ok, "intake takes a payout to testpay: {reply:?}");
    let id = reply
        .str("order_id")
        .expect("an order id")
        .parse()
        .expect("a uuid");

    let statuses = stack
        .wait_for(&[id], Duration::from_secs(30), |s| {
            s == PayoutStatus::Succeeded
        })
        .await;
    assert_eq!(statuses, [PayoutStatus::Succeeded]);
    assert_eq!(testpay.created(), 1, "paid once");
    let order = stack
        .log
        .log
        .load::<PayoutDecider>(id)
        .await
        .expect("loads");
    let reported = order
        .events
        .iter()
        .any(|e| giro_domain::EventType::event_type(&e.event) == "payout.provider_status");
    assert!(reported, "the webhook's report is recorded");
    let metrics = reqwest::get(format!("{}/metrics", stack.ingress.url()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(r#"provider="testpay",result="stored""#),
        "{metrics}"
    );
}
