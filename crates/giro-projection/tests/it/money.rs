//! What providers report, projected for finance (issue #17): the reported columns of `payouts`,
//! `/v1/exceptions` for reports about other attempts and differences from the order, and
//! `/v1/settlement` for one provider instance's day, as JSON and CSV, to the cent.

use giro_domain::payout::{
    PayoutCommand, ProviderReport, ReportSource, ReportedAmount, ReportedOutcome,
};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use rust_decimal::Decimal;

use crate::common::*;

fn submitted() -> [PayoutCommand; 2] {
    [
        PayoutCommand::StartSubmission,
        PayoutCommand::RecordSubmitted {
            attempt: 1,
            provider_ref: Some("P-1".into()),
            raw_status: Some("PROCESSING".into()),
        },
    ]
}

/// A Cashy-like success on attempt 1 stating what it paid.
fn success(id: &str, amount: &str, fee: &str) -> PayoutCommand {
    let mut r = ProviderReport::new(
        ReportSource::Webhook,
        "SUCCESS",
        ReportedOutcome::Succeeded,
        id,
    );
    r.provider_ref = Some("P-1".into());
    r.attempt = Some(1);
    r.fee = Some(fee.parse().unwrap());
    r.amount = Some(ReportedAmount {
        amount: amount.parse().unwrap(),
        currency: None,
    });
    r.completed_at = Some("2026-12-06 08:42:54".into());
    r.channel_ref = Some(format!("CH-{id}"));
    PayoutCommand::RecordReport(r)
}

#[tokio::test]
async fn reported_figures_exceptions_and_the_settlement_day_to_the_cent() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    // Paid in full with a fee.
    let mut full = submitted().to_vec();
    full.push(success("s1", "250000.00", "2500"));
    let full = payout(&log, "m-full", &full).await;
    // Paid 1 % short: a discrepancy.
    let mut short = submitted().to_vec();
    short.push(success("s2", "247500", "2475.5"));
    let short = payout(&log, "m-short", &short).await;
    // Paid, then a report about attempt 7, which was never made.
    let mut stray = submitted().to_vec();
    stray.push(success("s3", "250000", "2500"));
    let mut never =
        ProviderReport::new(ReportSource::Webhook, "FAIL", ReportedOutcome::Failed, "x7");
    never.attempt = Some(7);
    never.provider_ref = Some("P-7".into());
    stray.push(PayoutCommand::RecordReport(never));
    let stray = payout(&log, "m-stray", &stray).await;
    // Failed.
    let mut failed = submitted().to_vec();
    failed.push(report(
        "f4",
        "FAIL",
        ReportedOutcome::Failed,
        Some("account closed"),
    ));
    payout(&log, "m-failed", &failed).await;
    // Still at the provider: not on the day's settlement.
    payout(&log, "m-open", &submitted()).await;

    let handle = start(&log, &schema).await;
    caught_up(&log, &schema).await;

    let row: (
        Option<Decimal>,
        Option<Decimal>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT reported_amount, fee, provider_completed_at, channel_ref FROM payouts \
         WHERE order_id = $1",
    )
    .bind(short.as_uuid())
    .fetch_one(&schema.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            Some(Decimal::new(247_500, 0)),
            Some(Decimal::new(24_755, 1)),
            Some("2026-12-06 08:42:54".to_string()),
            Some("CH-s2".to_string())
        )
    );
    let view = get_json(&handle, &format!("/v1/payouts/{short}")).await;
    assert_eq!(view["reported_amount"], "247500");
    assert_eq!(view["channel_ref"], "CH-s2");

    // Exceptions: the short payment and the stray report; the full payment raises none.
    let v = get_json(&handle, "/v1/exceptions").await;
    let items = v["items"].as_array().unwrap();
    let mut seen: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i["order_id"].as_str().unwrap().to_string(),
                i["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![
        (short.to_string(), "discrepancy".to_string()),
        (stray.to_string(), "report_unmatched".to_string()),
    ];
    expected.sort();
    assert_eq!(seen, expected, "{v}");
    assert!(!seen.iter().any(|(id, _)| id == &full.to_string()));
    let discrepancy = items.iter().find(|i| i["kind"] == "discrepancy").unwrap();
    let reason = discrepancy["reason"].as_str().unwrap();
    assert!(
        reason.contains("247500") && reason.contains("250000"),
        "{reason}"
    );
    let stray_reason = items
        .iter()
        .find(|i| i["kind"] == "report_unmatched")
        .unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(stray_reason.contains("attempt 7"), "{stray_reason}");
    assert_eq!(
        v["totals"],
        serde_json::json!([{"provider": "cashy-co", "currency": "COP", "orders": 2,
                            "amount_at_risk": "500000"}])
    );
    let only = get_json(&handle, "/v1/exceptions?kind=discrepancy").await;
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    for bad in [
        "/v1/exceptions?kind=nope",
        "/v1/exceptions?limit=0",
        "/v1/exceptions?x=1",
    ] {
        let (status, body) = get(&handle, bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }

    // The settlement day: three paid (one short), one failed; the open one is not there.
    let today = chrono::Utc::now().date_naive();
    let s = get_json(
        &handle,
        &format!("/v1/settlement?provider=cashy-co&date={today}"),
    )
    .await;
    assert_eq!(s["orders"].as_array().unwrap().len(), 4, "{s}");
    let t = &s["totals"]["COP"];
    assert_eq!(t["paid"]["count"], 3);
    assert_eq!(
        t["paid"]["amount"], "747500",
        "what the provider paid, not what was asked"
    );
    assert_eq!(t["failed"]["count"], 1);
    assert_eq!(t["fees"], "7475.5");
    assert_eq!(t["debited"], "754975.5");
    let (status, csv) = get(
        &handle,
        &format!("/v1/settlement?provider=cashy-co&date={today}&format=csv"),
    )
    .await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "order_id,external_id,provider_ref,status,amount,currency,reported_amount,fee,\
         provider_completed_at,channel_ref,status_since,kind,refunded_amount"
    );
    assert_eq!(lines.len(), 5, "{csv}");
    let short_line = lines
        .iter()
        .find(|l| l.starts_with(&short.to_string()))
        .unwrap();
    assert!(
        short_line.contains(",succeeded,250000,COP,247500,2475.5,2026-12-06 08:42:54,CH-s2,")
            && short_line.ends_with(",payout,"),
        "{short_line}"
    );
    let yesterday = today.pred_opt().unwrap();
    let empty = get_json(
        &handle,
        &format!("/v1/settlement?provider=cashy-co&date={yesterday}"),
    )
    .await;
    assert_eq!(empty["orders"], serde_json::json!([]));
    for bad in [
        "/v1/settlement?date=2026-12-06".to_string(),
        "/v1/settlement?provider=cashy-co".to_string(),
        "/v1/settlement?provider=cashy-co&date=06/12/2026".to_string(),
        format!("/v1/settlement?provider=cashy-co&date={today}&format=xml"),
    ] {
        let (status, body) = get(&handle, &bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
}

fn handle(id: giro_domain::OrderId) -> String {
    giro_domain::SubmissionHandle {
        order_id: id,
        attempt: 1,
    }
    .to_string()
}

#[tokio::test]
async fn a_statement_is_matched_line_by_line_missing_extra_and_different_named() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let mut paid = submitted().to_vec();
    paid.push(success("s1", "250000", "2500"));
    let agreed = payout(&log, "r-agreed", &paid).await;
    // Giro heard SUCCESS; the statement says the money came back (FAIL) and paid less.
    let mut paid2 = submitted().to_vec();
    paid2.push(success("s2", "250000", "2500"));
    let differs = payout(&log, "r-differs", &paid2).await;
    // Finished at the provider today, absent from the statement.
    let mut failed = submitted().to_vec();
    failed.push(report("f3", "FAIL", ReportedOutcome::Failed, None));
    let missing = payout(&log, "r-missing", &failed).await;
    let handle_api = start(&log, &schema).await;
    caught_up(&log, &schema).await;

    let today = chrono::Utc::now().date_naive();
    let stranger = giro_domain::OrderId::from_uuid(uuid::Uuid::new_v4());
    let statement = format!(
        "date,provider,reference,provider_ref,status,amount,currency,fee,completed_at,channel_ref\n\
         {today},cashy-co,{},P-1,SUCCESS,250000.00,COP,2500,2026-12-06 08:42:54,CH-s1\n\
         {today},cashy-co,{},P-1,FAIL,249000,COP,2500,,\n\
         {today},cashy-co,{},P-9,SUCCESS,1000,COP,,,\n",
        handle(agreed),
        handle(differs),
        handle(stranger),
    );
    let response = http()
        .post(format!("http://{}/v1/reconcile", handle_api.local_addr()))
        .body(statement)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let r: serde_json::Value = response.json().await.unwrap();
    assert_eq!(r["agrees"], false);
    assert_eq!(
        (r["lines"].as_u64(), r["matched"].as_u64()),
        (Some(3), Some(1))
    );
    let different: Vec<(String, String, String, String)> = r["different"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let t = |k: &str| d[k].as_str().unwrap().to_string();
            (t("order_id"), t("field"), t("giro"), t("statement"))
        })
        .collect();
    assert_eq!(
        different,
        vec![
            (
                differs.to_string(),
                "status".into(),
                "SUCCESS".into(),
                "FAIL".into()
            ),
            (
                differs.to_string(),
                "amount".into(),
                "250000".into(),
                "249000".into()
            ),
        ]
    );
    let missing_ids: Vec<&str> = r["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(missing_ids, vec![missing.to_string()]);
    assert_eq!(r["extra"].as_array().unwrap().len(), 1);
    assert_eq!(r["extra"][0]["line"], 3);

    // A statement that cannot be read names its line and field.
    let response = http()
        .post(format!("http://{}/v1/reconcile", handle_api.local_addr()))
        .body("date,provider\n2026-12-06,x\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = response.text().await.unwrap();
    assert!(body.contains("header"), "{body}");
}

#[tokio::test]
async fn treasury_shows_the_balance_beside_what_held_and_queued_payouts_need() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    // cashy-co: one queued (requested), one held, one at the provider. 250000 COP each.
    payout(&log, "t-queued", &[]).await;
    let hold = PayoutCommand::Hold {
        reason: "waiting for funds".into(),
    };
    payout(&log, "t-held", &[hold]).await;
    payout(&log, "t-sent", &submitted()).await;
    // The balance the executor last read, where it keeps it.
    let js = async_nats::jetstream::new(log.client.clone());
    let funds = format!("{}_FUNDS", log.config.stream);
    js.create_stream(async_nats::jetstream::stream::Config {
        name: funds,
        subjects: vec![format!("{}.funds.>", log.config.prefix)],
        max_messages_per_subject: 1,
        allow_direct: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let reading = serde_json::json!({"balance": "300000.50", "at": "2026-12-06T10:00:00Z"});
    js.publish(
        format!("{}.funds.cashy-co.balance.COP", log.config.prefix),
        reading.to_string().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    // An account with a reading and nothing else (no open payout, no threshold) is listed too.
    let idle = serde_json::json!({"balance": "7000000", "at": "2026-12-06T10:00:00Z"});
    js.publish(
        format!("{}.funds.cashy-tz.balance.TZS", log.config.prefix),
        idle.to_string().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let mut config = config(&log, &schema);
    config.low_balance =
        giro_projection::treasury::parse_low_balance("cashy-co:COP:1000000,killb:COP:5").unwrap();
    let handle = giro_projection::start(config, log.client.clone())
        .await
        .unwrap();
    caught_up(&log, &schema).await;

    let t = get_json(&handle, "/v1/treasury").await;
    let accounts = t["accounts"].as_array().unwrap();
    let cashy = accounts
        .iter()
        .find(|a| a["provider"] == "cashy-co")
        .unwrap();
    let text = |k: &str| {
        cashy[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k}: {cashy}"))
            .to_string()
    };
    assert_eq!(text("balance"), "300000.5");
    assert_eq!(text("held"), "250000");
    assert_eq!(text("queued"), "250000");
    assert_eq!(text("at_provider"), "250000");
    assert_eq!(text("needed"), "500000");
    assert_eq!(text("shortfall"), "199999.5");
    assert_eq!(cashy["low"], true);
    // A threshold without a reading: no balance, never low.
    let killb = accounts.iter().find(|a| a["provider"] == "killb").unwrap();
    assert!(
        killb["balance"].is_null() && killb["low"] == false,
        "{killb}"
    );

    let e = get_json(&handle, "/v1/exceptions").await;
    let kinds: Vec<&str> = e["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["low_balance", "funds_short"], "{e}");

    let (status, metrics) = get(&handle, "/metrics").await;
    assert_eq!(status, 200);
    for figure in ["balance", "needed", "shortfall", "low_threshold"] {
        let line = metrics
            .lines()
            .find(|l| {
                l.starts_with("giro_projection_treasury_amount{")
                    && l.contains("provider=\"cashy-co\"")
                    && l.contains(&format!("figure=\"{figure}\""))
            })
            .unwrap_or_else(|| panic!("no {figure} gauge in\n{metrics}"));
        assert!(!line.ends_with(" 0") && !line.ends_with(" 0.0"), "{line}");
    }
}

#[tokio::test]
async fn a_charge_report_about_a_replaced_attempt_is_an_exception() {
    use giro_domain::charge::{ChargeCommand, ChargeOutcome};
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let ChargeCommand::RecordReport(mut late) =
        charge_report("late", "paid", ChargeOutcome::Paid, None)
    else {
        unreachable!("charge_report() records a report")
    };
    late.attempt = Some(1);
    let then = [
        ChargeCommand::StartSubmission,
        ChargeCommand::RecordSubmissionFailure {
            attempt: 1,
            code: "busy".into(),
            message: "try again".into(),
            retryable: true,
        },
        ChargeCommand::StartSubmission,
        ChargeCommand::RecordReport(late),
    ];
    let id = charge(&log, "ch-late", &then).await;
    let handle = start(&log, &schema).await;
    caught_up(&log, &schema).await;
    let v = get_json(&handle, "/v1/exceptions").await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(items[0]["order_id"], id.to_string());
    assert_eq!(items[0]["kind"], "possible_double_charge");
    let reason = items[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("attempt 1") && reason.contains("charged"),
        "{reason}"
    );
    assert_eq!(v["totals"][0]["orders"], 1);
}
