//! Bank codes at intake: checked against the bank list the providers' set-up published for the
//! instance the order goes to (`<stream>_BANKS`), with Giro's built-in list before any was.

use crate::common;

use std::time::Duration;

use common::*;
use giro_domain::bank_lists::BankCodes;
use giro_domain::beneficiary::ACCOUNTS_PROVIDER;
use giro_eventlog::BankListStore;
use giro_eventlog::test_support::TestLog;
use giro_intake::{IntakeClient, Reply};
use serde_json::{Value, json};

fn paying_into(key: &str, code: &str) -> Value {
    let mut body = payout(key);
    body["beneficiary"]["bank_code"] = json!(code);
    body
}

fn pse_account(key: &str, code: &str) -> Value {
    json!({"idempotency_key": key, "type": "PSE",
           "data": {"first_name": "Maria", "last_name": "Lopez", "email": "maria@example.com",
                    "phone": "+573001234567", "country_code": "CO",
                    "document": {"type": "CC", "number": "1234567890"},
                    "account_number": "1234567890", "bank_code": code, "account_type": "savings"}})
}

#[track_caller]
fn refused_at(reply: &Reply, field: &str, says: &str) {
    let e = reply.error.as_ref().unwrap_or_else(|| panic!("{reply:?}"));
    assert_eq!(
        (e.code.as_str(), e.field.as_deref()),
        ("invalid_beneficiary", Some(field)),
        "{e}"
    );
    assert!(e.message.contains(says), "{e}");
}

/// Sends `body` until intake's watch of the bucket has caught up and accepts it (at most 5 s).
async fn accepted_soon(client: &IntakeClient, body: &Value) -> Reply {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let reply = client.create_payout(body.to_string()).await;
        if reply.ok || tokio::time::Instant::now() > give_up {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn bank_codes_follow_the_list_published_for_the_instance_the_order_goes_to() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let client = client_for(&t, nats.clone());

    // Before any set-up: Giro's built-in list, which has no Bancamía (059).
    let before = client
        .create_payout(paying_into("b-1", "059").to_string())
        .await;
    refused_at(&before, "beneficiary.bank_code", "built-in list");
    let account = client
        .register_beneficiary(pse_account("acct-1", "0059").to_string())
        .await;
    refused_at(&account, "data.bank_code", "built-in list");
    assert!(
        client
            .create_payout(paying_into("b-2", "0007").to_string())
            .await
            .ok
    );

    // The set-up of cashy-co (the instance these payouts are for) published its list.
    let store = BankListStore::open(t.log.context(), &t.config)
        .await
        .unwrap();
    store
        .put("cashy-co", &BankCodes::from_codes(["007", "059"]))
        .await
        .unwrap();
    let after = accepted_soon(&client, &paying_into("b-3", "0059")).await;
    assert!(after.ok, "{after:?}");
    let dropped = client
        .create_payout(paying_into("b-4", "001").to_string())
        .await;
    refused_at(&dropped, "beneficiary.bank_code", "cashy-co's bank list");
    let neither = client
        .create_payout(paying_into("b-5", "998").to_string())
        .await;
    refused_at(&neither, "beneficiary.bank_code", "cashy-co's bank list");
    let malformed = client
        .create_payout(paying_into("b-6", "59").to_string())
        .await;
    refused_at(&malformed, "beneficiary.bank_code", "3 or 4 digits");

    // Accounts go by the list of the instance that keeps them, still unpublished.
    let account = client
        .register_beneficiary(pse_account("acct-2", "059").to_string())
        .await;
    refused_at(&account, "data.bank_code", "built-in list");
    store
        .put(ACCOUNTS_PROVIDER, &BankCodes::from_codes(["0059"]))
        .await
        .unwrap();
    let give_up = tokio::time::Instant::now() + Duration::from_secs(5);
    let registered = loop {
        let reply = client
            .register_beneficiary(pse_account("acct-2", "059").to_string())
            .await;
        if reply.ok || tokio::time::Instant::now() > give_up {
            break reply;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(registered.ok, "{registered:?}");

    // An intake started later has the lists as soon as it serves.
    let later = BankListStore::open(t.log.context(), &t.config)
        .await
        .unwrap();
    let lists = later.lists();
    assert!(lists.get("cashy-co").is_some_and(|l| l.contains("0059")));
    assert!(lists.get(ACCOUNTS_PROVIDER).is_some_and(|l| l.len() == 1));
    intake.stop().await;
}
