//! The A55 client against the A55 simulator over real HTTP: charges reaching paid, error and
//! canceled, refund and cancel, OAuth2 token renewal, faults, and webhook signatures.

use std::time::Duration;

use chrono::Utc;
use giro_domain::charge::{ChargeRequested, ReportSource};
use giro_domain::provider::Catalog;
use giro_domain::{Currency, Money, Secret};
use giro_providers::a55::wire::{Charge, CreateCharge, LegacyWebhook};
use giro_providers::a55::{
    A55Client, A55Config, A55Error, A55Status, MAX_AGE, SignatureError, verify_signature,
};
use giro_sandbox::a55::{A55Config as Simulator, a55_signature};
use giro_sandbox::{FaultSettings, Sandbox, SandboxConfig, Timing};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const CLIENT_ID: &str = "giro-client";
const CLIENT_SECRET: &str = "giro-client-secret";
const WEBHOOK_SECRET: &str = "a55-webhook-secret";
const WALLET: &str = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const MERCHANT: &str = "11111111-1111-1111-1111-111111111111";

async fn sandbox(adjust: impl FnOnce(&mut Simulator)) -> Sandbox {
    let mut a55 = Simulator::new(CLIENT_ID, CLIENT_SECRET, WEBHOOK_SECRET);
    adjust(&mut a55);
    Sandbox::start(SandboxConfig {
        simulators: vec![Box::new(a55)],
        timing: Timing {
            time_scale: 0.0001,
            step_delay: Duration::from_millis(30),
            reversal_delay: Duration::from_millis(150),
            callback_timeout: Duration::from_secs(5),
        },
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn config(base_url: &str) -> A55Config {
    let mut config = A55Config::new(
        base_url,
        CLIENT_ID,
        Secret::new(CLIENT_SECRET.into()),
        WALLET,
        MERCHANT,
        Secret::new(WEBHOOK_SECRET.into()),
    );
    config.timeout = Duration::from_secs(5);
    config
}

fn client(sandbox: &Sandbox) -> A55Client {
    A55Client::new(config(&sandbox.a55_url().expect("a55 runs"))).unwrap()
}

/// A charge as intake accepts it.
fn charge(amount: &str, currency: &str, method: &str) -> ChargeRequested {
    let body = json!({
        "idempotency_key": format!("t-{}", uuid::Uuid::new_v4()), "provider": "a55",
        "amount": amount, "currency": currency, "installment_count": 1, "method": method,
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "12345678909",
                  "phone": "+5511999999999",
                  "address": {"street": "Av. Paulista", "address_number": "1000",
                              "complement": "Sala 101", "neighborhood": "Bela Vista",
                              "city": "Sao Paulo", "state": "SP", "postal_code": "01310-100",
                              "country": "BR"}},
        "due_date": "2030-12-31", "description": "Order 42",
        "redirect_url": "https://shop.example.com/done"
    });
    giro_domain::charge::parse_create(body.to_string().as_bytes(), &Catalog::default())
        .unwrap()
        .requested
}

fn handle() -> String {
    format!("G{}01", uuid::Uuid::new_v4().simple())[..28].to_string()
}

async fn settle(client: &A55Client, uuid: &str, status: A55Status) -> Charge {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let charge = client.get_charge(uuid).await.expect("the charge reads");
        if charge.status() == status {
            return charge;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {status}; last {}",
            charge.status
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn charges_reach_paid_error_and_canceled() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    for (amount, status, problem) in [
        ("150.00", A55Status::Paid, None),
        ("111.00", A55Status::Error, Some("payment_declined")),
        ("116.00", A55Status::Canceled, None),
    ] {
        let handle = handle();
        let created = client
            .create_charge(&handle, &charge(amount, "BRL", "credit_card"))
            .await
            .unwrap();
        assert_eq!(created.status(), A55Status::Issued);
        assert!(
            created.charge_payment_url.is_some(),
            "cards go to the hosted checkout"
        );
        assert_eq!(
            created.reference_external_id.as_deref(),
            Some(handle.as_str())
        );
        assert_eq!(
            created.local_currency,
            Some(amount.parse::<Decimal>().unwrap())
        );
        let done = settle(&client, &created.charge_uuid, status.clone()).await;
        assert!(done.status().is_final());
        let code = done.message.as_ref().map(|m| m.summary().0);
        assert_eq!(code.flatten().as_deref(), problem, "{amount}");
        assert_eq!(
            done.report_id(),
            format!("{}:{}", created.charge_uuid, status.as_str().to_uppercase())
        );
    }
    let orders = sandbox.registry().orders(&Default::default());
    assert!(orders.iter().all(|o| o.order.truncated.is_none()));
}

#[tokio::test]
async fn pix_charges_carry_their_payment_code() {
    let sandbox = sandbox(|_| {}).await;
    let pix = client(&sandbox)
        .create_charge(&handle(), &charge("99.90", "BRL", "pix"))
        .await
        .unwrap();
    assert!(pix.pix_copy_paste.is_some() && pix.pix_qr_code.is_some());
}

#[tokio::test]
async fn paid_charges_refund_and_open_ones_cancel_once() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let paid = client
        .create_charge(&handle(), &charge("150.00", "BRL", "credit_card"))
        .await
        .unwrap();
    settle(&client, &paid.charge_uuid, A55Status::Paid).await;
    let refunded = client
        .refund(&paid.charge_uuid, None, Some("customer asked"))
        .await
        .unwrap();
    assert_eq!(refunded.status(), A55Status::Refunded);
    let again = client
        .refund(&paid.charge_uuid, Some(Decimal::new(10, 0)), None)
        .await;
    assert!(
        matches!(again, Err(A55Error::Refused { status: 400, .. })),
        "{again:?}"
    );

    let stuck = client
        .create_charge(&handle(), &charge("119.00", "BRL", "credit_card"))
        .await
        .unwrap();
    let canceled = client.cancel(&stuck.charge_uuid).await.unwrap();
    assert_eq!(canceled.status(), A55Status::Canceled);
    match client.cancel(&stuck.charge_uuid).await {
        Err(e @ A55Error::Refused { status: 409, .. }) => assert!(!e.is_retryable()),
        other => panic!("a second cancel conflicts: {other:?}"),
    }
    let missing = client
        .get_charge("00000000-0000-0000-0000-000000000000")
        .await;
    assert!(
        matches!(missing, Err(A55Error::Refused { status: 404, .. })),
        "{missing:?}"
    );
}

#[tokio::test]
async fn expired_tokens_are_renewed() {
    let sandbox = sandbox(|a| a.token_ttl = Duration::from_secs(1)).await;
    let client = client(&sandbox);
    let created = client
        .create_charge(&handle(), &charge("150.00", "BRL", "pix"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    client.get_charge(&created.charge_uuid).await.unwrap();
}

#[tokio::test]
async fn wrong_credentials_never_send_the_charge() {
    let sandbox = sandbox(|_| {}).await;
    let mut wrong = config(&sandbox.a55_url().unwrap());
    wrong.client_secret = Secret::new("nope".into());
    let wrong = A55Client::new(wrong).unwrap();
    let handle = handle();
    let result = wrong
        .create_charge(&handle, &charge("150.00", "BRL", "pix"))
        .await;
    match result {
        Err(e @ A55Error::Token(_)) => {
            assert!(!e.may_have_happened());
            assert!(
                !e.to_string().contains("nope"),
                "secrets stay out of errors: {e}"
            );
        }
        other => panic!("expected a token error, got {other:?}"),
    }
    assert!(sandbox.registry().handles(Some("a55")).is_empty());
}

#[tokio::test]
async fn fractional_cop_is_refused_before_sending() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let mut fractional = charge("50000", "COP", "credit_card");
    fractional.money = Money::new(Decimal::new(5_000_050, 2), Currency::COP).unwrap();
    let result = client.create_charge(&handle(), &fractional).await;
    assert!(matches!(result, Err(A55Error::Invalid(_))), "{result:?}");
    assert!(
        sandbox.registry().handles(Some("a55")).is_empty(),
        "nothing reached A55"
    );
    let whole = client
        .create_charge(&handle(), &charge("50000", "COP", "credit_card"))
        .await
        .unwrap();
    assert_eq!(whole.local_currency, Some(Decimal::new(50_000, 0)));
}

#[tokio::test]
async fn faults_say_whether_the_charge_may_exist() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    client
        .create_charge(&handle(), &charge("10.00", "BRL", "pix"))
        .await
        .unwrap();
    let faults = |settings| sandbox.faults().set(settings).expect("valid faults");

    faults(FaultSettings {
        rate_limit: 1.0,
        ..FaultSettings::default()
    });
    let limited = client
        .create_charge(&handle(), &charge("10.00", "BRL", "pix"))
        .await;
    match limited {
        Err(e @ A55Error::RateLimited { .. }) => {
            assert!(e.is_retryable() && !e.may_have_happened())
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    faults(FaultSettings {
        error_5xx: 1.0,
        ..FaultSettings::default()
    });
    match client
        .create_charge(&handle(), &charge("10.00", "BRL", "pix"))
        .await
    {
        Err(A55Error::Server { code, .. }) => assert_eq!(code, "errors.unexpected"),
        other => panic!("expected a server error, got {other:?}"),
    }
    faults(FaultSettings {
        lose_response: 1.0,
        ..FaultSettings::default()
    });
    let lost = handle();
    match client
        .create_charge(&lost, &charge("10.00", "BRL", "pix"))
        .await
    {
        Err(e) => assert!(e.may_have_happened(), "{e:?}"),
        Ok(charge) => panic!("the answer was to be lost: {charge:?}"),
    }
    faults(FaultSettings::default());
    let orders = sandbox.registry().orders(&giro_sandbox::OrderFilter {
        handle: Some(lost.clone()),
        ..Default::default()
    });
    assert_eq!(
        orders.len(),
        1,
        "the lost charge exists, under its reference_external_id"
    );
}

#[test]
fn the_charge_body_is_a55s_and_has_no_card_data() {
    let config = config("http://a55.invalid");
    let request = charge("150.00", "BRL", "credit_card");
    let body: Value =
        serde_json::to_value(CreateCharge::new(&config, "G1", &request).unwrap()).unwrap();
    assert_eq!(body["installment_value"], json!(150));
    assert_eq!(body["reference_external_id"], "G1");
    assert_eq!(body["type_charge"], "credit_card");
    assert_eq!(body["due_date"], "2030-12-31");
    assert_eq!(body["payer_address"]["postal_code"], "01310-100");
    assert_eq!(
        (body["wallet_uuid"].as_str(), body["merchant_id"].as_str()),
        (Some(WALLET), Some(MERCHANT))
    );
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert!(keys.iter().all(|k| !k.starts_with("card")), "{keys:?}");
}

#[test]
fn webhook_signatures_and_bodies() {
    let body = br#"{"charge_uuid":"c-1","status":"paid","local_currency":150.00,"currency":"BRL","message":null}"#;
    let now = Utc::now();
    let stamp = now.timestamp();
    let signature = a55_signature(WEBHOOK_SECRET, stamp, body);
    let client = A55Client::new(config("http://a55.invalid")).unwrap();
    assert_eq!(
        client.verify_webhook(&stamp.to_string(), body, &signature, now),
        Ok(())
    );
    let stale = stamp - 301;
    let old = a55_signature(WEBHOOK_SECRET, stale, body);
    assert!(matches!(
        verify_signature(WEBHOOK_SECRET, &stale.to_string(), body, &old, now, MAX_AGE),
        Err(SignatureError::Stale { .. })
    ));
    let mut flipped = body.to_vec();
    flipped[3] ^= 0x01;
    assert_eq!(
        client.verify_webhook(&stamp.to_string(), &flipped, &signature, now),
        Err(SignatureError::Mismatch)
    );
    let charge = Charge::parse(body).unwrap();
    assert_eq!(
        (charge.status(), charge.report_id()),
        (A55Status::Paid, "c-1:PAID".to_string())
    );
    let legacy = LegacyWebhook::parse(
        br#"{"charge_uuid":"c-1","status":"confirmed","transaction_reference":"TR1"}"#,
    )
    .unwrap();
    assert_eq!(A55Status::parse(&legacy.status), A55Status::Confirmed);
    assert!(Charge::parse(b"[]").is_err(), "an error, never a panic");
}

/// `installment_value` is the charge's total, split across installments (seed 003's example):
/// the client sends the total, the sandbox answers it as `local_currency` with the installments
/// adding up to it, the report carries it, and a refund above it is refused.
#[tokio::test]
async fn installment_value_is_the_total_split_across_installments() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let mut request = charge("150.00", "BRL", "credit_card");
    request.installment_count = 3;
    let body = serde_json::to_value(CreateCharge::new(&config("http://x"), "h", &request).unwrap())
        .unwrap();
    assert_eq!(
        (&body["installment_value"], &body["installment_count"]),
        (&json!(150), &json!(3))
    );
    let created = client.create_charge(&handle(), &request).await.unwrap();
    assert_eq!(created.local_currency, Some(request.total()));
    let parts: Vec<Decimal> = created
        .installments
        .as_ref()
        .unwrap()
        .iter()
        .map(|i| i.local_currency.unwrap())
        .collect();
    assert_eq!(parts, vec![Decimal::new(5000, 2); 3]);
    let paid = settle(&client, &created.charge_uuid, A55Status::Paid).await;
    let report = paid.report(ReportSource::Poll);
    assert_eq!(report.amount, Some(request.total()), "{report:?}");

    let above = client
        .refund(&created.charge_uuid, Some(Decimal::new(15001, 2)), None)
        .await;
    assert!(
        matches!(above, Err(A55Error::Refused { status: 400, .. })),
        "{above:?}"
    );
    let all = client
        .refund(&created.charge_uuid, Some(request.total()), None)
        .await
        .unwrap();
    assert_eq!(all.status(), A55Status::Refunded);
    // A refund report is about the money taken back, not the total charged.
    assert_eq!(all.report(ReportSource::Poll).amount, None);
}

#[tokio::test]
async fn a_total_that_does_not_split_evenly_is_refused_before_sending() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    for (amount, currency, count) in [("100.00", "BRL", 3), ("1001", "COP", 2)] {
        let mut request = charge(amount, currency, "credit_card");
        request.installment_count = count;
        match client.create_charge(&handle(), &request).await {
            Err(A55Error::Invalid(u)) => assert_eq!(u.field, "installment_count", "{u}"),
            other => panic!("{amount} {currency} / {count}: {other:?}"),
        }
    }
    assert!(
        sandbox.registry().handles(Some("a55")).is_empty(),
        "nothing reached A55"
    );
}

/// The other reading (A55 charging `installment_value` per installment) shows as a
/// `local_currency` of value × count; the report carries it so the domain never records the
/// charge as paid at Giro's amount.
#[test]
fn a_per_installment_answer_reports_what_was_charged() {
    let request = {
        let mut r = charge("150.00", "BRL", "credit_card");
        r.installment_count = 3;
        r
    };
    let answer = json!({
        "charge_uuid": "51dcca6e-7310-4b73-a94c-90835408f2ff", "local_currency": 450.00,
        "currency": "BRL", "type": "credit_card", "status": "confirmed", "installment_count": 3,
        "installments": [
            {"local_currency": 150.00, "currency": "BRL", "status": "confirmed", "installment_number": 1},
            {"local_currency": 150.00, "currency": "BRL", "status": "confirmed", "installment_number": 2},
            {"local_currency": 150.00, "currency": "BRL", "status": "confirmed", "installment_number": 3}
        ]
    });
    let charge = Charge::parse(answer.to_string().as_bytes()).unwrap();
    let report = charge.report(ReportSource::Webhook);
    assert_eq!(report.amount, Some(Decimal::new(450, 0)));
    assert_ne!(report.amount, Some(request.total()));
    // The seed's own example, read as the total, is the charge being paid at its amount.
    let seed = json!({"charge_uuid": "c", "local_currency": 150.00, "currency": "BRL",
                      "status": "confirmed", "installment_count": 3});
    let report = Charge::parse(seed.to_string().as_bytes())
        .unwrap()
        .report(ReportSource::Webhook);
    assert_eq!(report.amount, Some(request.total()));
}
