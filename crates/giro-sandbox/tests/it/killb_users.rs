//! KillB users (seed 002): every account names its user (`userId`), the user must exist, and the
//! holder's name must match the user's; an account used by a payout on its way cannot be deleted.

use serde_json::{Value, json};

use crate::common::*;
use crate::killb::{create, get, login};
use crate::killb_accounts_api::{USER, account, post_account};
use crate::killb_accounts_flow::add_user;

async fn refusal(answer: reqwest::Response, status: u16) -> Value {
    assert_eq!(answer.status(), status);
    answer.json().await.unwrap()
}

#[tokio::test]
async fn accounts_need_a_known_user_whose_name_is_the_holders() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;

    let mut no_user = account("PSE", "u-none");
    no_user.as_object_mut().unwrap().remove("userId");
    let error = refusal(post_account(&base, &token, &no_user).await, 400).await;
    assert_eq!(error["arguments"][0]["value"], "userId", "{error}");

    let mut stranger = account("PSE", "u-stranger");
    stranger["userId"] = json!("user-nobody");
    let error = refusal(post_account(&base, &token, &stranger).await, 404).await;
    assert_eq!(error["errorCode"], "USER.0001", "{error}");
    assert_eq!(
        get(&base, &token, "/api/v2/accounts/userId/user-nobody")
            .await
            .status(),
        404
    );

    add_user(
        &base,
        json!({"id": "user-juan", "firstName": "JUAN", "lastName": "garcía"}),
    )
    .await;
    let mut juan = account("PSE", "u-juan");
    juan["userId"] = json!("user-juan");
    assert_eq!(
        post_account(&base, &token, &juan).await.status(),
        201,
        "names match whatever the case"
    );
    let mut maria = account("PSE", "u-maria");
    maria["userId"] = json!("user-juan");
    maria["data"]["firstName"] = json!("Maria");
    let error = refusal(post_account(&base, &token, &maria).await, 400).await;
    assert_eq!(error["errorCode"], "ACCOUNT.0003", "{error}");
    assert_eq!(error["arguments"][0]["value"], "data.firstName", "{error}");

    add_user(&base, json!({"id": "user-acme", "companyName": "Acme SAS"})).await;
    let mut company = account("PSE", "u-acme");
    company["userId"] = json!("user-acme");
    let data = company["data"].as_object_mut().unwrap();
    data.remove("firstName");
    data.remove("lastName");
    data.insert("companyName".into(), json!("Acme SAS"));
    assert_eq!(
        post_account(&base, &token, &company).await.status(),
        201,
        "a company without lastName"
    );
    let mut with_last = account("PSE", "u-acme-2");
    with_last["userId"] = json!("user-acme");
    with_last["data"]["companyName"] = json!("Acme SAS");
    with_last["data"]["accountNumber"] = json!("99887766");
    assert_eq!(
        post_account(&base, &token, &with_last).await.status(),
        201,
        "a company with lastName"
    );
    with_last["externalId"] = json!("u-acme-3");
    with_last["data"]["companyName"] = json!("Other SAS");
    let error = refusal(post_account(&base, &token, &with_last).await, 400).await;
    assert_eq!(
        error["arguments"][0]["value"], "data.companyName",
        "{error}"
    );

    let accounts: Value = get(&base, &token, "/api/v2/accounts/userId/user-acme")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(accounts.as_array().map(Vec::len), Some(2));
    assert!(
        accounts
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["userId"] == "user-acme")
    );
    let umbrella: Value = get(&base, &token, &format!("/api/v2/accounts/userId/{USER}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(umbrella.as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn an_account_a_payout_is_on_its_way_to_is_not_deleted() {
    let sandbox = start(config()).await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let mut body = account("PSE", "del-1");
    body["data"]["accountNumber"] = json!("123456789");
    let created: Value = post_account(&base, &token, &body)
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    // 500019 stays in PROCESSING (the scenario of its last digits), paying into 123456789.
    let payout = crate::killb::pse("del-pay", json!(500019));
    assert_eq!(
        create(&base, &token, "del-pay", &payout).await.status(),
        201
    );
    let delete = || {
        client()
            .delete(format!("{base}/api/v2/accounts/{id}"))
            .bearer_auth(&token)
            .send()
    };
    let error = refusal(delete().await.unwrap(), 409).await;
    assert_eq!(error["errorCode"], "ACCOUNT.0004", "{error}");
    let other: Value = post_account(&base, &token, &account("SPEI", "del-2"))
        .await
        .json()
        .await
        .unwrap();
    let answer = client()
        .delete(format!(
            "{base}/api/v2/accounts/{}",
            other["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let gone: Value = answer.json().await.unwrap();
    assert_eq!(gone["status"], "INACTIVE");
}
