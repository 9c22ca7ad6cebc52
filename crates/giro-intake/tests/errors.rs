//! Every error code intake's commands can produce, with field paths and service-API headers; bad
//! input never takes the service down.

mod common;

use common::*;
use giro_domain::beneficiary::{
    BeneficiaryCommand, BeneficiaryDecider, BeneficiaryStatus, BeneficiaryStatusChanged,
};
use giro_domain::{ErrorCode, EventMeta};
use giro_eventlog::test_support::TestLog;
use serde_json::{Value, json};

/// Sends a raw request and returns (reply body, error code header).
async fn raw(
    client: &async_nats::Client,
    subject: String,
    body: Vec<u8>,
) -> (Value, Option<String>) {
    let msg = client.request(subject, body.into()).await.unwrap();
    let code = msg
        .headers
        .as_ref()
        .and_then(|h| h.get("Nats-Service-Error-Code"))
        .map(|v| v.as_str().to_string());
    (serde_json::from_slice(&msg.payload).unwrap(), code)
}

fn expect(reply: &(Value, Option<String>), code: &str, field: Option<&str>, status: &str) {
    assert_eq!(reply.0["ok"], false, "{}", reply.0);
    assert_eq!(reply.0["error"]["code"], code, "{}", reply.0);
    assert_eq!(reply.0["error"]["field"].as_str(), field, "{}", reply.0);
    assert!(
        reply.0["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(reply.1.as_deref(), Some(status), "{}", reply.0);
}

#[tokio::test]
async fn every_error_code_with_its_field_and_status() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let p = &t.config.prefix;
    let create = format!("{p}.cmd.payout.create");
    let send = |v: Value| raw(&nats, create.clone(), v.to_string().into_bytes());
    let with = |path: &[&str], v: Value| {
        let mut b = payout("err");
        let mut at = &mut b;
        for k in &path[..path.len() - 1] {
            at = at.get_mut(*k).unwrap();
        }
        if v.is_null() {
            at.as_object_mut().unwrap().remove(path[path.len() - 1]);
        } else {
            at[path[path.len() - 1]] = v;
        }
        b
    };

    expect(
        &raw(&nats, create.clone(), b"{\"amount\": ".to_vec()).await,
        "invalid_json",
        None,
        "400",
    );
    expect(
        &raw(&nats, create.clone(), vec![0xff, 0x00, 0x13]).await,
        "invalid_json",
        None,
        "400",
    );
    expect(
        &send(with(&["amount"], Value::Null)).await,
        "missing_field",
        Some("amount"),
        "400",
    );
    expect(
        &send(with(&["beneficiary", "document", "number"], Value::Null)).await,
        "missing_field",
        Some("beneficiary.document.number"),
        "400",
    );
    expect(
        &send(with(&["amount"], json!({"x": 1}))).await,
        "invalid_field",
        Some("amount"),
        "400",
    );
    expect(
        &send(with(&["beneficiary", "account_type"], json!(7))).await,
        "invalid_field",
        Some("beneficiary.account_type"),
        "400",
    );
    expect(
        &send(with(&["currency"], json!("EUR"))).await,
        "unsupported_currency",
        Some("currency"),
        "400",
    );
    expect(
        &send(with(&["amount"], json!("99"))).await,
        "amount_out_of_range",
        Some("amount"),
        "400",
    );
    expect(
        &send(with(&["amount"], json!("10000.001"))).await,
        "invalid_amount_precision",
        Some("amount"),
        "400",
    );
    expect(
        &send(with(&["beneficiary", "bank_code"], json!("998"))).await,
        "invalid_beneficiary",
        Some("beneficiary.bank_code"),
        "400",
    );
    expect(
        &send(with(&["provider"], json!("stripe"))).await,
        "unknown_provider",
        Some("provider"),
        "400",
    );
    expect(
        &send(
            with(&["provider"], json!("killb"))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o["currency"] = json!("TZS");
                    Value::Object(o)
                })
                .unwrap(),
        )
        .await,
        "no_route",
        None,
        "400",
    );

    // Conflicts.
    assert!(send(payout("err")).await.0["ok"] == true);
    expect(
        &send(with(&["amount"], json!("700000"))).await,
        "idempotency_conflict",
        Some("idempotency_key"),
        "409",
    );

    // Cancel and query.
    let cancel = format!("{p}.cmd.payout.cancel");
    let get = format!("{p}.query.order.get");
    let unknown = json!({"order_id": uuid::Uuid::new_v4().to_string()})
        .to_string()
        .into_bytes();
    expect(
        &raw(&nats, cancel.clone(), unknown.clone()).await,
        "not_found",
        None,
        "404",
    );
    expect(
        &raw(&nats, get.clone(), unknown).await,
        "not_found",
        Some("order_id"),
        "404",
    );
    expect(
        &raw(&nats, get.clone(), b"{\"order_id\": 5}".to_vec()).await,
        "invalid_field",
        Some("order_id"),
        "400",
    );
    expect(
        &raw(&nats, cancel.clone(), b"{\"order_id\": \"nope\"}".to_vec()).await,
        "invalid_field",
        Some("order_id"),
        "400",
    );
    expect(
        &raw(&nats, cancel.clone(), b"{}".to_vec()).await,
        "missing_field",
        Some("order_id"),
        "400",
    );

    // Charges: raw card data.
    let charge = json!({
        "idempotency_key": "c1", "provider": "a55", "amount": "150.00", "installment_count": 1,
        "currency": "BRL", "method": "credit_card", "card_number": "4024007153763191",
        "payer": {"name": "Z W", "email": "z@example.com", "tax_id": "123", "phone": "+5511999999999",
                  "address": {"street": "a", "address_number": "1", "complement": "c", "neighborhood": "n",
                              "city": "c", "state": "SP", "postal_code": "01310-100"}},
        "due_date": "2026-12-31", "description": "d"
    });
    let charge_reply = raw(
        &nats,
        format!("{p}.cmd.charge.create"),
        charge.to_string().into_bytes(),
    )
    .await;
    expect(
        &charge_reply,
        "card_data_not_accepted",
        Some("card_number"),
        "400",
    );
    assert!(!charge_reply.0.to_string().contains("4024007153763191"));

    // A registered beneficiary that KillB has not activated cannot be paid.
    let register = json!({"idempotency_key": "b1", "type": "PSE", "data": {
        "first_name": "Juan", "last_name": "Garcia", "email": "juan@example.com", "phone": "+573001234567",
        "country_code": "CO", "account_number": "1234567890", "bank_code": "0001", "account_type": "savings",
        "document": {"type": "NUIP", "number": "1234567890", "issued_country_code": "CO"}}});
    let reg = raw(
        &nats,
        format!("{p}.cmd.beneficiary.register"),
        register.to_string().into_bytes(),
    )
    .await;
    assert_eq!(reg.0["ok"], true, "{}", reg.0);
    assert_eq!(reg.0["status"], "PENDING");
    let beneficiary_id = reg.0["beneficiary_id"].as_str().unwrap().to_string();
    let mut by_id = payout("by-id");
    by_id.as_object_mut().unwrap().remove("beneficiary");
    by_id["beneficiary_id"] = json!(beneficiary_id);
    by_id["provider"] = json!("killb");
    expect(
        &send(by_id.clone()).await,
        "invalid_beneficiary",
        Some("beneficiary_id"),
        "400",
    );
    // Once KillB reports it ACTIVE, it can.
    t.log
        .execute::<BeneficiaryDecider>(
            beneficiary_id.parse().unwrap(),
            &BeneficiaryCommand::RecordStatus(BeneficiaryStatusChanged {
                status: BeneficiaryStatus::Active,
                provider_ref: Some("acc-1".into()),
                reason: None,
            }),
            &EventMeta::default(),
            false,
        )
        .await
        .unwrap();
    let paid = send(by_id).await;
    assert_eq!(paid.0["ok"], true, "{}", paid.0);

    // Not cancellable once a provider may have it.
    let order_id: giro_domain::OrderId = paid.0["order_id"].as_str().unwrap().parse().unwrap();
    t.log
        .execute::<giro_domain::payout::PayoutDecider>(
            order_id,
            &giro_domain::payout::PayoutCommand::StartSubmission,
            &EventMeta::default(),
            false,
        )
        .await
        .unwrap();
    let body = json!({"order_id": order_id}).to_string().into_bytes();
    expect(
        &raw(&nats, cancel.clone(), body).await,
        "not_cancellable",
        None,
        "409",
    );

    // The service still serves after all of that.
    let ok = send(payout("still-alive")).await;
    assert_eq!(ok.0["ok"], true);
    assert_eq!(ok.1, None);
    intake.stop().await;
    let _ = ErrorCode::Unavailable;
}

#[tokio::test]
async fn order_get_rebuilds_state_and_history_masked() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let client = client_for(&t, nats);
    let created = client.create_payout(payout("get-1").to_string()).await;
    let id = created.str("order_id").unwrap().to_string();
    let cancelled = client.cancel_payout(&id).await;
    assert_eq!(cancelled.str("status"), Some("cancelled"));
    let got = client.get_order(&id).await;
    assert!(got.ok);
    assert_eq!(got.str("kind"), Some("payout"));
    assert_eq!(got.str("status"), Some("cancelled"));
    let types: Vec<&str> = got.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["payout.requested", "payout.cancelled"]);
    let text = serde_json::to_string(&got).unwrap();
    for secret in ["123456789", "12345678", "3001234567", "maria@example.com"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    intake.stop().await;
}
