//! Cashy's documented refusals, the duplicate `mchOrderNo` and the public-notifyUrl switch.

use giro_sandbox::cashy::cashy_sign;
use serde_json::Value;

use crate::cashy::{call, co_order, named, tz_order};
use crate::common::*;

fn msg(answer: &Value) -> &str {
    answer["msg"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn every_documented_refusal() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let url = "http://127.0.0.1:9/cb";
    let http = client();
    let ok = co_order("R-1", "500000", url);

    let get = http
        .get(format!("{base}/api/payOut"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(msg(&get), "RequestMethod_not_post");
    let plain = http
        .post(format!("{base}/api/payOut"))
        .header("content-type", "text/plain")
        .header("MerchantId", CO_MERCHANT)
        .header("Sign", cashy_sign(ok.as_bytes(), CO_KEY))
        .body(ok.clone())
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(msg(&plain), "RequestContentType_not_json");
    let headers = |merchant: Option<&str>, sign: &str, body: &str| {
        let mut request = http
            .post(format!("{base}/api/payOut"))
            .header("content-type", "application/json")
            .header("Sign", sign)
            .body(body.to_owned());
        if let Some(merchant) = merchant {
            request = request.header("MerchantId", merchant);
        }
        request
    };
    let answer = |r: reqwest::RequestBuilder| async move {
        r.send().await.unwrap().json::<Value>().await.unwrap()
    };
    let sign = cashy_sign(ok.as_bytes(), CO_KEY);
    assert_eq!(
        msg(&answer(headers(None, &sign, &ok)).await),
        "MerchantId_is_null"
    );
    assert_eq!(
        msg(&answer(headers(Some("abc"), &sign, &ok)).await),
        "MerchantId_not_Number"
    );
    assert_eq!(
        msg(&answer(headers(Some("999"), &sign, &ok)).await),
        "MerchantId_is_error"
    );
    assert_eq!(
        msg(&answer(headers(Some(CO_MERCHANT), &sign, "")).await),
        "RequestBody_is_null"
    );
    assert_eq!(
        msg(&answer(headers(Some(CO_MERCHANT), "BAD", &ok)).await),
        "Sign_verify_error"
    );
    let lower = sign.to_lowercase();
    assert_eq!(
        msg(&answer(headers(Some(CO_MERCHANT), &lower, &ok)).await),
        "Sign_verify_error",
        "Sign is uppercase hex, checked exactly"
    );
    let broken = r#"{"amount": 1,"#;
    assert_eq!(
        msg(&call(&base, "/api/payOut", CO_MERCHANT, CO_KEY, broken).await),
        "Params_jsonFormat_error"
    );
    assert_eq!(
        msg(&call(&base, "/api/payOut", CO_MERCHANT, CO_KEY, "[1,2]").await),
        "Params_jsonFormat_error"
    );

    let co = |mch: &str, amount: &str| co_order(mch, amount, url);
    for (body, expected) in [
        (co("A-1", "9999"), "Params_amount_error"),
        (co("A-2", "5000000.01"), "Params_amount_error"),
        (co("A-3", "10000.123"), "Params_amount_error"),
        (co("A-4", "\"abc\""), "Params_amount_error"),
        (co("A-5", "[1]"), "Params_amount_error"),
        (
            co("A-6", "500000").replace(r#""bankId":20"#, r#""bankId":999"#),
            "Params_bankId_error",
        ),
        (
            co("A-7", "500000").replace(r#""idType":"CC""#, r#""idType":"XX""#),
            "Params_idType_error",
        ),
        (
            co("A-8", "500000").replace(r#""idType":"CC""#, r#""idType":6"#),
            "Params_idType_error",
        ),
        (
            co("A-9", "500000").replace(r#""accountType":1"#, r#""accountType":2"#),
            "Params_accountType_error",
        ),
        (
            co("A-10", "500000").replace("Maria Garcia", "Maria Garcia Maria Garcia Maria Garcia"),
            "Params_accountName_error",
        ),
        (
            co("A-11", "500000").replace("payout test", "pago ñandú"),
            "Params_remark_error",
        ),
        (
            co("A-12", "500000").replace(r#","remark":"payout test""#, ""),
            "Params_remark_Required",
        ),
        (
            co("A-13", "500000").replace(r#""currency":"COP""#, r#""currency":"USD""#),
            "Params_currency_error",
        ),
        (
            co("A-14", "500000").replace(r#""idCard":"12345678","#, ""),
            "Params_idCard_Required",
        ),
        (
            co("A-15", "500000").replace(&named(url), "ftp://x.example.com/cb"),
            "Params_notifyUrl_error",
        ),
        (
            co("A-16-THIS-ORDER-NUMBER-IS-WAY-TOO-LONG", "500000"),
            "Params_mchOrderNo_error",
        ),
        (
            co("A-17", "500000").replace(r#""nonceStr":"1628381288","#, ""),
            "Params_nonceStr_Required",
        ),
    ] {
        let answer = call(&base, "/api/payOut", CO_MERCHANT, CO_KEY, &body).await;
        assert_eq!(msg(&answer), expected, "{body}");
        assert_ne!(answer["code"], 200);
    }
    // Both spellings of idType are accepted.
    let numeric = co("ID-NUM", "500000").replace(r#""idType":"CC""#, r#""idType":3"#);
    assert_eq!(
        call(&base, "/api/payOut", CO_MERCHANT, CO_KEY, &numeric).await["code"],
        200
    );
    // Amount as a string is read too, 2 decimals are fine.
    assert_eq!(
        call(
            &base,
            "/api/payOut",
            CO_MERCHANT,
            CO_KEY,
            &co("AMT-STR", "\"10000.50\"")
        )
        .await["code"],
        200
    );

    let tz = |mch: &str, amount: &str| tz_order(mch, amount, url);
    for (body, expected) in [
        (tz("T-1", "499"), "Params_amount_error"),
        (tz("T-2", "3000001"), "Params_amount_error"),
        (tz("T-3", "30000.5"), "Params_amount_error"),
        (
            tz("T-4", "30000").replace(r#""accountType":"1""#, r#""accountType":4"#),
            "Params_accountType_error",
        ),
        (
            tz("T-5", "30000").replace(r#""currency":"TZS""#, r#""currency":"COP""#),
            "Params_currency_error",
        ),
    ] {
        assert_eq!(
            msg(&call(&base, "/api/payOut", TZ_MERCHANT, TZ_KEY, &body).await),
            expected,
            "{body}"
        );
    }
    // idType/idCard are optional in Tanzania; a 64-character name is allowed.
    let minimal = tz("T-OK", "30000")
        .replace(r#""idType":"1","idCard":"19870331141130000329","#, "")
        .replace("\"jack\"", &format!("\"{}\"", "j".repeat(64)));
    assert_eq!(
        call(&base, "/api/payOut", TZ_MERCHANT, TZ_KEY, &minimal).await["code"],
        200
    );
}

#[tokio::test]
async fn account_name_limits_are_32_in_colombia_and_64_in_tanzania() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let url = "http://127.0.0.1:9/cb";
    let named = |body: String, from: &str, length: usize| {
        body.replace(from, &format!("\"{}\"", "n".repeat(length)))
    };
    for (length, accepted) in [(32, true), (33, false)] {
        let body = named(
            co_order(&format!("NAME-CO-{length}"), "500000", url),
            "\"Maria Garcia\"",
            length,
        );
        let answer = call(&base, "/api/payOut", CO_MERCHANT, CO_KEY, &body).await;
        if accepted {
            assert_eq!(answer["code"], 200, "CO name of {length}: {answer}");
        } else {
            assert_eq!(answer["code"], 400, "CO name of {length}: {answer}");
            assert_eq!(msg(&answer), "Params_accountName_error");
        }
    }
    for (length, accepted) in [(64, true), (65, false)] {
        let body = named(
            tz_order(&format!("NAME-TZ-{length}"), "30000", url),
            "\"jack\"",
            length,
        );
        let answer = call(&base, "/api/payOut", TZ_MERCHANT, TZ_KEY, &body).await;
        if accepted {
            assert_eq!(answer["code"], 200, "TZ name of {length}: {answer}");
        } else {
            assert_eq!(answer["code"], 400, "TZ name of {length}: {answer}");
            assert_eq!(msg(&answer), "Params_accountName_error");
        }
    }
    // A Colombian name of 33 is fine in Tanzania: the limit is per country.
    let body = named(tz_order("NAME-TZ-33", "30000", url), "\"jack\"", 33);
    assert_eq!(
        call(&base, "/api/payOut", TZ_MERCHANT, TZ_KEY, &body).await["code"],
        200
    );
    // Only the successful ones became orders.
    let orders = sandbox_get(&base, "/_sandbox/orders?provider=cashy-co").await;
    let handles: Vec<&str> = orders
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles, ["NAME-CO-32"]);
}

#[tokio::test]
async fn a_repeated_mch_order_no_is_refused_and_counted() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let body = co_order("DUP-1", "500000", "http://127.0.0.1:9/cb");
    assert_eq!(
        call(&base, "/api/payOut", CO_MERCHANT, CO_KEY, &body).await["code"],
        200
    );
    let again = call(&base, "/api/payOut", CO_MERCHANT, CO_KEY, &body).await;
    assert_eq!(msg(&again), "Params_mchOrderNo_error");
    let handles = sandbox_get(&base, "/_sandbox/handles?provider=cashy-co").await;
    let handle = handles
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["handle"] == "DUP-1")
        .unwrap();
    assert_eq!(handle["submissions"], 2);
    assert_eq!(handle["refused"], 1);
    assert_eq!(handle["orders"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn notify_url_on_an_ip_address_or_not_http_is_refused() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let public = "https://merchant.example.com/cb";
    for (n, url) in [
        "http://127.0.0.1:9/cb",
        "http://[::1]:9/cb",
        "https://203.0.113.7/cb",
        "http://localhost:9/cb",
        "ftp://merchant.example.com/cb",
    ]
    .into_iter()
    .enumerate()
    {
        let body = co_order(&format!("P-{n}"), "500000", public).replace(public, url);
        let answer = call(&base, "/api/payOut", CO_MERCHANT, CO_KEY, &body).await;
        assert_eq!(msg(&answer), "Params_notifyUrl_error", "{url}");
        let body = tz_order(&format!("PT-{n}"), "30000", public).replace(public, url);
        let answer = call(&base, "/api/payOut", TZ_MERCHANT, TZ_KEY, &body).await;
        assert_eq!(msg(&answer), "Params_notifyUrl_error", "{url}");
    }
    for (n, url) in [public, "http://giro.localhost:8081/webhooks/cashy"]
        .into_iter()
        .enumerate()
    {
        let body = co_order(&format!("PN-{n}"), "500000", url);
        let answer = call(&base, "/api/payOut", CO_MERCHANT, CO_KEY, &body).await;
        assert_eq!(answer["code"], 200, "{url}: {answer}");
    }
}

#[tokio::test]
async fn tanzanian_bank_id_is_optional_and_checked_when_given() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let url = "https://merchant.example.com/cb";
    // Seed 004's example: accountType 1 (Tigo) with bankId 2, Tigo's in the list.
    let listed = call(
        &base,
        "/api/bankListQuery",
        TZ_MERCHANT,
        TZ_KEY,
        r#"{"nonceStr":"1"}"#,
    )
    .await;
    let tigo = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bankCode"] == "TIGO")
        .unwrap()["bankId"]
        .clone();
    assert_eq!(tigo, 2);
    let with = call(
        &base,
        "/api/payOut",
        TZ_MERCHANT,
        TZ_KEY,
        &tz_order("B-1", "30000", url),
    )
    .await;
    assert_eq!(with["code"], 200, "{with}");
    let without = tz_order("B-2", "30000", url).replace(r#""bankId":2,"#, "");
    let without = call(&base, "/api/payOut", TZ_MERCHANT, TZ_KEY, &without).await;
    assert_eq!(without["code"], 200, "{without}");
    for (mch, bank) in [
        ("B-3", r#""bankId":4,"#),
        ("B-4", r#""bankId":99,"#),
        ("B-5", r#""bankId":"x","#),
    ] {
        let body = tz_order(mch, "30000", url).replace(r#""bankId":2,"#, bank);
        let answer = call(&base, "/api/payOut", TZ_MERCHANT, TZ_KEY, &body).await;
        assert_eq!(msg(&answer), "Params_bankId_error", "{bank}");
    }
}
