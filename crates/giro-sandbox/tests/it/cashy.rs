//! Cashy over HTTP: signed calls, per-country rules, the documented refusals, statuses, balances.

use giro_sandbox::cashy::cashy_sign;
use serde_json::{Value, json};

use crate::common::*;

/// POSTs `body` (exact bytes) signed for `merchant`.
pub async fn call(base: &str, path: &str, merchant: &str, key: &str, body: &str) -> Value {
    client()
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .header("MerchantId", merchant)
        .header("Sign", cashy_sign(body.as_bytes(), key))
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `url` (a test receiver's `http://127.0.0.1:<port>`) on the name Cashy wants,
/// `http://giro.localhost:<port>`, which the sandbox resolves to the loopback address by default.
pub fn named(url: &str) -> String {
    url.replace("://127.0.0.1:", "://giro.localhost:")
}

/// A Colombian `payOut` body calling back `notify_url` (on its name, see [`named`]).
pub fn co_order(mch_order_no: &str, amount: &str, notify_url: &str) -> String {
    let notify_url = named(notify_url);
    format!(
        r#"{{"accountName":"Maria Garcia","accountNo":"123456789","accountType":1,"currency":"COP","amount":{amount},"bankId":20,"mchOrderNo":"{mch_order_no}","notifyUrl":"{notify_url}","nonceStr":"1628381288","idType":"CC","idCard":"12345678","phone":"3001234567","email":"m@example.com","remark":"payout test"}}"#
    )
}

/// Seed 004's own example body (with its `bankId`), calling back `notify_url` (on its name).
pub fn tz_order(mch_order_no: &str, amount: &str, notify_url: &str) -> String {
    let notify_url = named(notify_url);
    format!(
        r#"{{"nonceStr":"xxxxxxxx","accountName":"jack","accountNo":"713512345","accountType":"1","currency":"TZS","amount":{amount},"bankId":2,"mchOrderNo":"{mch_order_no}","notifyUrl":"{notify_url}","idType":"1","idCard":"19870331141130000329","phone":"713512345","email":"jack@gmail.com","remark":"xxxxx"}}"#
    )
}

fn msg(answer: &Value) -> &str {
    answer["msg"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn colombian_payout_succeeds_with_a_signed_callback_and_moves_the_balance() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let receiver = Receiver::start(200, "SUCCESS").await;
    let before = call(
        &base,
        "/api/getBalance",
        CO_MERCHANT,
        CO_KEY,
        r#"{"nonceStr":"1"}"#,
    )
    .await;
    let created = call(
        &base,
        "/api/payOut",
        CO_MERCHANT,
        CO_KEY,
        &co_order("CO-OK-1", "500000", &receiver.url),
    )
    .await;
    assert_eq!(created["code"], 200, "{created}");
    assert_eq!(created["data"]["orderStatus"], "PROCESSING");
    assert_eq!(created["data"]["mchOrderNo"], "CO-OK-1");
    let order_no = created["data"]["orderNo"].as_str().unwrap().to_owned();
    assert!(order_no.starts_with("PAYOUT"));

    let hit = receiver.wait_for(1, 30).await.remove(0);
    assert_eq!(hit.header("merchantid"), CO_MERCHANT);
    assert_eq!(
        hit.header("sign"),
        cashy_sign(&hit.body, CO_KEY),
        "callback is signed like requests"
    );
    let body = hit.json();
    assert_eq!(body["orderStatus"], "SUCCESS");
    assert_eq!(body["orderNo"], order_no.as_str());
    assert_eq!(body["payType"], "11");
    assert!(body["nonceStr"].is_string());
    assert!(
        body["completionTime"].as_str().unwrap().len() == 19,
        "yyyy-MM-dd HH:mm:ss"
    );
    assert!(!body["fee"].is_null(), "fee is set on success");

    let query = call(
        &base,
        "/api/payOutQuery",
        CO_MERCHANT,
        CO_KEY,
        &format!(r#"{{"orderNo":"{order_no}","nonceStr":"2"}}"#),
    )
    .await;
    assert_eq!(query["data"]["orderStatus"], "SUCCESS");
    assert_eq!(query["data"]["resultDesc"], "SUCCESS");
    let by_mch = call(
        &base,
        "/api/payOutQuery",
        CO_MERCHANT,
        CO_KEY,
        r#"{"mchOrderNo":"CO-OK-1","nonceStr":"3"}"#,
    )
    .await;
    assert_eq!(by_mch["data"]["orderNo"], order_no.as_str());

    let after = call(
        &base,
        "/api/getBalance",
        CO_MERCHANT,
        CO_KEY,
        r#"{"nonceStr":"4"}"#,
    )
    .await;
    let number = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string())
            .parse::<f64>()
            .unwrap()
    };
    let spent = number(&before["data"]["balance"]) - number(&after["data"]["balance"]);
    assert_eq!(spent, 505_000.0, "amount plus 1 % fee");
    assert_eq!(number(&after["data"]["unBalance"]), 0.0);
    assert_eq!(after["data"]["mchId"], CO_MERCHANT);
}

#[tokio::test]
async fn tanzanian_payout_uses_whole_shillings_and_its_own_merchant() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let receiver = Receiver::start(200, r#"{"status":"SUCCESS"}"#).await;
    let created = call(
        &base,
        "/api/payOut",
        TZ_MERCHANT,
        TZ_KEY,
        &tz_order("TZ-OK-1", "60000", &receiver.url),
    )
    .await;
    assert_eq!(created["code"], 200, "{created}");
    let hit = receiver.wait_for(1, 30).await.remove(0);
    assert_eq!(hit.header("sign"), cashy_sign(&hit.body, TZ_KEY));
    assert_eq!(hit.json()["orderStatus"], "SUCCESS");
    // The TZ fee is 5,000 + 0.25 %: 5,150 on 60,000, as in seed 004.
    let fee = &hit.json()["fee"];
    let fee = fee
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| fee.to_string());
    assert!(fee.starts_with("5150"), "{fee}");
    // A TZ key does not sign for the CO merchant.
    let wrong = call(
        &base,
        "/api/payOut",
        CO_MERCHANT,
        TZ_KEY,
        &co_order("CO-X", "500000", &receiver.url),
    )
    .await;
    assert_eq!(msg(&wrong), "Sign_verify_error");
}

#[tokio::test]
async fn failures_cancels_and_stuck_orders_by_amount() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let receiver = Receiver::start(200, "SUCCESS").await;
    for (mch, amount) in [
        ("F-11", "10011"),
        ("F-12", "10012"),
        ("F-13", "10013"),
        ("F-14", "10014"),
        ("F-15", "10015"),
        ("C-16", "10016"),
        ("S-19", "10019"),
    ] {
        let created = call(
            &base,
            "/api/payOut",
            CO_MERCHANT,
            CO_KEY,
            &co_order(mch, amount, &receiver.url),
        )
        .await;
        assert_eq!(created["code"], 200);
    }
    let hits = receiver.wait_for(6, 30).await;
    let by = |mch: &str| {
        hits.iter()
            .map(Hit::json)
            .find(|b| b["mchOrderNo"] == mch)
            .unwrap()
    };
    for (mch, desc) in [
        ("F-11", "ACCOUNT NOT EXITS"),
        ("F-12", "GATEWAY_TIMEOUT"),
        ("F-13", "AMOUNT_ERROR"),
        ("F-14", "ACCOUNT_AND_MNO_NOT_MATCH"),
        ("F-15", "PAYMENT_OFFSET"),
    ] {
        let body = by(mch);
        assert_eq!(body["orderStatus"], "FAIL", "{mch}");
        assert_eq!(body["resultDesc"], desc, "{mch}");
        assert!(
            body["fee"].is_null() && body["completionTime"].is_null(),
            "no fee or time on failure"
        );
    }
    assert_eq!(by("C-16")["orderStatus"], "CANCEL");
    let stuck = call(
        &base,
        "/api/payOutQuery",
        CO_MERCHANT,
        CO_KEY,
        r#"{"mchOrderNo":"S-19","nonceStr":"1"}"#,
    )
    .await;
    assert_eq!(stuck["data"]["orderStatus"], "PAYING");
    assert!(hits.iter().all(|h| h.json()["mchOrderNo"] != "S-19"));
    let missing = call(
        &base,
        "/api/payOutQuery",
        CO_MERCHANT,
        CO_KEY,
        r#"{"mchOrderNo":"NOPE","nonceStr":"1"}"#,
    )
    .await;
    assert_eq!(msg(&missing), "Params_mchOrderNo_error");
    let missing = call(
        &base,
        "/api/payOutQuery",
        CO_MERCHANT,
        CO_KEY,
        r#"{"orderNo":"PAYOUT1","nonceStr":"1"}"#,
    )
    .await;
    assert_eq!(msg(&missing), "Params_orderNo_error");
    let neither = call(
        &base,
        "/api/payOutQuery",
        CO_MERCHANT,
        CO_KEY,
        r#"{"nonceStr":"1"}"#,
    )
    .await;
    assert_eq!(msg(&neither), "Params_orderNo_Required");
}

#[tokio::test]
async fn reversals_arrive_as_later_callbacks() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let receiver = Receiver::start(200, "SUCCESS").await;
    for (mch, amount) in [("REV-17", "10017"), ("REV-18", "10018")] {
        call(
            &base,
            "/api/payOut",
            CO_MERCHANT,
            CO_KEY,
            &co_order(mch, amount, &receiver.url),
        )
        .await;
    }
    let hits = receiver.wait_for(4, 30).await;
    let statuses = |mch: &str| -> Vec<String> {
        hits.iter()
            .map(Hit::json)
            .filter(|b| b["mchOrderNo"] == mch)
            .map(|b| b["orderStatus"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(statuses("REV-17"), ["SUCCESS", "FAIL"]);
    assert_eq!(statuses("REV-18"), ["FAIL", "SUCCESS"]);
    let query = call(
        &base,
        "/api/payOutQuery",
        CO_MERCHANT,
        CO_KEY,
        r#"{"mchOrderNo":"REV-17","nonceStr":"1"}"#,
    )
    .await;
    assert_eq!(query["data"]["orderStatus"], "FAIL");
    assert_eq!(query["data"]["resultDesc"], "PAYMENT_OFFSET");
}

#[tokio::test]
async fn amounts_come_as_numbers_and_as_strings() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    call(
        &base,
        "/api/payOut",
        TZ_MERCHANT,
        TZ_KEY,
        &tz_order("AS-1", "60000", "http://127.0.0.1:9/cb"),
    )
    .await;
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..4 {
        let query = call(
            &base,
            "/api/payOutQuery",
            TZ_MERCHANT,
            TZ_KEY,
            r#"{"mchOrderNo":"AS-1","nonceStr":"1"}"#,
        )
        .await;
        let amount = &query["data"]["amount"];
        kinds.insert(if amount.is_string() {
            "string"
        } else if amount.is_number() {
            "number"
        } else {
            "other"
        });
    }
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["number", "string"]);
}

#[tokio::test]
async fn bank_lists_per_country() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let co = call(
        &base,
        "/api/bankListQuery",
        CO_MERCHANT,
        CO_KEY,
        r#"{"nonceStr":"1"}"#,
    )
    .await;
    let banks = co["data"].as_array().unwrap();
    for (id, name) in [(20, "BANCOLOMBIA"), (29, "DAVIPLATA"), (33, "NEQUI")] {
        assert!(
            banks
                .iter()
                .any(|b| b["bankId"] == id && b["bankName"] == name),
            "{id}"
        );
    }
    let tz = call(
        &base,
        "/api/bankListQuery",
        TZ_MERCHANT,
        TZ_KEY,
        r#"{"nonceStr":"1"}"#,
    )
    .await;
    assert_eq!(tz["data"].as_array().unwrap().len(), 4);
    assert_eq!(json!(tz["data"][0]["bankCode"]), json!("AIRTEL"));
}
