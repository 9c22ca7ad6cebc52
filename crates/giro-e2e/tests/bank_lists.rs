//! The providers' bank lists at intake, as `giro up` runs them: the start-up set-up reads KillB's
//! `GET /api/v2/banks` and Cashy's `bankListQuery` from the sandboxes and publishes them, and
//! intake then takes a bank only those lists have (Bancamía, 059, absent from Giro's built-in
//! list) and refuses one in neither, naming the field and the provider.

use std::time::Duration;

use giro_e2e::{Stack, StackOptions};
use giro_intake::{IntakeClient, Reply};
use serde_json::{Value, json};

fn payout(key: &str, provider: &str, code: &str) -> Value {
    json!({
        "idempotency_key": key, "provider": provider, "amount": "500000", "currency": "COP",
        "beneficiary": {"rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                        "email": "maria@example.com", "phone": "3001234567",
                        "document": {"type": "CC", "number": "12345678"},
                        "bank_code": code, "account_number": "123456789",
                        "account_type": "savings"}
    })
}

fn pse_account(key: &str, code: &str) -> Value {
    json!({"idempotency_key": key, "type": "PSE",
           "data": {"first_name": "Maria", "last_name": "Lopez", "email": "maria@example.com",
                    "phone": "+573001234567", "country_code": "CO",
                    "document": {"type": "CC", "number": "1234567890"},
                    "account_number": "1234567890", "bank_code": code, "account_type": "savings"}})
}

/// Sends `body` until intake has heard of the published lists and accepts it (at most 10 s).
async fn accepted(client: &IntakeClient, command: &str, body: &Value) -> Reply {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let reply = client.send(command, body.to_string()).await;
        if reply.ok || tokio::time::Instant::now() > give_up {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn intake_takes_the_banks_the_providers_listed_at_set_up() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stack = Stack::start(StackOptions::default()).await;
    let (intake, client) = stack.start_intake().await;

    for provider in ["killb", "cashy-co"] {
        let only_listed = payout(&format!("{provider}-059"), provider, "059");
        let reply = accepted(&client, "cmd.payout.create", &only_listed).await;
        assert!(reply.ok, "{provider}: {reply:?}");

        let neither = payout(&format!("{provider}-0998"), provider, "0998");
        let reply = client.create_payout(neither.to_string()).await;
        let e = reply.error.expect("a bank no list has is refused");
        assert_eq!(e.field.as_deref(), Some("beneficiary.bank_code"), "{e}");
        assert!(
            e.message.contains(&format!("{provider}'s bank list")),
            "{e}"
        );
    }
    let account = accepted(
        &client,
        "cmd.beneficiary.register",
        &pse_account("bancamia", "0059"),
    )
    .await;
    assert!(account.ok, "{account:?}");
    let refused = client
        .register_beneficiary(pse_account("nowhere", "998").to_string())
        .await;
    let e = refused.error.expect("refused");
    assert_eq!(e.field.as_deref(), Some("data.bank_code"), "{e}");
    assert!(e.message.contains("killb-accounts's bank list"), "{e}");
    intake.stop().await;
}
