//! Amounts are exact on the wire (#17, "Exact everywhere"): a JSON number is read from its text,
//! never through a float. One that a JSON number cannot hold exactly, one in exponent form, one
//! beyond the provider's range, negative or zero is refused with its code and `amount` named —
//! for payouts, charges and refunds alike — and exact numbers still work.

use crate::common;

use common::*;
use giro_domain::charge::{
    ChargeCommand, ChargeDecider, ChargeOutcome, ChargeReport, ReportSource,
};
use giro_domain::{EventMeta, OrderId};
use giro_eventlog::test_support::TestLog;
use giro_intake::{IntakeClient, Reply};
use serde_json::json;

/// `body` (rendered by serde_json, keys sorted, no spaces) with its `"amount":"…"` written as the
/// raw JSON token `token`, so that the number's text reaches intake exactly as written here.
fn with_amount(body: &serde_json::Value, token: &str) -> String {
    let text = body.to_string();
    let old = format!("\"amount\":{}", body["amount"]);
    assert!(text.contains(&old), "{text}");
    text.replacen(&old, &format!("\"amount\":{token}"), 1)
}

fn charge(key: &str, currency: &str, amount: &str) -> serde_json::Value {
    json!({
        "idempotency_key": key, "provider": "a55", "amount": amount, "installment_count": 1,
        "currency": currency, "method": "pix",
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "12345678909",
                  "phone": "+5511999999999",
                  "address": {"street": "a", "address_number": "1", "complement": "c",
                              "neighborhood": "n", "city": "c", "state": "SP",
                              "postal_code": "01310-100"}},
        "due_date": "2030-12-31", "description": "d"
    })
}

#[track_caller]
fn refused(r: &Reply, code: &str, field: &str, what: &str) {
    assert!(!r.ok, "{what}: accepted: {r:?}");
    let e = r.error.as_ref().unwrap_or_else(|| panic!("{what}: {r:?}"));
    assert_eq!(
        (e.code.as_str(), e.field.as_deref()),
        (code, Some(field)),
        "{what}: {r:?}"
    );
    assert!(!e.message.is_empty(), "{what}: {r:?}");
}

/// The refusals every amount form gets, the same for payouts and charges.
const REFUSED_EVERYWHERE: [(&str, &str); 11] = [
    ("5e5", "invalid_field"),
    ("5E5", "invalid_field"),
    ("5.0e5", "invalid_field"),
    ("1e-2", "invalid_field"),
    ("1000000000000000000000000000000", "amount_out_of_range"),
    ("99999999999999999999999999999999", "amount_out_of_range"),
    ("-500000", "amount_out_of_range"),
    ("-500000.000000000000000001", "amount_out_of_range"),
    ("0", "amount_out_of_range"),
    ("0.00", "amount_out_of_range"),
    ("500000.000000000000000001", "invalid_amount_precision"),
];

async fn order_amount(client: &IntakeClient, r: &Reply) -> String {
    let id = r.str("order_id").unwrap_or_else(|| panic!("{r:?}"));
    let got = client.get_order(id).await;
    got.body
        .get("order")
        .and_then(|o| o["amount"].as_str())
        .unwrap_or_else(|| panic!("{got:?}"))
        .to_string()
}

#[tokio::test]
async fn payout_amounts_as_json_numbers_are_exact_or_refused() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let client = client_for(&t, nats);
    let body = payout("amounts");
    let cases = REFUSED_EVERYWHERE.iter().copied().chain([
        // cashy-co takes 10 000 to 5 000 000 COP with cents.
        ("500000.001", "invalid_amount_precision"),
        ("5000001", "amount_out_of_range"),
        ("123456789012345.67", "amount_out_of_range"),
    ]);
    for (token, code) in cases {
        let r = client
            .create_payout(with_amount(&body, token).into_bytes())
            .await;
        refused(&r, code, "amount", token);
    }

    // A key given twice does not route to the last one.
    let twice = with_amount(&body, "500000").replacen(
        "\"provider\":\"cashy-co\"",
        "\"provider\":\"cashy-co\",\"provider\":\"killb\"",
        1,
    );
    assert!(twice.contains("\"killb\""), "{twice}");
    let r = client.create_payout(twice.into_bytes()).await;
    refused(&r, "invalid_field", "provider", "provider twice");

    // Exact JSON numbers are taken at their value.
    for (key, token, stored) in [
        ("exact-1", "500000", "500000"),
        ("exact-2", "500000.00", "500000"),
        ("exact-3", "150000.25", "150000.25"),
        ("exact-4", "150000.10", "150000.1"),
    ] {
        let mut b = body.clone();
        b["idempotency_key"] = json!(key);
        let r = client
            .create_payout(with_amount(&b, token).into_bytes())
            .await;
        assert!(r.ok, "{token}: {r:?}");
        assert_eq!(order_amount(&client, &r).await, stored, "{token}");
    }
    intake.stop().await;
}

#[tokio::test]
async fn charge_amounts_as_json_numbers_are_exact_or_refused() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let client = client_for(&t, nats);
    let brl = charge("charge-amounts", "BRL", "150.00");
    let cases = REFUSED_EVERYWHERE.iter().copied().chain([
        ("150.001", "invalid_amount_precision"),
        ("1000000001", "amount_out_of_range"),
    ]);
    for (token, code) in cases {
        let r = client
            .create_charge(with_amount(&brl, token).into_bytes())
            .await;
        refused(&r, code, "amount", token);
    }
    // CLP has no decimals at A55.
    let clp = charge("charge-clp", "CLP", "1");
    let r = client
        .create_charge(with_amount(&clp, "1.5").into_bytes())
        .await;
    refused(&r, "invalid_amount_precision", "amount", "CLP 1.5");

    for (key, token, stored) in [
        ("charge-exact-1", "150.25", "150.25"),
        ("charge-exact-2", "150.10", "150.1"),
        ("charge-exact-3", "500000", "500000"),
        ("charge-exact-4", "500000.00", "500000"),
    ] {
        let mut b = brl.clone();
        b["idempotency_key"] = json!(key);
        let r = client
            .create_charge(with_amount(&b, token).into_bytes())
            .await;
        assert!(r.ok, "{token}: {r:?}");
        assert_eq!(order_amount(&client, &r).await, stored, "{token}");
    }
    intake.stop().await;
}

#[tokio::test]
async fn refund_amounts_as_json_numbers_are_exact_or_refused() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let client = client_for(&t, nats);
    let created = client
        .create_charge(charge("refund-amounts", "BRL", "150.00").to_string())
        .await;
    let id: OrderId = created.str("order_id").unwrap().parse().unwrap();
    for command in [
        ChargeCommand::StartSubmission,
        ChargeCommand::RecordReport(ChargeReport {
            source: ReportSource::Webhook,
            raw_status: "paid".into(),
            outcome: ChargeOutcome::Paid,
            report_id: "c1:paid".into(),
            charge_uuid: Some("c1".into()),
            reason: None,
            amount: None,
            attempt: None,
            reported_at: None,
            currency: None,
        }),
    ] {
        t.log
            .execute::<ChargeDecider>(id, &command, &EventMeta::default(), false)
            .await
            .unwrap();
    }
    let refund = |token: &str| format!("{{\"order_id\":\"{id}\",\"amount\":{token}}}");
    let cases = REFUSED_EVERYWHERE.iter().copied().chain([
        ("150.001", "invalid_amount_precision"),
        ("150.000000000000000001", "invalid_amount_precision"),
        ("150.01", "amount_out_of_range"),
        // The string form gets the same codes.
        (
            "\"99999999999999999999999999999999\"",
            "amount_out_of_range",
        ),
        (
            "\"150.000000000000000000000000001\"",
            "invalid_amount_precision",
        ),
        ("\"150.001\"", "invalid_amount_precision"),
        ("\"5e5\"", "invalid_field"),
    ]);
    for (token, code) in cases {
        let r = client.send("cmd.charge.refund", refund(token)).await;
        refused(&r, code, "amount", token);
    }
    let r = client.send("cmd.charge.refund", refund("50.10")).await;
    assert_eq!((r.ok, r.str("status")), (true, Some("paid")), "{r:?}");
    let got = client.get_order(&id.to_string()).await;
    let asked = got.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "charge.refund_requested")
        .unwrap_or_else(|| panic!("{got:?}"))
        .clone();
    assert!(asked.to_string().contains("\"50.1"), "{asked}");
    intake.stop().await;
}
