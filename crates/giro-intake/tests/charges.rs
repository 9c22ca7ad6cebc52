//! `giro.cmd.charge.cancel` and `giro.cmd.charge.refund`: cancel before and at the provider,
//! refunds of paid charges only and never more than is refundable, clear errors for bad input.

use crate::common;

use common::*;
use giro_domain::charge::{
    ChargeCommand, ChargeDecider, ChargeOutcome, ChargeReport, ReportSource,
};
use giro_domain::{EventMeta, OrderId};
use giro_eventlog::test_support::TestLog;
use serde_json::json;

fn charge(key: &str) -> serde_json::Value {
    json!({
        "idempotency_key": key, "provider": "a55", "amount": "150.00", "installment_count": 1,
        "currency": "BRL", "method": "pix",
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "12345678909",
                  "phone": "+5511999999999",
                  "address": {"street": "a", "address_number": "1", "complement": "c",
                              "neighborhood": "n", "city": "c", "state": "SP",
                              "postal_code": "01310-100"}},
        "due_date": "2030-12-31", "description": "d"
    })
}

async fn run(t: &TestLog, id: OrderId, command: ChargeCommand) {
    t.log
        .execute::<ChargeDecider>(id, &command, &EventMeta::default(), false)
        .await
        .unwrap();
}

fn report(raw: &str, outcome: ChargeOutcome) -> ChargeCommand {
    ChargeCommand::RecordReport(ChargeReport {
        source: ReportSource::Webhook,
        raw_status: raw.into(),
        outcome,
        report_id: format!("c1:{raw}"),
        charge_uuid: Some("c1".into()),
        reason: None,
        amount: None,
        attempt: None,
        reported_at: None,
        currency: None,
    })
}

#[tokio::test]
async fn charges_are_cancelled_before_and_at_the_provider() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let client = client_for(&t, nats);

    let early = client.create_charge(charge("cc-1").to_string()).await;
    let early = early.str("order_id").unwrap().to_string();
    let r = client.cancel_charge(&early).await;
    assert_eq!((r.ok, r.str("status")), (true, Some("cancelled")), "{r:?}");
    let again = client.cancel_charge(&early).await;
    assert_eq!(again.body["duplicate"], true);

    let late = client.create_charge(charge("cc-2").to_string()).await;
    let late_id: OrderId = late.str("order_id").unwrap().parse().unwrap();
    run(&t, late_id, ChargeCommand::StartSubmission).await;
    let r = client.cancel_charge(&late_id.to_string()).await;
    // Asked of the provider: still submitting until its `canceled` report.
    assert_eq!((r.ok, r.str("status")), (true, Some("submitting")), "{r:?}");
    let got = client.get_order(&late_id.to_string()).await;
    let types: Vec<&str> = got.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.last(), Some(&"charge.cancel_requested"));

    // Paid charges are refunded, not cancelled; unknown ones are not found.
    run(&t, late_id, report("paid", ChargeOutcome::Paid)).await;
    let r = client.cancel_charge(&late_id.to_string()).await;
    assert_eq!(r.code().map(|c| c.as_str()), Some("not_cancellable"));
    let r = client
        .cancel_charge(&uuid::Uuid::new_v4().to_string())
        .await;
    assert_eq!(r.code().map(|c| c.as_str()), Some("not_found"));
    intake.stop().await;
}

#[tokio::test]
async fn refunds_of_paid_charges_within_what_is_refundable() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let client = client_for(&t, nats.clone());
    let created = client.create_charge(charge("rf-1").to_string()).await;
    let id: OrderId = created.str("order_id").unwrap().parse().unwrap();
    let sid = id.to_string();

    // Not paid yet.
    let r = client.refund_charge(&sid, None).await;
    assert_eq!(r.code().map(|c| c.as_str()), Some("invalid_state"));
    run(&t, id, ChargeCommand::StartSubmission).await;
    run(&t, id, report("paid", ChargeOutcome::Paid)).await;

    // Bad amounts.
    for (amount, code) in [
        ("150.01", "amount_out_of_range"),
        ("-5", "amount_out_of_range"),
        ("0", "amount_out_of_range"),
        ("1.001", "invalid_amount_precision"),
        ("ten", "invalid_field"),
    ] {
        let r = client.refund_charge(&sid, Some(amount)).await;
        assert_eq!(r.code().map(|c| c.as_str()), Some(code), "{amount}: {r:?}");
    }
    let raw = |body: serde_json::Value| {
        let nats = nats.clone();
        let subject = format!("{}.cmd.charge.refund", t.config.prefix);
        async move {
            let reply = nats
                .request(subject, body.to_string().into())
                .await
                .unwrap();
            serde_json::from_slice::<serde_json::Value>(&reply.payload).unwrap()
        }
    };
    let r = raw(json!({"order_id": sid, "amount": true})).await;
    assert_eq!(r["error"]["code"], "invalid_field", "{r}");
    let r = raw(json!({"order_id": sid, "card_number": "4024007153763191"})).await;
    assert_eq!(r["ok"], false, "{r}");
    let r = raw(json!({"amount": "1"})).await;
    assert_eq!(r["error"]["code"], "missing_field", "{r}");

    // A partial refund as a JSON number; repeating it is a duplicate.
    let r = raw(json!({"order_id": sid, "amount": 50.5, "reason": "one item"})).await;
    assert_eq!(
        (r["ok"].clone(), r["status"].clone()),
        (json!(true), json!("paid")),
        "{r}"
    );
    let r = raw(json!({"order_id": sid, "amount": "50.50", "reason": "one item"})).await;
    assert_eq!(r["duplicate"], true, "{r}");
    // Another while it runs is refused.
    let r = client.refund_charge(&sid, Some("10")).await;
    assert_eq!(r.code().map(|c| c.as_str()), Some("invalid_state"));
    intake.stop().await;
}
