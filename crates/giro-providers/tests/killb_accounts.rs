//! KillB's accounts (seed 002) and payout listing (seed 000) through the real client against the
//! simulator: accounts created under a user (the configured default or the registration's),
//! refused when the holder is not the user, read through the documented search, searched, listed
//! by user, updated (only updatable fields, back to PENDING) and deleted; payouts listed by
//! status, page and limit, and a lookup by external id that reads every page.

mod killb_support;

use std::time::Duration;

use giro_domain::OrderId;
use giro_domain::beneficiary::{BeneficiaryCommand, BeneficiaryRegistered, BeneficiaryStatus};
use giro_providers::killb::KillbClient;
use giro_providers::killb::wire::{AccountQuery, PayoutQuery};
use giro_providers::{AccountAnswer, AccountProvider};
use killb_support::*;
use serde_json::{Value, json};

fn registration(key: &str, extra: Value, data: Value) -> (OrderId, BeneficiaryRegistered) {
    let mut body = json!({"idempotency_key": key, "type": "PSE", "data": {
        "first_name": "Juan", "last_name": "Garcia", "email": "juan@example.com",
        "phone": "+573001234567", "country_code": "CO", "account_number": "1234567890",
        "bank_code": "007", "account_type": "savings",
        "document": {"type": "CC", "number": "1234567890", "issued_country_code": "CO"}}});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    body["data"]
        .as_object_mut()
        .unwrap()
        .extend(data.as_object().cloned().unwrap_or_default());
    match giro_domain::beneficiary::parse_register(body.to_string().as_bytes()) {
        Ok(BeneficiaryCommand::Register { id, registration }) => (id, *registration),
        other => panic!("a valid registration: {other:?}"),
    }
}

/// Adds a user to the simulator (`POST /_sandbox/killb/users`).
pub async fn add_user(sandbox: &giro_sandbox::Sandbox, user: serde_json::Value) {
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/_sandbox/killb/users",
            sandbox.killb_url().unwrap()
        ))
        .json(&user)
        .send()
        .await
        .expect("sandbox answers");
    assert_eq!(answer.status(), 201);
}

async fn active(client: &KillbClient, id: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while client.account(id).await.expect("listed").status != "ACTIVE" {
        assert!(tokio::time::Instant::now() < deadline, "{id} never ACTIVE");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn accounts_are_linked_to_users_and_refused_when_the_holder_is_not_the_user() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let (id, default_user) = registration("acc-default", json!({}), json!({}));
    let AccountAnswer::Account {
        provider_ref,
        status,
    } = client.create_account(id, &default_user).await
    else {
        panic!("created under the default user");
    };
    assert_eq!(status, BeneficiaryStatus::Pending);
    let read = client
        .account(&provider_ref)
        .await
        .expect("read through ?ids=");
    assert_eq!(
        read.user_id.as_deref(),
        Some(giro_providers::killb::DEFAULT_USER_ID)
    );
    assert_eq!(read.external_id, Some(id.to_string()));

    add_user(
        &sandbox,
        json!({"id": "user-juan", "firstName": "Juan", "lastName": "Garcia"}),
    )
    .await;
    let (id, juans) = registration(
        "acc-juan",
        json!({"user_id": "user-juan"}),
        json!({"account_number": "5550001114"}),
    );
    assert!(matches!(
        client.create_account(id, &juans).await,
        AccountAnswer::Account { .. }
    ));
    let (id, not_juan) = registration(
        "acc-maria",
        json!({"user_id": "user-juan"}),
        json!({"first_name": "Maria", "account_number": "5550001124"}),
    );
    let AccountAnswer::Refused { reason } = client.create_account(id, &not_juan).await else {
        panic!("a holder who is not the user is refused");
    };
    assert!(
        reason.contains("ACCOUNT.0003") && reason.contains("user-juan"),
        "{reason}"
    );
    let (id, nobody) = registration("acc-nobody", json!({"user_id": "user-nobody"}), json!({}));
    let AccountAnswer::Refused { reason } = client.create_account(id, &nobody).await else {
        panic!("an unknown user is refused");
    };
    assert!(reason.contains("USER.0001"), "{reason}");

    let of_juan = client.accounts_of_user("user-juan").await.unwrap();
    assert_eq!(of_juan.len(), 1);
    assert_eq!(of_juan[0].account_type.as_deref(), Some("PSE"));
    let unknown = client.accounts_of_user("user-nobody").await.unwrap_err();
    assert!(unknown.to_string().contains("USER.0001"), "{unknown}");
    let missing = client.read_account("no-such-account").await;
    assert!(
        matches!(missing, AccountAnswer::Refused { .. }),
        "{missing:?}"
    );
}

#[tokio::test]
async fn accounts_are_searched_updated_and_deleted() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let (a, first) = registration("acc-s1", json!({}), json!({"account_number": "7000000010"}));
    let (b, second) = registration("acc-s2", json!({}), json!({"account_number": "7000000020"}));
    let ids: Vec<String> = [(a, first), (b, second)]
        .iter()
        .map(|(id, r)| async { client.create_account(*id, r).await })
        .collect::<futures::future::JoinAll<_>>()
        .await
        .into_iter()
        .map(|answer| match answer {
            AccountAnswer::Account { provider_ref, .. } => provider_ref,
            other => panic!("{other:?}"),
        })
        .collect();
    let search = |query: AccountQuery| {
        let client = &client;
        async move {
            let mut found: Vec<String> = client
                .search_accounts(&query)
                .await
                .unwrap()
                .into_iter()
                .map(|a| a.id)
                .collect();
            found.sort();
            found
        }
    };
    let mut both = ids.clone();
    both.sort();
    assert_eq!(
        search(AccountQuery {
            ids: ids.clone(),
            ..AccountQuery::default()
        })
        .await,
        both
    );
    assert_eq!(
        search(AccountQuery {
            account_number: Some("7000000020".into()),
            account_type: Some("PSE".into()),
            user_id: Some(giro_providers::killb::DEFAULT_USER_ID.into()),
            ..AccountQuery::default()
        })
        .await,
        [ids[1].clone()]
    );
    assert!(
        search(AccountQuery {
            address: Some("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".into()),
            ..AccountQuery::default()
        })
        .await
        .is_empty()
    );

    active(&client, &ids[0]).await;
    let mut change = serde_json::Map::new();
    change.insert("accountNumber".into(), json!("7000000030"));
    change.insert("bankCode".into(), json!("051"));
    let updated = client.update_account(&ids[0], &change).await.unwrap();
    assert_eq!(updated.status, "PENDING", "verified again");
    let mut name = serde_json::Map::new();
    name.insert("firstName".into(), json!("Pedro"));
    let refused = client.update_account(&ids[0], &name).await.unwrap_err();
    assert!(refused.to_string().contains("data.firstName"), "{refused}");

    client.delete_account(&ids[1]).await.expect("deleted");
    assert_eq!(client.account(&ids[1]).await.unwrap().status, "INACTIVE");
    let gone = client.delete_account("no-such-account").await.unwrap_err();
    assert!(gone.to_string().contains("404"), "{gone}");
}

#[tokio::test]
async fn payouts_are_listed_by_status_and_page_and_found_on_any_page() {
    let sandbox =
        sandbox(|k| k.accounts[0].amount = rust_decimal::Decimal::from(1_000_000_000)).await;
    let client = client(&sandbox);
    let token = {
        let answer: Value = reqwest::Client::new()
            .post(format!(
                "{}/api/v2/auth/login",
                sandbox.killb_url().unwrap()
            ))
            .json(&json!({"email": EMAIL, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["accessToken"].as_str().unwrap().to_owned()
    };
    // 102 payouts under one externalId (different Idempotency-Keys), the first one FAILED.
    let http = reqwest::Client::new();
    for n in 0..102 {
        let amount = if n == 0 { 500_011 } else { 500_000 };
        let body = json!({"preFundAccountId": ACCOUNT, "amount": amount, "externalId": "many",
            "beneficiary": {"type": "PSE", "account": {"firstName": "Maria", "lastName": "Garcia",
            "email": "maria@example.com", "phone": "3001234567",
            "document": {"type": "CC", "number": "12345678"}, "accountNumber": "123456789",
            "bankCode": "001", "type": "savings", "countryCode": "CO"}}});
        let answer = http
            .post(format!("{}/api/v2/payouts", sandbox.killb_url().unwrap()))
            .bearer_auth(&token)
            .header("Idempotency-Key", format!("many-{n}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201);
    }
    let all = client.payouts_by_external_id("many").await.unwrap();
    assert_eq!(all.len(), 102, "every page is read");
    let page = client
        .list_payouts(&PayoutQuery {
            limit: 10,
            page: 11,
            ..PayoutQuery::new()
        })
        .await
        .unwrap();
    assert_eq!((page.payouts.len(), page.total_page), (2, Some(11)));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let failed = client
            .list_payouts(&PayoutQuery {
                status: Some("FAILED".into()),
                ..PayoutQuery::new()
            })
            .await
            .unwrap();
        if failed.payouts.len() == 1 {
            assert_eq!(failed.payouts[0].status, "FAILED");
            assert_eq!(failed.total_page, Some(1));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never FAILED");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let one = &all[5];
    let by_id = client
        .list_payouts(&PayoutQuery {
            id: Some(one.id.clone()),
            ..PayoutQuery::new()
        })
        .await
        .unwrap();
    assert_eq!(by_id.payouts.len(), 1);
}

#[tokio::test]
async fn giro_changes_are_sent_in_killb_names_and_a_deleted_account_reads_inactive() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let (id, registration) = registration("acc-chg", json!({}), json!({}));
    let AccountAnswer::Account { provider_ref, .. } =
        client.create_account(id, &registration).await
    else {
        panic!("created");
    };
    active(&client, &provider_ref).await;
    // Giro's snake_case (`account_number`, `bank_code` in its short form) reaches KillB as
    // `accountNumber` and `bankCode` in KillB's list form; KillB verifies the account again.
    let body =
        json!({"beneficiary_id": id, "data": {"account_number": "5550001114", "bank_code": "007"}});
    let (_, changes, _) =
        giro_domain::beneficiary::parse_update(body.to_string().as_bytes()).unwrap();
    let answer = AccountProvider::update_account(&client, &provider_ref, &changes).await;
    assert!(
        matches!(
            &answer,
            AccountAnswer::Account { status: BeneficiaryStatus::Pending, provider_ref: p } if *p == provider_ref
        ),
        "{answer:?}"
    );
    let found = client
        .search_accounts(&AccountQuery {
            account_number: Some("5550001114".into()),
            ..AccountQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, provider_ref);
    active(&client, &provider_ref).await;
    let answer = AccountProvider::delete_account(&client, &provider_ref).await;
    assert!(
        matches!(
            answer,
            AccountAnswer::Account {
                status: BeneficiaryStatus::Inactive,
                ..
            }
        ),
        "{answer:?}"
    );
    let read = AccountProvider::read_account(&client, &provider_ref).await;
    assert!(
        matches!(
            read,
            AccountAnswer::Account {
                status: BeneficiaryStatus::Inactive,
                ..
            }
        ),
        "a deleted account reads INACTIVE, which the executor takes as removed: {read:?}"
    );
}
