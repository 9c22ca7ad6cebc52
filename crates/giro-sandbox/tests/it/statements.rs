//! Reconciliation inputs: the `…21` scenario (the provider pays 1 % less and says so everywhere)
//! and `GET /_sandbox/<simulator>/statement?date=` (one CSV line per payout settled that day).

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use giro_sandbox::{Clock, STATEMENT_HEADER, Sandbox};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::cashy::{call, co_order, tz_order};
use crate::common::*;
use crate::killb::{create, get, login, pse};

const DAY: &str = "2030-05-17";
const DAY_BEFORE: &str = "2030-05-16";

/// Every simulator, on a clock that starts at 10:00 UTC on [`DAY`].
async fn start_on_day() -> Sandbox {
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2030, 5, 17, 10, 0, 0)
        .single()
        .expect("a valid instant");
    Sandbox::start_with_clock(config(), Clock::starting_at(start))
        .await
        .expect("sandbox starts")
}

/// A statement's HTTP status, `Content-Type` and body.
async fn statement(base: &str, path: &str) -> (u16, String, String) {
    let answer = client().get(format!("{base}{path}")).send().await.unwrap();
    let status = answer.status().as_u16();
    let content_type = answer
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, answer.text().await.unwrap())
}

/// The statement's lines as field lists (the header checked and left out). None of the fields
/// these tests produce needs quoting.
fn lines(csv: &str) -> Vec<Vec<String>> {
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some(STATEMENT_HEADER), "{csv}");
    rows.map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// The line whose `reference` is `reference`.
fn line<'a>(rows: &'a [Vec<String>], reference: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[2] == reference)
        .unwrap_or_else(|| panic!("no line for {reference} in {rows:?}"))
}

/// A JSON amount written as a number or a string, exactly.
fn decimal(value: &Value) -> Decimal {
    let text = value
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| value.to_string());
    Decimal::from_str(&text).unwrap_or_else(|_| panic!("{value} is not a decimal"))
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

#[tokio::test]
async fn killb_pays_1_percent_less_on_21_and_lists_settled_payouts_on_its_statement() {
    let sandbox = start_on_day().await;
    let base = sandbox.killb_url().unwrap();
    let token = login(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    let registered = client()
        .post(format!("{base}/api/v2/webhooks"))
        .bearer_auth(&token)
        .json(&json!({"url": receiver.url, "secret": "s", "events": ["PAYOUT"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);

    let mut ids = Vec::new();
    for (reference, amount) in [
        ("short", json!(500_021)),
        ("ok", json!(500_000)),
        ("fail", json!(1011)),
        ("reversed", json!(1017)),
        ("stuck", json!(1019)),
    ] {
        let answer = create(&base, &token, reference, &pse(reference, amount)).await;
        assert_eq!(answer.status(), 201);
        let answer: Value = answer.json().await.unwrap();
        if reference == "short" {
            assert_eq!(decimal(&answer["amount"]), dec("495020"), "{answer}");
        }
        ids.push((reference, answer["id"].as_str().unwrap().to_owned()));
    }

    let finals = [
        ("short", "COMPLETED"),
        ("ok", "COMPLETED"),
        ("fail", "FAILED"),
        ("reversed", "REFUNDED"),
    ];
    let hits = eventually(30, "final webhooks", || async {
        let hits = receiver.hits();
        let has = |ext: &str, status: &str| {
            hits.iter().any(|h| {
                h.json()["data"]["externalId"] == ext && h.json()["data"]["status"] == status
            })
        };
        finals
            .iter()
            .all(|(ext, status)| has(ext, status))
            .then_some(hits)
    })
    .await;
    let short_hooks: Vec<Value> = hits
        .iter()
        .map(Hit::json)
        .filter(|h| h["data"]["externalId"] == "short")
        .collect();
    assert!(!short_hooks.is_empty());
    for hook in &short_hooks {
        assert_eq!(decimal(&hook["data"]["amount"]), dec("495020"), "{hook}");
    }
    let short_id = &ids[0].1;
    let fetched: Value = get(&base, &token, &format!("/api/v2/payouts/{short_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(decimal(&fetched["amount"]), dec("495020"));
    let listed: Value = get(&base, &token, "/api/v2/payouts?externalId=short")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(decimal(&listed["payouts"][0]["amount"]), dec("495020"));
    // Debited: what was paid on 21 (495020), the 500000 and the stuck 1019; the rest came back.
    let balances: Value = get(&base, &token, "/api/v2/customers/balances")
        .await
        .json()
        .await
        .unwrap();
    let prefund = balances
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["accountId"] == "prefund-cop-001")
        .unwrap();
    assert_eq!(decimal(&prefund["amount"]), dec("9003961.00"));

    // The journal keeps time by the same clock.
    let journal = sandbox_get(&base, "/_sandbox/orders?provider=killb&external_id=short").await;
    let history = journal[0]["history"].as_array().expect("a history");
    assert!(
        history
            .iter()
            .all(|change| change["at"].as_str().unwrap_or_default().starts_with(DAY)),
        "{journal}"
    );

    let (status, content_type, csv) =
        statement(&base, &format!("/_sandbox/killb/statement?date={DAY}")).await;
    assert_eq!(status, 200, "{csv}");
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let rows = lines(&csv);
    assert_eq!(rows.len(), 4, "the stuck payout is not on it: {csv}");
    for (reference, status, amount) in [
        ("short", "COMPLETED", "495020"),
        ("ok", "COMPLETED", "500000"),
        ("fail", "FAILED", "1011"),
        ("reversed", "REFUNDED", "1017"),
    ] {
        let row = line(&rows, reference);
        let id = &ids.iter().find(|(r, _)| *r == reference).unwrap().1;
        assert_eq!(row.len(), 10, "{row:?}");
        assert_eq!(row[0], DAY);
        assert_eq!(row[1], "killb");
        assert_eq!(&row[3], id);
        assert_eq!(row[4], status, "{row:?}");
        assert_eq!(row[5], amount, "{row:?}");
        assert_eq!(row[6], "COP");
        assert_eq!(row[7], "", "KillB charges no payout fee");
        let completed = DateTime::parse_from_rfc3339(&row[8]).expect("RFC 3339");
        assert_eq!(completed.date_naive(), NaiveDate::from_str(DAY).unwrap());
        assert_eq!(row[9], "");
    }
    let times: Vec<DateTime<Utc>> = rows
        .iter()
        .map(|r| DateTime::parse_from_rfc3339(&r[8]).unwrap().to_utc())
        .collect();
    assert!(times.is_sorted(), "ordered by time: {csv}");

    let (status, _, csv) = statement(
        &base,
        &format!("/_sandbox/killb/statement?date={DAY_BEFORE}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        csv,
        format!("{STATEMENT_HEADER}\n"),
        "a quiet day is the header only"
    );
}

#[tokio::test]
async fn cashy_pays_1_percent_less_on_21_and_lists_settled_orders_on_its_statements() {
    let sandbox = start_on_day().await;
    let base = sandbox.cashy_url().unwrap();
    let receiver = Receiver::start(200, "SUCCESS").await;
    let balance = |n: &'static str| {
        let base = base.clone();
        async move {
            let body = format!(r#"{{"nonceStr":"{n}"}}"#);
            call(&base, "/api/getBalance", CO_MERCHANT, CO_KEY, &body).await
        }
    };
    let before = balance("b1").await;
    let mut order_nos = Vec::new();
    for (reference, amount) in [
        ("CO-SHORT", "10021"),
        ("CO-OK", "500000"),
        ("CO-FAIL", "10011"),
        ("CO-REV", "10017"),
        ("CO-STUCK", "10019"),
    ] {
        let answer = call(
            &base,
            "/api/payOut",
            CO_MERCHANT,
            CO_KEY,
            &co_order(reference, amount, &receiver.url),
        )
        .await;
        assert_eq!(answer["code"], 200, "{answer}");
        if reference == "CO-SHORT" {
            assert_eq!(decimal(&answer["data"]["amount"]), dec("9920"), "{answer}");
        }
        order_nos.push((
            reference,
            answer["data"]["orderNo"].as_str().unwrap().to_owned(),
        ));
    }
    let tz = call(
        &base,
        "/api/payOut",
        TZ_MERCHANT,
        TZ_KEY,
        &tz_order("TZ-SHORT", "60021", &receiver.url),
    )
    .await;
    assert_eq!(tz["code"], 200, "{tz}");
    assert_eq!(decimal(&tz["data"]["amount"]), dec("59420"), "{tz}");

    let csv = eventually(30, "every final result on the statement", || async {
        let (_, _, csv) = statement(&base, &format!("/_sandbox/cashy/statement?date={DAY}")).await;
        let rows = lines(&csv);
        let has = |reference: &str, status: &str| {
            rows.iter().any(|r| r[2] == reference && r[4] == status)
        };
        (has("CO-SHORT", "SUCCESS")
            && has("CO-OK", "SUCCESS")
            && has("CO-FAIL", "FAIL")
            && has("CO-REV", "FAIL")
            && has("TZ-SHORT", "SUCCESS"))
        .then_some(csv)
    })
    .await;
    let rows = lines(&csv);
    assert_eq!(rows.len(), 5, "the stuck order is not on it: {csv}");
    for (reference, provider, status, amount, currency, fee) in [
        ("CO-SHORT", "cashy-co", "SUCCESS", "9920.00", "COP", "99.20"),
        (
            "CO-OK",
            "cashy-co",
            "SUCCESS",
            "500000.00",
            "COP",
            "5000.00",
        ),
        ("CO-FAIL", "cashy-co", "FAIL", "10011.00", "COP", ""),
        ("CO-REV", "cashy-co", "FAIL", "10017.00", "COP", ""),
        (
            "TZ-SHORT", "cashy-tz", "SUCCESS", "59420.00", "TZS", "5149.00",
        ),
    ] {
        let row = line(&rows, reference);
        assert_eq!(row.len(), 10, "{row:?}");
        assert_eq!(row[0], DAY);
        assert_eq!(row[1], provider, "{row:?}");
        assert!(row[3].starts_with("PAYOUT"), "{row:?}");
        assert_eq!(row[4], status, "{row:?}");
        assert_eq!(row[5], amount, "{row:?}");
        assert_eq!(row[6], currency);
        assert_eq!(row[7], fee, "{row:?}");
        if status == "SUCCESS" {
            assert!(
                row[8].starts_with(&format!("{DAY} ")),
                "completionTime: {row:?}"
            );
            assert_eq!(row[8].len(), 19, "yyyy-MM-dd HH:mm:ss: {row:?}");
        } else {
            let at = DateTime::parse_from_rfc3339(&row[8]).expect("RFC 3339");
            assert_eq!(at.date_naive(), NaiveDate::from_str(DAY).unwrap());
        }
        assert!(row[9].starts_with("CH"), "channelOrderNo: {row:?}");
    }
    let short_no = &order_nos[0].1;
    assert_eq!(&line(&rows, "CO-SHORT")[3], short_no);

    // The callback and the query say what was paid, and the fee follows it.
    let hit = receiver
        .hits()
        .into_iter()
        .map(|h| h.json())
        .find(|h| h["mchOrderNo"] == "CO-SHORT")
        .expect("a callback for CO-SHORT");
    assert_eq!(decimal(&hit["amount"]), dec("9920"), "{hit}");
    assert_eq!(decimal(&hit["fee"]), dec("99.20"), "{hit}");
    let query = call(
        &base,
        "/api/payOutQuery",
        CO_MERCHANT,
        CO_KEY,
        &format!(r#"{{"orderNo":"{short_no}","nonceStr":"q"}}"#),
    )
    .await;
    assert_eq!(decimal(&query["data"]["amount"]), dec("9920"), "{query}");
    assert_eq!(decimal(&query["data"]["fee"]), dec("99.20"), "{query}");

    // Gone from the balance: paid plus fee on successes; the stuck order is held; failures and
    // the reversal (fee included) came back.
    let after = balance("b2").await;
    let spent = decimal(&before["data"]["balance"]) - decimal(&after["data"]["balance"]);
    assert_eq!(
        spent,
        dec("9920") + dec("99.20") + dec("500000") + dec("5000") + dec("10019")
    );
    assert_eq!(decimal(&after["data"]["unBalance"]), dec("10019"));

    // One instance's statement holds only its own orders.
    let (status, _, tz_csv) =
        statement(&base, &format!("/_sandbox/cashy-tz/statement?date={DAY}")).await;
    assert_eq!(status, 200);
    let tz_rows = lines(&tz_csv);
    assert_eq!(tz_rows.len(), 1, "{tz_csv}");
    assert_eq!(tz_rows[0][2], "TZ-SHORT");

    let (status, _, quiet) = statement(
        &base,
        &format!("/_sandbox/cashy/statement?date={DAY_BEFORE}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(quiet, format!("{STATEMENT_HEADER}\n"));
}

#[tokio::test]
async fn a_bad_date_is_a_400_naming_date_and_an_unknown_simulator_a_404() {
    let sandbox = start(config()).await;
    for base in [sandbox.killb_url().unwrap(), sandbox.cashy_url().unwrap()] {
        for query in [
            "",
            "?date=2030-13-01",
            "?date=17-05-2030",
            "?date=tomorrow",
            "?date=",
        ] {
            for simulator in ["killb", "cashy"] {
                let (status, _, body) =
                    statement(&base, &format!("/_sandbox/{simulator}/statement{query}")).await;
                assert_eq!(status, 400, "{simulator}{query}: {body}");
                assert!(body.contains("date"), "{body}");
            }
        }
        let (status, _, body) =
            statement(&base, "/_sandbox/nobody/statement?date=2030-05-17").await;
        assert_eq!(status, 404, "{body}");
    }
}
