//! Beneficiaries end to end: `giro.cmd.beneficiary.register` through intake, the account created
//! at the KillB sandbox by the `killb-accounts` executor and followed until KillB decides, and
//! payouts by `beneficiary_id` accepted only while the account is ACTIVE.
//!
//! The KillB sandbox picks an account's fate by the last digit of its account number: 1 REJECTED,
//! 3 ACTIVE and later INACTIVE, anything else ACTIVE.

use std::time::{Duration, Instant};

use giro_domain::ErrorCode;
use giro_domain::beneficiary::BeneficiaryDecider;
use giro_e2e::{Stack, StackOptions};
use giro_intake::{IntakeClient, Reply};
use serde_json::{Value, json};

const WITHIN: Duration = Duration::from_secs(30);

fn pse(key: &str, account_number: &str) -> Value {
    json!({"idempotency_key": key, "type": "PSE", "data": {
        "first_name": "Juan", "last_name": "Garcia", "email": "juan@example.com",
        "phone": "+573001234567", "country_code": "CO", "account_number": account_number,
        "bank_code": "0001", "account_type": "savings",
        "document": {"type": "NUIP", "number": "1234567890", "issued_country_code": "CO"}}})
}

fn payout_to(key: &str, beneficiary_id: &str) -> Value {
    json!({"idempotency_key": key, "provider": "killb", "amount": "150000", "currency": "COP",
           "external_id": key, "beneficiary_id": beneficiary_id})
}

async fn register(client: &IntakeClient, body: Value) -> String {
    let reply = client.register_beneficiary(body.to_string()).await;
    assert!(reply.ok, "registered: {reply:?}");
    assert_eq!(reply.str("status"), Some("PENDING"), "{reply:?}");
    reply.str("beneficiary_id").expect("an id").to_string()
}

/// Waits until the order's status (as `giro.query.order.get` rebuilds it) is `status`.
async fn wait_status(client: &IntakeClient, id: &str, status: &str) -> Reply {
    let deadline = Instant::now() + WITHIN;
    loop {
        let reply = client.get_order(id).await;
        if reply.str("status") == Some(status) {
            return reply;
        }
        assert!(
            Instant::now() < deadline,
            "{id} never reached {status}: {reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn refused_beneficiary(reply: &Reply) {
    let error = reply.error.as_ref().expect("a refusal");
    assert_eq!(error.code, ErrorCode::InvalidBeneficiary, "{reply:?}");
    assert_eq!(error.field.as_deref(), Some("beneficiary_id"), "{reply:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_beneficiaries_become_killb_accounts_and_only_active_ones_are_paid() {
    let mut stack = Stack::start(StackOptions::default()).await;
    stack.start_beneficiary_executor().await;
    let (_intake, client) = stack.start_intake().await;

    let active = register(&client, pse("b-active", "1234567890")).await;
    let rejected = register(&client, pse("b-rejected", "1234567891")).await;
    let lapsing = register(&client, pse("b-lapsing", "1234567893")).await;

    // ACTIVE: paid by id, through KillB, to the end.
    let view = wait_status(&client, &active, "ACTIVE").await;
    assert!(
        view.body["history"]
            .as_array()
            .is_some_and(|h| h.len() >= 2),
        "registered, then KillB's answers: {view:?}"
    );
    let paid = client
        .create_payout(payout_to("pay-active", &active).to_string())
        .await;
    assert!(paid.ok, "an ACTIVE beneficiary is paid: {paid:?}");
    let order = paid.str("order_id").expect("an order").to_string();
    wait_status(&client, &order, "succeeded").await;

    // REJECTED by KillB: never paid.
    wait_status(&client, &rejected, "REJECTED").await;
    refused_beneficiary(
        &client
            .create_payout(payout_to("pay-rejected", &rejected).to_string())
            .await,
    );

    // ACTIVE, then deactivated at KillB (quicker than a poll here, so ACTIVE may never be seen):
    // the executor keeps looking at accounts that may still change.
    wait_status(&client, &lapsing, "INACTIVE").await;
    refused_beneficiary(
        &client
            .create_payout(payout_to("pay-lapsed", &lapsing).to_string())
            .await,
    );

    // Each account was created at KillB exactly once, under its beneficiary id.
    let handles = stack
        .sandbox
        .registry()
        .handles(Some(giro_domain::beneficiary::ACCOUNTS_PROVIDER));
    for id in [&active, &rejected, &lapsing] {
        let h = handles
            .iter()
            .find(|h| &h.handle == id)
            .unwrap_or_else(|| panic!("no KillB account for {id}: {handles:?}"));
        assert_eq!(h.orders.len(), 1, "{h:?}");
    }
    for id in [&active, &rejected, &lapsing] {
        let b = stack
            .log
            .log
            .load::<BeneficiaryDecider>(id.parse().expect("a UUID"))
            .await
            .expect("the beneficiary loads");
        let versions: Vec<u64> = b.events.iter().map(|e| e.version).collect();
        assert_eq!(versions, (1..=versions.len() as u64).collect::<Vec<_>>());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_created_while_killb_loses_answers_is_created_once() {
    let mut options = StackOptions::default();
    options.faults.lose_response = 0.5;
    let mut stack = Stack::start(options).await;
    stack.start_beneficiary_executor().await;
    let (_intake, client) = stack.start_intake().await;
    let mut ids = vec![];
    for i in 0..6 {
        ids.push(register(&client, pse(&format!("b-lossy-{i}"), "1234567890")).await);
    }
    for id in &ids {
        wait_status(&client, id, "ACTIVE").await;
    }
    let handles = stack
        .sandbox
        .registry()
        .handles(Some(giro_domain::beneficiary::ACCOUNTS_PROVIDER));
    for id in &ids {
        let h = handles
            .iter()
            .find(|h| &h.handle == id)
            .unwrap_or_else(|| panic!("no KillB account for {id}"));
        assert_eq!(h.orders.len(), 1, "one account, however often asked: {h:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killb_account_webhooks_alone_move_beneficiaries() {
    // The executor creates the accounts but never looks again within the test: only KillB's
    // signed ACCOUNT webhooks, through the ingress, can move them.
    let mut options = StackOptions::default();
    options.timings.poll_after = Duration::from_secs(3600);
    options.timings.poll_max = Duration::from_secs(3600);
    let mut stack = Stack::start(options).await;
    stack.start_beneficiary_executor().await;
    let (_intake, client) = stack.start_intake().await;

    let active = register(&client, pse("w-active", "1234567890")).await;
    let lapsing = register(&client, pse("w-lapsing", "1234567893")).await;
    wait_status(&client, &active, "ACTIVE").await;
    let history = wait_status(&client, &lapsing, "INACTIVE").await;
    let statuses: Vec<&str> = history.body["history"]
        .as_array()
        .expect("a history")
        .iter()
        .filter_map(|e| e["data"]["status"].as_str())
        .collect();
    assert!(
        statuses.ends_with(&["ACTIVE", "INACTIVE"]),
        "every change KillB announced is recorded: {statuses:?}"
    );

    // KillB's webhooks were each answered 200.
    let orders = stack.sandbox.registry().orders(&giro_sandbox::OrderFilter {
        provider: Some(giro_domain::beneficiary::ACCOUNTS_PROVIDER.into()),
        ..giro_sandbox::OrderFilter::default()
    });
    assert_eq!(orders.len(), 2, "{orders:?}");
    for order in &orders {
        assert!(!order.order.callbacks.is_empty(), "{order:?}");
        assert!(
            order
                .order
                .callbacks
                .iter()
                .all(|c| c.http_status == Some(200)),
            "{:?}",
            order.order.callbacks
        );
    }
}
