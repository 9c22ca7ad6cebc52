//! Every error code intake's commands can produce, with field paths and service-API headers; bad
//! input never takes the service down.

use crate::common;

use common::*;
use giro_domain::EventMeta;
use giro_domain::beneficiary::{
    BeneficiaryCommand, BeneficiaryDecider, BeneficiaryStatus, BeneficiaryStatusChanged,
};
use giro_eventlog::test_support::TestLog;
use serde_json::{Value, json};

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
    assert_eq!(send(payout("err")).await.body["ok"], true);
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
        Some("order_id"),
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
    assert!(!charge_reply.body.to_string().contains("4024007153763191"));

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
    assert_eq!(reg.body["ok"], true, "{}", reg.body);
    assert_eq!(reg.body["status"], "PENDING");
    let beneficiary_id = reg.body["beneficiary_id"].as_str().unwrap().to_string();
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
    assert_eq!(paid.body["ok"], true, "{}", paid.body);

    // Not cancellable once a provider may have it.
    let order_id: giro_domain::OrderId = paid.body["order_id"].as_str().unwrap().parse().unwrap();
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
        Some("order_id"),
        "409",
    );

    // The service still serves after all of that.
    let ok = send(payout("still-alive")).await;
    assert_eq!(ok.body["ok"], true);
    assert_eq!((ok.status, ok.error), (None, None));
    intake.stop().await;
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

fn charge(key: &str) -> Value {
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

/// `body` with the field at `path` set to `v` (`Value::Null` removes it).
fn with(mut body: Value, path: &[&str], v: Value) -> Value {
    let (last, parents) = path.split_last().unwrap();
    let mut at = &mut body;
    for k in parents {
        at = at.get_mut(*k).unwrap();
    }
    if v.is_null() {
        at.as_object_mut().unwrap().remove(*last);
    } else {
        at[*last] = v;
    }
    body
}

#[tokio::test]
async fn charge_create_refusals_name_their_field() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let subject = format!("{}.cmd.charge.create", t.config.prefix);
    let send = |v: Value| raw(&nats, subject.clone(), v.to_string().into_bytes());
    let c = || charge("charge-err");

    // Not JSON, or not an object.
    for body in [
        &b"{\"amount\": "[..],
        b"\xff\xfe",
        b"[1, 2]",
        b"\"charge\"",
        b"",
    ] {
        expect(
            &raw(&nats, subject.clone(), body.to_vec()).await,
            "invalid_json",
            None,
            "400",
        );
    }
    // Absent fields, at any depth.
    for path in [
        &["currency"][..],
        &["amount"],
        &["idempotency_key"],
        &["payer", "email"],
        &["payer", "address", "postal_code"],
    ] {
        expect(
            &send(with(c(), path, Value::Null)).await,
            "missing_field",
            Some(path.join(".").as_str()),
            "400",
        );
    }
    // Wrong types.
    for (path, v) in [
        (&["installment_count"][..], json!("one")),
        (&["installment_count"], json!(-1)),
        (&["amount"], json!(true)),
        (&["currency"], json!(986)),
        (&["method"], json!(5)),
        (&["method"], json!("cash")),
        (&["payer"], json!("Zhang Wei")),
        (&["payer", "address"], json!(["a", "1"])),
        (&["due_date"], json!(20301231)),
        (&["due_date"], json!("31/12/2030")),
        (&["capture"], json!("yes")),
        (&["idempotency_key"], json!({"k": 1})),
    ] {
        expect(
            &send(with(c(), path, v.clone())).await,
            "invalid_field",
            Some(path.join(".").as_str()),
            "400",
        );
    }
    expect(
        &send(with(c(), &["provider"], json!("stripe"))).await,
        "unknown_provider",
        Some("provider"),
        "400",
    );
    // No provider named, and none takes charges in TZS.
    let unroutable = with(
        with(c(), &["provider"], Value::Null),
        &["currency"],
        json!("TZS"),
    );
    expect(&send(unroutable).await, "no_route", None, "400");
    expect(
        &send(with(c(), &["currency"], json!("EUR"))).await,
        "unsupported_currency",
        Some("currency"),
        "400",
    );
    // KillB is a provider, but takes no charges.
    expect(
        &send(with(c(), &["provider"], json!("killb"))).await,
        "unsupported_currency",
        Some("currency"),
        "400",
    );
    // A55 takes COP and CLP in whole units only; BRL with at most two decimals.
    for (currency, amount) in [("COP", "150.50"), ("COP", "150.5"), ("CLP", "1000.5")] {
        let body = with(c(), &["currency"], json!(currency));
        expect(
            &send(with(body, &["amount"], json!(amount))).await,
            "invalid_amount_precision",
            Some("amount"),
            "400",
        );
    }
    expect(
        &send(with(c(), &["amount"], json!("150.001"))).await,
        "invalid_amount_precision",
        Some("amount"),
        "400",
    );
    let whole_cop = with(
        with(charge("charge-cop"), &["currency"], json!("COP")),
        &["amount"],
        json!("150"),
    );
    let ok = send(whole_cop).await;
    assert_eq!(ok.body["ok"], true, "{}", ok.body);
    assert_eq!((ok.status, ok.error), (None, None));
    intake.stop().await;
}

fn account(key: &str, kind: &str, data: Value) -> Value {
    let mut d = json!({"first_name": "Maria", "last_name": "Lopez", "email": "maria@example.com",
                        "phone": "+573001234567", "country_code": "CO",
                        "document": {"type": "CC", "number": "1234567890"}});
    d.as_object_mut()
        .unwrap()
        .extend(data.as_object().unwrap().clone());
    json!({"idempotency_key": key, "type": kind, "data": d})
}

fn spei(key: &str, clabe: &str) -> Value {
    account(key, "SPEI", json!({"clabe": clabe, "clabe_type": "CLABE"}))
}

#[tokio::test]
async fn beneficiary_register_refusals_conflicts_and_duplicates() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let subject = format!("{}.cmd.beneficiary.register", t.config.prefix);
    let send = |v: Value| raw(&nats, subject.clone(), v.to_string().into_bytes());
    let valid = || spei("acct-1", "032180000118359719");

    for body in [&b"{\"type\": \"SPEI\", "[..], b"\x00\x01", b"null", b"42"] {
        expect(
            &raw(&nats, subject.clone(), body.to_vec()).await,
            "invalid_json",
            None,
            "400",
        );
    }
    for (path, field) in [
        (&["type"][..], "type"),
        (&["idempotency_key"], "idempotency_key"),
        (&["data"], "data"),
        (&["data", "email"], "data.email"),
        (&["data", "clabe"], "data.clabe"),
        (&["data", "document", "number"], "data.document.number"),
    ] {
        expect(
            &send(with(valid(), path, Value::Null)).await,
            "missing_field",
            Some(field),
            "400",
        );
    }
    for (path, v) in [
        (&["type"][..], json!(5)),
        (&["type"], json!("IBAN")),
        (&["data"], json!("032180000118359719")),
        (&["data", "clabe_type"], json!("IBAN")),
        (&["data", "first_name"], json!(["Maria"])),
        (&["data", "iban"], json!("DE89370400440532013000")),
    ] {
        expect(
            &send(with(valid(), path, v)).await,
            "invalid_field",
            Some(path.join(".").as_str()),
            "400",
        );
    }
    // KillB's validations, with the offending field's path.
    let bad_clabe = send(spei("acct-1", "032180000118359718")).await;
    expect(&bad_clabe, "invalid_beneficiary", Some("data.clabe"), "400");
    let message = bad_clabe.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("check digit"), "{message}");
    let pse = account(
        "acct-2",
        "PSE",
        json!({"account_number": "1234567890", "bank_code": "9999", "account_type": "savings"}),
    );
    expect(
        &send(pse).await,
        "invalid_beneficiary",
        Some("data.bank_code"),
        "400",
    );
    let ach = account(
        "acct-3",
        "ACH",
        json!({"routing_number": "021000022", "account_number": "123456789",
               "bank_name": "Chase Bank", "account_type": "checking"}),
    );
    expect(
        &send(ach).await,
        "invalid_beneficiary",
        Some("data.routing_number"),
        "400",
    );

    // Registered once; the same body again is a duplicate of the same beneficiary.
    let first = send(valid()).await;
    assert_eq!(first.body["ok"], true, "{}", first.body);
    assert_eq!(first.body["duplicate"], false, "{}", first.body);
    assert_eq!(
        (first.status.as_deref(), first.error.as_deref()),
        (None, None)
    );
    let id = first.body["beneficiary_id"].as_str().unwrap().to_string();
    let again = send(valid()).await;
    assert_eq!(again.body["ok"], true, "{}", again.body);
    assert_eq!(again.body["duplicate"], true, "{}", again.body);
    assert_eq!(again.body["beneficiary_id"], id.as_str());
    // The same key with another body is a conflict.
    expect(
        &send(with(valid(), &["data", "first_name"], json!("Ana"))).await,
        "idempotency_conflict",
        Some("idempotency_key"),
        "409",
    );
    let history = raw(
        &nats,
        format!("{}.query.order.get", t.config.prefix),
        json!({ "order_id": id }).to_string().into_bytes(),
    )
    .await;
    assert_eq!(history.body["kind"], "beneficiary", "{}", history.body);
    assert_eq!(history.body["history"].as_array().map(Vec::len), Some(1));
    intake.stop().await;
}

#[tokio::test]
async fn cancel_refusals_name_the_order_id() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let p = &t.config.prefix;
    let unknown = || {
        json!({"order_id": uuid::Uuid::new_v4().to_string()})
            .to_string()
            .into_bytes()
    };
    for suffix in [
        "cmd.payout.cancel",
        "cmd.charge.cancel",
        "cmd.charge.refund",
    ] {
        expect(
            &raw(&nats, format!("{p}.{suffix}"), unknown()).await,
            "not_found",
            Some("order_id"),
            "404",
        );
    }

    // A payout a provider may have, and a charge already paid, can no longer be cancelled.
    let created = raw(
        &nats,
        format!("{p}.cmd.payout.create"),
        payout("nc-1").to_string().into_bytes(),
    )
    .await;
    let payout_id: giro_domain::OrderId =
        created.body["order_id"].as_str().unwrap().parse().unwrap();
    t.log
        .execute::<giro_domain::payout::PayoutDecider>(
            payout_id,
            &giro_domain::payout::PayoutCommand::StartSubmission,
            &EventMeta::default(),
            false,
        )
        .await
        .unwrap();
    expect(
        &raw(
            &nats,
            format!("{p}.cmd.payout.cancel"),
            json!({ "order_id": payout_id }).to_string().into_bytes(),
        )
        .await,
        "not_cancellable",
        Some("order_id"),
        "409",
    );

    use giro_domain::charge::{
        ChargeCommand, ChargeDecider, ChargeOutcome, ChargeReport, ReportSource,
    };
    let created = raw(
        &nats,
        format!("{p}.cmd.charge.create"),
        charge("nc-2").to_string().into_bytes(),
    )
    .await;
    let charge_id: giro_domain::OrderId =
        created.body["order_id"].as_str().unwrap().parse().unwrap();
    for command in [
        ChargeCommand::StartSubmission,
        ChargeCommand::RecordReport(ChargeReport {
            source: ReportSource::Webhook,
            raw_status: "paid".into(),
            outcome: ChargeOutcome::Paid,
            report_id: "nc-2:paid".into(),
            charge_uuid: Some("nc-2".into()),
            reason: None,
            amount: None,
            attempt: None,
            reported_at: None,
            currency: None,
        }),
    ] {
        t.log
            .execute::<ChargeDecider>(charge_id, &command, &EventMeta::default(), false)
            .await
            .unwrap();
    }
    expect(
        &raw(
            &nats,
            format!("{p}.cmd.charge.cancel"),
            json!({ "order_id": charge_id }).to_string().into_bytes(),
        )
        .await,
        "not_cancellable",
        Some("order_id"),
        "409",
    );
    intake.stop().await;
}

/// NATS is up but the event stream is gone: intake itself answers `unavailable` with the
/// service-API status 503, promptly, on every command; and serves again once the stream is back.
#[tokio::test]
async fn the_service_answers_unavailable_503_when_its_event_stream_is_gone() {
    use std::time::{Duration, Instant};

    // Reads from a stream that is gone wait out the JetStream timeout; keep it short.
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let t = TestLog::with_config(giro_eventlog::EventLogConfig {
        stream: format!("GIRO_EVENTS_T{tag}"),
        prefix: format!("t{tag}"),
        ack_timeout: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let p = &t.config.prefix;
    let before = raw(
        &nats,
        format!("{p}.cmd.payout.create"),
        payout("before").to_string().into_bytes(),
    )
    .await;
    assert_eq!(before.body["ok"], true, "{}", before.body);
    let before_id = before.body["order_id"].as_str().unwrap().to_string();

    let js = async_nats::jetstream::new(t.client.clone());
    js.delete_stream(&t.config.stream).await.unwrap();

    let command_timeout = Duration::from_secs(5);
    let order = json!({ "order_id": before_id }).to_string();
    for (suffix, body) in [
        ("cmd.payout.create", payout("during").to_string()),
        ("cmd.payout.cancel", order.clone()),
        ("cmd.charge.create", charge("during").to_string()),
        ("cmd.charge.refund", order.clone()),
        (
            "cmd.beneficiary.register",
            spei("during", "032180000118359719").to_string(),
        ),
        ("query.order.get", order.clone()),
    ] {
        let started = Instant::now();
        let request = async_nats::Request::new()
            .payload(body.into())
            .timeout(Some(command_timeout));
        let msg = nats
            .send_request(format!("{p}.{suffix}"), request)
            .await
            .unwrap_or_else(|e| panic!("intake did not answer on {suffix}: {e}"));
        let took = started.elapsed();
        let reply = Wire::from_message(&msg);
        expect(&reply, "unavailable", None, "503");
        assert!(took < command_timeout, "{suffix} took {took:?}");
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("event log"), "{suffix}: {message}");
    }

    // The stream is provisioned again: the same instance serves without a restart.
    giro_eventlog::EventLog::open(t.client.clone(), t.config.clone())
        .await
        .unwrap();
    let after = raw(
        &nats,
        format!("{p}.cmd.payout.create"),
        payout("after").to_string().into_bytes(),
    )
    .await;
    assert_eq!(after.body["ok"], true, "{}", after.body);
    assert_eq!((after.status, after.error), (None, None));
    intake.stop().await;
}
