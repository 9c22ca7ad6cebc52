//! The payout ledger projected: `/v1/ledger/balances` and `/v1/ledger/postings` to the cent,
//! applying the log again from sequence 1 posts nothing twice, and a rebuild derives the same
//! postings.

use giro_domain::OrderId;
use giro_domain::payout::{PayoutCommand, PayoutDecider, ProviderReport, ReportedOutcome};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use serde_json::json;

use crate::common::*;

/// A payout of `amount` COP at `provider`, then `then`.
async fn order(
    log: &TestLog,
    key: &str,
    provider: &str,
    amount: &str,
    then: &[PayoutCommand],
) -> OrderId {
    let mut body = payout_body(key, key);
    body["provider"] = json!(provider);
    body["amount"] = json!(amount);
    let (id, create) = create_payout(&body);
    log.log
        .execute::<PayoutDecider>(id, &create, &meta(), true)
        .await
        .unwrap();
    for command in then {
        log.log
            .execute::<PayoutDecider>(id, command, &meta(), false)
            .await
            .unwrap_or_else(|e| panic!("{command:?} on {key}: {e}"));
    }
    id
}

fn paid(id: &str, fee: &str) -> PayoutCommand {
    let PayoutCommand::RecordReport(r) = report(id, "SUCCESS", ReportedOutcome::Succeeded, None)
    else {
        unreachable!("report() records a report")
    };
    PayoutCommand::RecordReport(ProviderReport {
        fee: Some(fee.parse().unwrap()),
        ..r
    })
}

/// Six orders at two providers: paid with a fee, paid then refunded, failed, still at the
/// provider, cancelled, paid then reversed.
async fn history(log: &TestLog) -> OrderId {
    use PayoutCommand::StartSubmission as Start;
    use ReportedOutcome as O;
    order(
        log,
        "l-paid",
        "killb",
        "100000.10",
        &[Start, paid("p1", "1500.25")],
    )
    .await;
    let refunded = [
        Start,
        paid("p2", "2000"),
        report("r2", "REFUNDED", O::Refunded, None),
    ];
    order(log, "l-refunded", "killb", "200000.20", &refunded).await;
    let failed = [Start, report("f3", "FAILED", O::Failed, Some("closed"))];
    order(log, "l-failed", "killb", "300000.30", &failed).await;
    order(log, "l-open", "killb", "400000.40", &[Start]).await;
    let cancel = PayoutCommand::Cancel { reason: None };
    order(log, "l-cancelled", "killb", "50000", &[cancel]).await;
    let reversed = [
        Start,
        paid("p6", "0.5"),
        report("f6", "FAIL", O::Failed, Some("returned by the bank")),
    ];
    order(log, "l-reversed", "cashy-co", "250000", &reversed).await
}

/// (account, currency, balance) of every account, as the API answers.
async fn balances(handle: &giro_projection::ProjectionHandle) -> Vec<(String, String, String)> {
    let v = get_json(handle, "/v1/ledger/balances").await;
    v["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let text = |k: &str| b[k].as_str().unwrap_or_else(|| panic!("{k} in {b}")).into();
            (text("account"), text("currency"), text("balance"))
        })
        .collect()
}

fn expected_balances() -> Vec<(String, String, String)> {
    [
        // cashy-co: paid and reversed; the FAIL names no fee, so the fee came back too.
        ("cashy-co:fees", "0.00"),
        ("cashy-co:paid_out", "0.00"),
        ("cashy-co:prefund", "0.00"),
        ("cashy-co:reserved", "0.00"),
        // killb: −(100000.10 paid + 1500.25 fees + 400000.40 still reserved); the refund returned
        // 200000.20 and its fee (its report names none), the failure released 300000.30.
        ("killb:fees", "1500.25"),
        ("killb:paid_out", "100000.10"),
        ("killb:prefund", "-501500.75"),
        ("killb:reserved", "400000.40"),
    ]
    .map(|(a, b)| (a.to_string(), "COP".to_string(), b.to_string()))
    .to_vec()
}

/// A posting as the API shows it: (version, kind, [(account, debit, credit)]).
type Shown<'a> = (i64, &'a str, Vec<(&'a str, &'a str, &'a str)>);

async fn legs(schema: &TestSchema) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM ledger_postings")
        .fetch_one(&schema.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn balances_and_postings_follow_the_events_to_the_cent_and_reapplying_adds_nothing() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let reversed = history(&log).await;
    let handle = start(&log, &schema).await;
    caught_up(&log, &schema).await;
    assert_eq!(balances(&handle).await, expected_balances());
    // killb: reserved, fee, paid; reserved, fee, paid, fee back, refunded; reserved, released;
    // reserved. cashy-co: reserved, fee, paid, fee back, reversed. 16 postings of two legs.
    assert_eq!(legs(&schema).await, 32);

    let v = get_json(&handle, &format!("/v1/ledger/postings?order_id={reversed}")).await;
    let shown: Vec<Shown> = v["postings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let legs = p["legs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    let t = |k: &str| l[k].as_str().unwrap();
                    (t("account"), t("debit"), t("credit"))
                })
                .collect();
            (
                p["version"].as_i64().unwrap(),
                p["kind"].as_str().unwrap(),
                legs,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                2,
                "reserved",
                vec![
                    ("cashy-co:reserved", "250000.00", "0.00"),
                    ("cashy-co:prefund", "0.00", "250000.00")
                ]
            ),
            (
                3,
                "fee",
                vec![
                    ("cashy-co:fees", "0.50", "0.00"),
                    ("cashy-co:prefund", "0.00", "0.50")
                ]
            ),
            (
                4,
                "paid",
                vec![
                    ("cashy-co:paid_out", "250000.00", "0.00"),
                    ("cashy-co:reserved", "0.00", "250000.00")
                ]
            ),
            (
                5,
                "fee",
                vec![
                    ("cashy-co:prefund", "0.50", "0.00"),
                    ("cashy-co:fees", "0.00", "0.50")
                ]
            ),
            (
                6,
                "reversed",
                vec![
                    ("cashy-co:prefund", "250000.00", "0.00"),
                    ("cashy-co:paid_out", "0.00", "250000.00")
                ]
            ),
        ]
    );
    let killb = get_json(&handle, "/v1/ledger/balances?provider=killb").await;
    assert_eq!(killb["balances"].as_array().unwrap().len(), 4);
    let (status, body) = get(&handle, "/v1/ledger/postings").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = get(&handle, "/v1/ledger/postings?order_id=nope").await;
    assert_eq!(status, 400, "{body}");

    // Everything applied again from sequence 1 (as after a lost checkpoint), plus one more
    // submission: only that one posts.
    sqlx::query("UPDATE checkpoints SET last_sequence = 0")
        .execute(&schema.pool)
        .await
        .unwrap();
    order(
        &log,
        "l-late",
        "killb",
        "1.01",
        &[PayoutCommand::StartSubmission],
    )
    .await;
    caught_up(&log, &schema).await;
    let mut expected = expected_balances();
    expected[6].2 = "-501501.76".into();
    expected[7].2 = "400001.41".into();
    assert_eq!(balances(&handle).await, expected);
    assert_eq!(legs(&schema).await, 34);
    let balanced: bool = sqlx::query_scalar("SELECT sum(debit) = sum(credit) FROM ledger_postings")
        .fetch_one(&schema.pool)
        .await
        .unwrap();
    assert!(balanced, "debits equal credits");
}

#[tokio::test]
async fn a_rebuild_derives_the_same_postings() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    history(&log).await;
    let handle = start(&log, &schema).await;
    caught_up(&log, &schema).await;
    let postings = || async {
        let text: String = sqlx::query_scalar(
            "SELECT coalesce(json_agg(t ORDER BY order_id, version, kind, account)::text, '[]') \
             FROM ledger_postings t",
        )
        .fetch_one(&schema.pool)
        .await
        .unwrap();
        text
    };
    let before = postings().await;
    giro_projection::rebuild(&config(&log, &schema), log.client.clone())
        .await
        .unwrap();
    assert_eq!(postings().await, before);
    assert_eq!(balances(&handle).await, expected_balances());
}
