//! Builders shared by the end-to-end tests: orders with known personal data, a running
//! projection on a private stream and schema, and waiting for it to catch up.

use std::time::Duration;

use giro_domain::beneficiary::{BeneficiaryCommand, BeneficiaryDecider};
use giro_domain::charge::{
    ChargeCommand, ChargeDecider, ChargeOutcome, ChargeReport, ChargeSubmitted, PaymentDetails,
};
use giro_domain::payout::{
    PayoutCommand, PayoutDecider, ProviderReport, ReportSource, ReportedOutcome,
};
use giro_domain::provider::Catalog;
use giro_domain::{EventMeta, OrderId};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use giro_projection::{ProjectionConfig, ProjectionHandle, StuckThresholds};
use serde_json::{Value, json};

/// Personal data put into orders; none of it may appear in full in a row or an answer.
pub const RAW_PII: [&str; 14] = [
    "40718293561",              // payout account number
    "9081726354",               // payout document number
    "3109876543",               // payout phone
    "wilhelmina.q@example.org", // payout email
    "Wilhelmina",               // payout first name
    "Quispeyupanqui",           // payout last name
    "987.654.321-00",           // charge payer tax id
    "+5511987654321",           // charge payer phone
    "zhang.payer@example.net",  // charge payer email
    "Zhangwei Payerson",        // charge payer name
    "77665544332",              // beneficiary account number
    "5566778899",               // beneficiary document number
    "+573157778899",            // beneficiary phone
    "ofelia.benef@example.com", // beneficiary email
];

pub fn meta() -> EventMeta {
    EventMeta {
        correlation_id: "projection-test".into(),
        causation_id: None,
    }
}

/// A valid `giro.cmd.payout.create` for cashy-co with the raw personal data above.
pub fn payout_body(key: &str, external_id: &str) -> Value {
    json!({
        "idempotency_key": key, "provider": "cashy-co", "amount": "250000", "currency": "COP",
        "external_id": external_id,
        "beneficiary": { "rail": "co_bank", "first_name": "Wilhelmina", "last_name": "Quispeyupanqui",
                         "email": "wilhelmina.q@example.org", "phone": "3109876543",
                         "document": {"type": "CC", "number": "9081726354"},
                         "bank_code": "001", "account_number": "40718293561", "account_type": "savings" }
    })
}

pub fn create_payout(body: &Value) -> (OrderId, PayoutCommand) {
    let draft = giro_domain::payout::parse_create(body.to_string().as_bytes()).unwrap();
    let create = draft.into_command(&Catalog::default(), None).unwrap();
    (create.order_id, PayoutCommand::Create(Box::new(create)))
}

pub fn report(
    id: &str,
    raw: &str,
    outcome: ReportedOutcome,
    reason: Option<&str>,
) -> PayoutCommand {
    PayoutCommand::RecordReport(ProviderReport {
        source: ReportSource::Webhook,
        raw_status: raw.into(),
        outcome,
        report_id: id.into(),
        // The reference the provider accepts an attempt under in these tests: reports on one
        // attempt all name it.
        provider_ref: Some("P-1".into()),
        reason: reason.map(str::to_string),
        fee: None,
        attempt: None,
        amount: None,
        completed_at: None,
        channel_ref: None,
        reported_at: None,
    })
}

/// Creates a payout and runs `then` on it; returns its id.
pub async fn payout(log: &TestLog, key: &str, then: &[PayoutCommand]) -> OrderId {
    let (id, create) = create_payout(&payout_body(key, key));
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

/// The cancellation of a charge no provider has yet.
pub fn cancel_charge() -> ChargeCommand {
    ChargeCommand::Cancel {
        reason: Some("customer changed their mind".into()),
    }
}

/// An A55 webhook report about a charge.
pub fn charge_report(
    id: &str,
    raw: &str,
    outcome: ChargeOutcome,
    amount: Option<&str>,
) -> ChargeCommand {
    ChargeCommand::RecordReport(ChargeReport {
        source: ReportSource::Webhook,
        raw_status: raw.into(),
        outcome,
        report_id: id.into(),
        charge_uuid: Some("A55-CHARGE-1".into()),
        reason: None,
        amount: amount.map(|a| a.parse().unwrap()),
        attempt: None,
        reported_at: None,
        currency: None,
    })
}

/// A55 took the charge and answered with its checkout page.
pub fn charge_submitted() -> [ChargeCommand; 2] {
    [
        ChargeCommand::StartSubmission,
        ChargeCommand::RecordSubmitted(ChargeSubmitted {
            attempt: 1,
            charge_uuid: "A55-CHARGE-1".into(),
            raw_status: "issued".into(),
            payment: PaymentDetails {
                payment_url: Some("https://pay.a55.example/checkout/1".into()),
                ..PaymentDetails::default()
            },
        }),
    ]
}

/// A charge with the raw payer data above, then `then`.
pub async fn charge(log: &TestLog, key: &str, then: &[ChargeCommand]) -> OrderId {
    let body = json!({
        "idempotency_key": key, "provider": "a55", "amount": "150.00", "installment_count": 3,
        "currency": "BRL", "method": "pix", "external_id": key,
        "payer": {"name": "Zhangwei Payerson", "email": "zhang.payer@example.net",
                  "tax_id": "987.654.321-00", "phone": "+5511987654321",
                  "address": {"street": "Av. Paulista", "address_number": "1000", "complement": "Sala 101",
                              "neighborhood": "Bela Vista", "city": "Sao Paulo", "state": "SP",
                              "postal_code": "01310-100", "country": "BR"}},
        "due_date": "2026-12-31", "description": "Order 42"
    });
    let create =
        giro_domain::charge::parse_create(body.to_string().as_bytes(), &Catalog::default())
            .unwrap();
    let id = create.order_id;
    let log = &log.log;
    log.execute::<ChargeDecider>(id, &ChargeCommand::Create(Box::new(create)), &meta(), true)
        .await
        .unwrap();
    for command in then {
        log.execute::<ChargeDecider>(id, command, &meta(), false)
            .await
            .unwrap();
    }
    id
}

/// A PSE beneficiary with the raw data above, then `statuses` as KillB reports.
pub async fn beneficiary(log: &TestLog, key: &str, statuses: &[&str]) -> OrderId {
    let body = json!({"idempotency_key": key, "type": "PSE", "external_id": key, "data": {
        "first_name": "Ofelia", "last_name": "Benefactora", "email": "ofelia.benef@example.com",
        "phone": "+573157778899", "country_code": "CO",
        "document": {"type": "CC", "number": "5566778899"},
        "account_number": "77665544332", "bank_code": "0001", "account_type": "savings"}});
    let command = giro_domain::beneficiary::parse_register(body.to_string().as_bytes()).unwrap();
    let BeneficiaryCommand::Register { id, .. } = &command else {
        unreachable!("parse_register registers")
    };
    let id = *id;
    log.log
        .execute::<BeneficiaryDecider>(id, &command, &meta(), true)
        .await
        .unwrap();
    for (n, status) in statuses.iter().enumerate() {
        let change: giro_domain::beneficiary::BeneficiaryStatusChanged =
            serde_json::from_value(json!({"status": status, "provider_ref": format!("KB-{n}")}))
                .unwrap();
        log.log
            .execute::<BeneficiaryDecider>(
                id,
                &BeneficiaryCommand::RecordStatus(change),
                &meta(),
                false,
            )
            .await
            .unwrap();
    }
    id
}

/// A projection configuration on the test's stream and schema, on a free port.
pub fn config(log: &TestLog, schema: &TestSchema) -> ProjectionConfig {
    ProjectionConfig {
        database_url: schema.database_url.clone(),
        schema: schema.name.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        log: log.config.clone(),
        batch_size: 50,
        linger: Duration::from_millis(5),
        stuck: StuckThresholds::default(),
        ..ProjectionConfig::default()
    }
}

pub async fn start(log: &TestLog, schema: &TestSchema) -> ProjectionHandle {
    giro_projection::start(config(log, schema), log.client.clone())
        .await
        .unwrap()
}

/// The stream's last sequence.
pub async fn stream_last(log: &TestLog) -> u64 {
    let js = async_nats::jetstream::new(log.client.clone());
    let stream = js.get_stream(&log.config.stream).await.unwrap();
    stream.cached_info().state.last_sequence
}

pub async fn checkpoint(schema: &TestSchema) -> u64 {
    let n: Option<i64> = sqlx::query_scalar("SELECT last_sequence FROM checkpoints")
        .fetch_optional(&schema.pool)
        .await
        .ok()
        .flatten();
    n.unwrap_or(0) as u64
}

/// Waits until the checkpoint reaches the stream's last sequence.
pub async fn caught_up(log: &TestLog, schema: &TestSchema) {
    let last = stream_last(log).await;
    for _ in 0..600 {
        if checkpoint(schema).await >= last {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "projection did not catch up: checkpoint {} of {last}",
        checkpoint(schema).await
    );
}

/// An HTTP client for the API (rustls needs its crypto provider chosen once per process).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// GET `path` on a running projection: status and body text.
pub async fn get(handle: &ProjectionHandle, path: &str) -> (u16, String) {
    let url = format!("http://{}{path}", handle.local_addr());
    let response = http().get(&url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// GET `path` expecting 200 and JSON.
pub async fn get_json(handle: &ProjectionHandle, path: &str) -> Value {
    let (status, body) = get(handle, path).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}
