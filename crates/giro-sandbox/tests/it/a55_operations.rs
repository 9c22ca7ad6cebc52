//! A55 refusals and truncation, refund/cancel and their conflicts, amount scenarios, webhook retries
//! and the legacy webhook form.

use std::time::Duration;

use serde_json::{Value, json};

use crate::a55::{CHARGE, charge, post, statuses_for, token};
use crate::common::*;

#[tokio::test]
async fn refusals_and_truncation() {
    let sandbox = start(config()).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let code = |answer: Value| {
        answer["message"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let bad_method = post(
        &base,
        &token,
        CHARGE,
        &charge("cheque", "BRL", json!(10), "http://127.0.0.1:9/"),
    )
    .await;
    assert_eq!(bad_method.status(), 400);
    assert_eq!(
        code(bad_method.json().await.unwrap()),
        "INVALID_TYPE_CHARGE"
    );
    let mut no_wallet = charge("pix", "BRL", json!(10), "http://127.0.0.1:9/");
    no_wallet["wallet_uuid"] = json!("00000000-0000-0000-0000-000000000000");
    let answer = post(&base, &token, CHARGE, &no_wallet).await;
    assert_eq!(answer.status(), 404);
    assert_eq!(
        code(answer.json().await.unwrap()),
        "errors.wallet.not_found"
    );
    let mut missing = charge("pix", "BRL", json!(10), "http://127.0.0.1:9/");
    missing["payer_address"]
        .as_object_mut()
        .unwrap()
        .remove("postal_code");
    let answer: Value = post(&base, &token, CHARGE, &missing)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["message"][0]["source"], "payer_address.postal_code");
    let three_decimals = post(
        &base,
        &token,
        CHARGE,
        &charge("pix", "BRL", json!(10.005), "http://127.0.0.1:9/"),
    )
    .await;
    assert_eq!(three_decimals.status(), 400);
    let broken = client()
        .post(format!("{base}{CHARGE}"))
        .bearer_auth(&token)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);

    let mut cop = charge("pse", "COP", json!(50000.50), "http://127.0.0.1:9/");
    cop["reference_external_id"] = json!("order-cop-1");
    let created: Value = post(&base, &token, CHARGE, &cop)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        created["local_currency"], 50000,
        "A55 truncates fractional COP"
    );
    let report = sandbox_get(
        &base,
        &format!(
            "/_sandbox/orders/a55/{}",
            created["charge_uuid"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        report["truncated"],
        json!({"sent": "50000.5", "kept": "50000"})
    );
    let summary = sandbox_get(&base, "/_sandbox/summary").await;
    assert_eq!(summary["providers"]["a55"]["truncations"], 1);
}

#[tokio::test]
async fn refund_cancel_and_their_conflicts() {
    let sandbox = start(config()).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    let paid: Value = post(
        &base,
        &token,
        CHARGE,
        &charge("pix", "BRL", json!(100), &receiver.url),
    )
    .await
    .json()
    .await
    .unwrap();
    let paid_uuid = paid["charge_uuid"].as_str().unwrap();
    let stuck: Value = post(
        &base,
        &token,
        CHARGE,
        &charge("pix", "BRL", json!(119), &receiver.url),
    )
    .await
    .json()
    .await
    .unwrap();
    let stuck_uuid = stuck["charge_uuid"].as_str().unwrap();
    let failed: Value = post(
        &base,
        &token,
        CHARGE,
        &charge("pix", "BRL", json!(111), &receiver.url),
    )
    .await
    .json()
    .await
    .unwrap();
    let failed_uuid = failed["charge_uuid"].as_str().unwrap();
    statuses_for(&receiver, paid_uuid, "paid").await;
    statuses_for(&receiver, failed_uuid, "error").await;

    let op = |uuid: &str, what: &str| format!("{CHARGE}{uuid}/{what}/{WALLET}/");
    let refund_early = post(&base, &token, &op(stuck_uuid, "refund"), &json!({})).await;
    assert_eq!(refund_early.status(), 400);
    let cancelled = post(&base, &token, &op(stuck_uuid, "cancel"), &json!({})).await;
    assert_eq!(
        cancelled.json::<Value>().await.unwrap()["status"],
        "canceled"
    );
    assert_eq!(
        post(&base, &token, &op(stuck_uuid, "cancel"), &json!({}))
            .await
            .status(),
        409,
        "already canceled"
    );
    assert_eq!(
        post(&base, &token, &op(paid_uuid, "cancel"), &json!({}))
            .await
            .status(),
        409,
        "settled"
    );
    assert_eq!(
        post(&base, &token, &op(failed_uuid, "cancel"), &json!({}))
            .await
            .status(),
        400,
        "not cancellable"
    );
    let too_much = post(
        &base,
        &token,
        &op(paid_uuid, "refund"),
        &json!({"amount": 1000}),
    )
    .await;
    assert_eq!(too_much.status(), 400);
    let refunded = post(
        &base,
        &token,
        &op(paid_uuid, "refund"),
        &json!({"amount": 100, "reason": "customer"}),
    )
    .await;
    assert_eq!(
        refunded.json::<Value>().await.unwrap()["status"],
        "refunded"
    );
    let wrong_wallet = post(
        &base,
        &token,
        &format!("{CHARGE}{paid_uuid}/refund/other-wallet/"),
        &json!({}),
    )
    .await;
    assert_eq!(wrong_wallet.status(), 404);
    statuses_for(&receiver, paid_uuid, "refunded").await;
    statuses_for(&receiver, stuck_uuid, "canceled").await;
}

#[tokio::test]
async fn amount_scenarios_for_charges() {
    let sandbox = start(config()).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    let mut uuids = Vec::new();
    for value in [111, 114, 116, 117] {
        let created: Value = post(
            &base,
            &token,
            CHARGE,
            &charge("pix", "BRL", json!(value), &receiver.url),
        )
        .await
        .json()
        .await
        .unwrap();
        uuids.push(created["charge_uuid"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        statuses_for(&receiver, &uuids[0], "error").await,
        ["issued", "pending", "error"]
    );
    assert_eq!(
        statuses_for(&receiver, &uuids[1], "refunded").await,
        ["issued", "pending", "confirmed", "paid", "refunded"]
    );
    assert_eq!(
        statuses_for(&receiver, &uuids[2], "canceled").await,
        ["issued", "pending", "canceled"]
    );
    assert_eq!(
        statuses_for(&receiver, &uuids[3], "refunded")
            .await
            .last()
            .unwrap(),
        "refunded"
    );
}

#[tokio::test]
async fn webhook_retries_5xx_but_not_4xx_and_legacy_form() {
    let sandbox = start(config()).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let gone = Receiver::start(410, "gone").await;
    let flaky = Receiver::start(503, "busy").await;
    let mut stuck = charge("pix", "BRL", json!(119), &gone.url);
    let created: Value = post(&base, &token, CHARGE, &stuck)
        .await
        .json()
        .await
        .unwrap();
    let gone_uuid = created["charge_uuid"].as_str().unwrap().to_owned();
    stuck["webhook_url"] = json!(flaky.url);
    post(&base, &token, CHARGE, &stuck).await;
    flaky.wait_for(3, 30).await;
    // A55 waits 1 and 5 (scaled) minutes between its first attempts; 4xx ends the delivery.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = sandbox_get(&base, &format!("/_sandbox/orders/a55/{gone_uuid}")).await;
    let attempts: Vec<&Value> = report["callbacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["announces"] == "issued")
        .collect();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["outcome"], "abandoned");

    let mut config = config();
    let legacy = Receiver::start(200, "ok").await;
    if let Some(a55) = config.get_mut::<giro_sandbox::a55::A55Config>() {
        a55.legacy_webhooks = true;
        a55.webhook_url = Some(legacy.url.clone());
    }
    let sandbox = start(config).await;
    let base = sandbox.a55_url().unwrap();
    let token = crate::a55::token(&base).await;
    let mut body = charge("pix", "BRL", json!(10), "http://unused.example.com/");
    body.as_object_mut().unwrap().remove("webhook_url");
    post(&base, &token, CHARGE, &body).await;
    let hit = legacy.wait_for(1, 30).await.remove(0);
    let keys: Vec<String> = hit.json().as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    for key in [
        "charge_uuid",
        "status",
        "transaction_reference",
        "subscription_uuid",
        "payment_link_uuid",
    ] {
        assert!(keys.contains(&key.to_owned()));
    }
    assert!(hit.header("x-webhook-signature").is_empty());
}

/// `installment_value` is the charge's total (seed 003's example: 150.00 in 3 → `local_currency`
/// 150.00 and three installments of 50.00), so a refund is bounded by it, not by value × count.
#[tokio::test]
async fn installment_value_is_the_total_and_bounds_refunds() {
    let sandbox = start(config()).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    let mut body = charge("pix", "BRL", json!(150.00), &receiver.url);
    body["installment_count"] = json!(3);
    let created: Value = post(&base, &token, CHARGE, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["local_currency"], json!(150.00), "{created}");
    let parts: Vec<&Value> = created["installments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["local_currency"])
        .collect();
    assert_eq!(parts, vec![&json!(50.00); 3], "{created}");
    let uuid = created["charge_uuid"].as_str().unwrap();
    statuses_for(&receiver, uuid, "paid").await;

    let refund = format!("{CHARGE}{uuid}/refund/{WALLET}/");
    for above in [json!(150.01), json!(450.00)] {
        let answer = post(&base, &token, &refund, &json!({ "amount": above })).await;
        assert_eq!(answer.status(), 400, "{above}");
        let answer: Value = answer.json().await.unwrap();
        assert_eq!(answer["message"][0]["source"], "amount", "{answer}");
    }
    let refunded: Value = post(&base, &token, &refund, &json!({"amount": 150.00}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(refunded["status"], "refunded", "{refunded}");
    assert_eq!(refunded["local_currency"], json!(150.00), "{refunded}");

    // A total that does not split evenly (Giro never sends one): the remainder on the first.
    body["installment_value"] = json!(100.00);
    let uneven: Value = post(&base, &token, CHARGE, &body)
        .await
        .json()
        .await
        .unwrap();
    let parts: Vec<&Value> = uneven["installments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["local_currency"])
        .collect();
    assert_eq!(
        parts,
        vec![&json!(33.34), &json!(33.33), &json!(33.33)],
        "{uneven}"
    );
}
