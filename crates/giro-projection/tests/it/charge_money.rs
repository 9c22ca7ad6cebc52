//! Charges for finance (issue #17): `/v1/settlement` of a charge provider's day (collected,
//! refunded, failed, cancelled, to the cent, as JSON and CSV) and `/v1/reconcile` of its statement
//! (matched, different, missing and extra charges, each named with its kind), and a recorded
//! `charge.discrepancy` listed as an exception.

use giro_domain::charge::{
    ChargeCommand, ChargeDecider, ChargeOutcome, Discrepancy, DiscrepancyField, DiscrepancySource,
};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use serde_json::Value;

use crate::common::*;

/// Submitted, then A55 reports `paid` for the whole 150.00.
fn paid() -> Vec<ChargeCommand> {
    let mut then = charge_submitted().to_vec();
    then.push(charge_report(
        "paid",
        "paid",
        ChargeOutcome::Paid,
        Some("150.00"),
    ));
    then
}

/// Paid, then refunded in full.
fn refunded() -> Vec<ChargeCommand> {
    let mut then = paid();
    then.push(ChargeCommand::Refund {
        amount: None,
        reason: Some("returned".into()),
    });
    then.push(charge_report(
        "refunded",
        "refunded",
        ChargeOutcome::Refunded,
        Some("150.00"),
    ));
    then
}

/// Submitted, then A55 reports `error`.
fn failed() -> Vec<ChargeCommand> {
    let mut then = charge_submitted().to_vec();
    then.push(charge_report("error", "error", ChargeOutcome::Failed, None));
    then
}

fn handle(id: giro_domain::OrderId) -> String {
    giro_domain::SubmissionHandle {
        order_id: id,
        attempt: 1,
    }
    .to_string()
}

#[tokio::test]
async fn a_charge_providers_settlement_day_to_the_cent() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let collected = charge(&log, "st-paid", &paid()).await;
    let given_back = charge(&log, "st-refunded", &refunded()).await;
    charge(&log, "st-failed", &failed()).await;
    charge(&log, "st-cancelled", &[cancel_charge()]).await;
    // Still waiting for the payer: not settled.
    charge(&log, "st-pending", &charge_submitted()).await;
    let api = start(&log, &schema).await;
    caught_up(&log, &schema).await;

    let today = chrono::Utc::now().date_naive();
    let v = get_json(&api, &format!("/v1/settlement?provider=a55&date={today}")).await;
    let orders = v["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 4, "{v}");
    assert!(orders.iter().all(|o| o["kind"] == "charge"), "{v}");
    let t = &v["totals"]["BRL"];
    assert_eq!(t["collected"]["count"], 1, "{v}");
    assert_eq!(t["collected"]["amount"], "150");
    assert_eq!(t["refunded"]["count"], 1);
    assert_eq!(t["refunded"]["amount"], "150");
    assert_eq!(t["failed"]["count"], 1);
    assert_eq!(t["cancelled"]["count"], 1);
    assert_eq!(t["charged_back"]["count"], 0);
    assert_eq!(t["fees"], "0");
    // The payout figures stay where they were, empty for a charge provider.
    assert_eq!(t["paid"]["count"], 0);
    assert_eq!(t["debited"], "0");

    let (status, csv) = get(
        &api,
        &format!("/v1/settlement?provider=a55&date={today}&format=csv"),
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
    let find = |id: giro_domain::OrderId| {
        *lines
            .iter()
            .find(|l| l.starts_with(&id.to_string()))
            .unwrap()
    };
    let back = find(given_back);
    assert!(
        back.contains(",st-refunded,A55-CHARGE-1,refunded,150,BRL,,,,,")
            && back.ends_with(",charge,150"),
        "{back}"
    );
    assert!(find(collected).ends_with(",charge,0"), "{csv}");
}

/// A statement's reconciliation as JSON.
async fn reconcile(api: &giro_projection::ProjectionHandle, statement: String) -> Value {
    let response = http()
        .post(format!("http://{}/v1/reconcile", api.local_addr()))
        .body(statement)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_charge_statement_is_matched_missing_extra_and_different_named() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let agreed = charge(&log, "rc-agreed", &paid()).await;
    let differs = charge(&log, "rc-differs", &refunded()).await;
    let missing = charge(&log, "rc-missing", &failed()).await;
    // A55 says it collected 450.00 of a 150.00 charge: Giro failed it (amount_mismatch).
    let mut other_amount = charge_submitted().to_vec();
    other_amount.push(charge_report(
        "paid-450",
        "paid",
        ChargeOutcome::Paid,
        Some("450.00"),
    ));
    let mismatched = charge(&log, "rc-mismatch", &other_amount).await;
    let api = start(&log, &schema).await;
    caught_up(&log, &schema).await;
    // What A55 reported is kept on the charge's row.
    let view = get_json(&api, &format!("/v1/charges/{mismatched}")).await;
    assert_eq!(view["provider_status"], "paid", "{view}");
    let reported: rust_decimal::Decimal = view["reported_amount"]
        .as_str()
        .unwrap_or_else(|| panic!("{view}"))
        .parse()
        .unwrap();
    assert_eq!(reported, rust_decimal::Decimal::new(450, 0), "{view}");

    let today = chrono::Utc::now().date_naive();
    let header =
        "date,provider,reference,provider_ref,status,amount,currency,fee,completed_at,channel_ref";
    let stranger = giro_domain::OrderId::from_uuid(uuid::Uuid::new_v4());
    let agreeing = format!(
        "{header}\n{today},a55,{},A55-CHARGE-1,paid,150.00,BRL,,,TR1\n\
         {today},a55,{},A55-CHARGE-1,refunded,150.00,BRL,,,TR2\n\
         {today},a55,{},A55-CHARGE-1,error,150.00,BRL,,,TR3\n",
        handle(agreed),
        handle(differs),
        handle(missing),
    );
    let r = reconcile(&api, agreeing).await;
    assert_eq!(r["matched"], 3, "{r}");
    assert_eq!(r["different"], serde_json::json!([]));
    assert_eq!(r["extra"], serde_json::json!([]));
    // Only the charge Giro failed is not on it.
    assert_eq!(r["missing"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["missing"][0]["order_id"], mismatched.to_string(), "{r}");

    // The same words as Giro heard, yet the provider has the charge paid and Giro failed.
    let r = reconcile(
        &api,
        format!(
            "{header}\n{today},a55,{},A55-CHARGE-1,paid,450.00,BRL,,,TR4\n",
            handle(mismatched)
        ),
    )
    .await;
    let different: Vec<(String, String, String)> = r["different"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let t = |k: &str| d[k].as_str().unwrap().to_string();
            (t("field"), t("giro"), t("statement"))
        })
        .collect();
    assert_eq!(
        different,
        vec![
            ("status".into(), "failed".into(), "PAID".into()),
            ("amount".into(), "150".into(), "450".into()),
        ],
        "{r}"
    );

    let statement = format!(
        "{header}\n{today},a55,{},A55-CHARGE-1,paid,150.00,BRL,,,TR1\n\
         {today},a55,{},A55-CHARGE-1,refunded,149.50,BRL,,,TR2\n\
         {today},a55,{},A55-CHARGE-9,paid,10.00,BRL,,,TR9\n",
        handle(agreed),
        handle(differs),
        handle(stranger),
    );
    let r = reconcile(&api, statement).await;
    assert_eq!(r["agrees"], false);
    assert_eq!(
        (r["lines"].as_u64(), r["matched"].as_u64()),
        (Some(3), Some(1))
    );
    let different = r["different"].as_array().unwrap();
    assert_eq!(different.len(), 1, "{r}");
    let d = &different[0];
    assert_eq!(d["order_id"], differs.to_string());
    assert_eq!(d["kind"], "charge");
    assert_eq!(
        (&d["field"], &d["giro"], &d["statement"]),
        (&"amount".into(), &"150".into(), &"149.5".into())
    );
    let mut m: Vec<(String, &Value, &Value)> = r["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["order_id"].as_str().unwrap().to_string(),
                &m["kind"],
                &m["status"],
            )
        })
        .collect();
    m.sort_by(|a, b| a.0.cmp(&b.0));
    let mut wanted = vec![missing.to_string(), mismatched.to_string()];
    wanted.sort();
    let charge_failed = (&Value::from("charge"), &Value::from("failed"));
    assert_eq!(
        m,
        wanted
            .into_iter()
            .map(|id| (id, charge_failed.0, charge_failed.1))
            .collect::<Vec<_>>(),
        "{r}"
    );
    assert_eq!(r["extra"].as_array().unwrap().len(), 1);
    assert_eq!(r["extra"][0]["line"], 3);

    // A status the statement words otherwise is a difference too.
    let statement = format!(
        "{header}\n{today},a55,{},A55-CHARGE-1,canceled,150.00,BRL,,,TR1\n",
        handle(agreed),
    );
    let r = reconcile(&api, statement).await;
    let d = &r["different"][0];
    assert_eq!(
        (&d["field"], &d["giro"], &d["statement"]),
        (&"status".into(), &"PAID".into(), &"CANCELED".into()),
        "{r}"
    );

    // Recorded, the difference stands as an exception on the charge.
    let discrepancy = Discrepancy {
        source: DiscrepancySource::Statement,
        reference: format!("statement a55 {today} {}", handle(differs)),
        field: DiscrepancyField::Amount,
        expected: "150".into(),
        reported: "149.5".into(),
    };
    log.log
        .execute::<ChargeDecider>(
            differs,
            &ChargeCommand::RecordDiscrepancy(discrepancy),
            &meta(),
            false,
        )
        .await
        .unwrap();
    caught_up(&log, &schema).await;
    let v = get_json(&api, "/v1/exceptions?kind=discrepancy").await;
    let items = v["items"].as_array().unwrap();
    // The statement's difference, and the report of 450 collected for the 150 charge (raised
    // when the report was recorded).
    assert_eq!(items.len(), 2, "{v}");
    let on = |order: giro_domain::OrderId| {
        items
            .iter()
            .find(|i| i["order_id"] == order.to_string())
            .unwrap_or_else(|| panic!("no exception for {order}: {v}"))
    };
    assert_eq!(on(differs)["provider"], "a55");
    let reason = on(differs)["reason"].as_str().unwrap();
    assert!(
        reason.contains("149.5") && reason.contains("150"),
        "{reason}"
    );
    let reason = on(mismatched)["reason"].as_str().unwrap();
    assert!(
        reason.contains("report") && reason.contains("450") && reason.contains("150"),
        "{reason}"
    );
}
