//! Updating and removing beneficiaries end to end: `giro.cmd.beneficiary.update` /
//! `.remove` through intake, the accounts executor sending `PATCH` / `DELETE
//! /api/v2/accounts/{id}` to the KillB sandbox, and the outcome recorded as events.
//!
//! The KillB sandbox verifies an account by the last digit of its number (4: ACTIVE) and a PATCH
//! restarts verification (PENDING); a payout whose amount ends in 19 stays PROCESSING, and KillB
//! refuses to delete an account such a payout pays into.

use std::time::{Duration, Instant};

use giro_domain::{ErrorCode, Secret};
use giro_e2e::{Stack, StackOptions};
use giro_intake::{IntakeClient, Reply};
use giro_providers::killb::wire::AccountQuery;
use giro_providers::killb::{KillbClient, KillbConfig};
use serde_json::{Value, json};

const WITHIN: Duration = Duration::from_secs(30);

fn pse(key: &str, account_number: &str) -> Value {
    json!({"idempotency_key": key, "type": "PSE", "data": {
        "first_name": "Juan", "last_name": "Garcia", "email": "juan@example.com",
        "phone": "+573001234567", "country_code": "CO", "account_number": account_number,
        "bank_code": "0001", "account_type": "savings",
        "document": {"type": "NUIP", "number": "1234567890", "issued_country_code": "CO"}}})
}

fn payout_to(key: &str, beneficiary_id: &str, amount: &str) -> Value {
    json!({"idempotency_key": key, "provider": "killb", "amount": amount, "currency": "COP",
           "external_id": key, "beneficiary_id": beneficiary_id})
}

async fn register(client: &IntakeClient, body: Value) -> String {
    let reply = client.register_beneficiary(body.to_string()).await;
    assert!(reply.ok, "registered: {reply:?}");
    reply.str("beneficiary_id").expect("an id").to_string()
}

/// Waits until `giro.query.order.get` of `id` satisfies `done`.
async fn wait_for(
    client: &IntakeClient,
    id: &str,
    what: &str,
    done: impl Fn(&Reply) -> bool,
) -> Reply {
    let deadline = Instant::now() + WITHIN;
    loop {
        let reply = client.get_order(id).await;
        if done(&reply) {
            return reply;
        }
        assert!(
            Instant::now() < deadline,
            "{id} never reached {what}: {reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_status(client: &IntakeClient, id: &str, status: &str) -> Reply {
    wait_for(client, id, status, |r| r.str("status") == Some(status)).await
}

/// The history's entries of type `kind`.
fn events<'a>(reply: &'a Reply, kind: &str) -> Vec<&'a Value> {
    reply.body["history"]
        .as_array()
        .map(|h| h.iter().filter(|e| e["type"] == kind).collect())
        .unwrap_or_default()
}

async fn wait_event(client: &IntakeClient, id: &str, kind: &str) -> Reply {
    wait_for(client, id, kind, |r| !events(r, kind).is_empty()).await
}

/// A KillB client on the stack's sandbox, with the stack's default credentials.
fn killb(stack: &Stack) -> KillbClient {
    let config = KillbConfig::new(
        stack.sandbox.killb_url().expect("killb runs"),
        "sandbox@giro.local",
        Secret::new("killb-sandbox-password".into()),
        "prefund-cop-001",
        Secret::new("killb-sandbox-webhook-secret".into()),
    );
    KillbClient::new(config).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beneficiaries_are_updated_and_removed_at_killb() {
    let mut stack = Stack::start(StackOptions::default()).await;
    stack.start_beneficiary_executor().await;
    let (_intake, client) = stack.start_intake().await;
    let killb = killb(&stack);

    let id = register(&client, pse("chg-1", "1234567890")).await;
    wait_status(&client, &id, "ACTIVE").await;

    // A field that cannot change is refused in the reply, naming it.
    let reply = client
        .update_beneficiary(&id, json!({"first_name": "Pedro"}), None)
        .await;
    let error = reply.error.as_ref().expect("refused");
    assert_eq!(error.field.as_deref(), Some("data.first_name"), "{reply:?}");

    // The new account number reaches KillB; the account is verified again.
    let changes = json!({"account_number": "9876543214"});
    let reply = client
        .update_beneficiary(&id, changes.clone(), Some("moved banks"))
        .await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.body["update_pending"], true, "{reply:?}");
    assert_eq!(reply.body["duplicate"], false, "{reply:?}");
    let again = client.update_beneficiary(&id, changes, None).await;
    assert_eq!(again.body["duplicate"], true, "{again:?}");
    let view = wait_event(&client, &id, "beneficiary.updated").await;
    assert_eq!(
        events(&view, "beneficiary.updated")[0]["data"]["status"],
        "PENDING",
        "{view:?}"
    );
    let shown = serde_json::to_string(&view.body).unwrap_or_default();
    assert!(!shown.contains("9876543214"), "masked: {shown}");
    wait_status(&client, &id, "ACTIVE").await;
    let query = AccountQuery {
        account_number: Some("9876543214".into()),
        ..AccountQuery::default()
    };
    let found = killb.search_accounts(&query).await.expect("KillB answers");
    assert!(
        found
            .iter()
            .any(|a| a.external_id.as_deref() == Some(id.as_str())),
        "KillB has the new number: {found:?}"
    );

    // A payout on its way (stuck PROCESSING at KillB): KillB refuses the removal.
    let paid = client
        .create_payout(payout_to("chg-pay-1", &id, "150019").to_string())
        .await;
    assert!(paid.ok, "{paid:?}");
    let order = paid.str("order_id").expect("an order").to_string();
    wait_for(&client, &order, "processing", |r| {
        matches!(r.str("status"), Some("submitted" | "processing"))
    })
    .await;
    let reply = client.remove_beneficiary(&id, Some("closed")).await;
    assert!(reply.ok, "{reply:?}");
    assert_eq!(reply.body["removal_pending"], true, "{reply:?}");
    let view = wait_event(&client, &id, "beneficiary.removal_failed").await;
    let reason = events(&view, "beneficiary.removal_failed")[0]["data"]["reason"].to_string();
    assert!(
        reason.contains("ACCOUNT.0004"),
        "the provider's reason: {reason}"
    );
    assert_eq!(view.str("status"), Some("ACTIVE"), "{view:?}");

    // Another beneficiary, removed: INACTIVE for good and no more payouts.
    let other = register(&client, pse("chg-2", "1234567894")).await;
    wait_status(&client, &other, "ACTIVE").await;
    let reply = client.remove_beneficiary(&other, None).await;
    assert!(reply.ok, "{reply:?}");
    let view = wait_status(&client, &other, "INACTIVE").await;
    assert_eq!(events(&view, "beneficiary.removed").len(), 1, "{view:?}");
    let again = client.remove_beneficiary(&other, None).await;
    assert_eq!(again.body["duplicate"], true, "{again:?}");
    let refused = client
        .create_payout(payout_to("chg-pay-2", &other, "150000").to_string())
        .await;
    let error = refused
        .error
        .as_ref()
        .expect("a removed beneficiary is not paid");
    assert_eq!(error.code, ErrorCode::InvalidBeneficiary, "{refused:?}");
    let update = client
        .update_beneficiary(&other, json!({"account_number": "9876543214"}), None)
        .await;
    assert_eq!(
        update.error.as_ref().map(|e| e.code),
        Some(ErrorCode::InvalidState),
        "{update:?}"
    );
    let query = AccountQuery {
        account_number: Some("1234567894".into()),
        ..AccountQuery::default()
    };
    let found = killb.search_accounts(&query).await.expect("KillB answers");
    let account = found
        .iter()
        .find(|a| a.external_id.as_deref() == Some(other.as_str()))
        .expect("still listed");
    assert_eq!(account.status, "INACTIVE", "{account:?}");
}
