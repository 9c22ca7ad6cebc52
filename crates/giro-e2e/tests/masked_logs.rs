//! With every log at debug level, a run of payouts through intake, the executors, the provider
//! sandboxes, the ingress and the projection writes no full account number, document number,
//! phone, email, password, token or key anywhere in the logs.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use giro_domain::payout::PayoutStatus;
use giro_e2e::*;
use giro_intake::{Intake, IntakeClient, IntakeConfig};
use giro_projection::test_support::TestSchema;
use giro_projection::{ProjectionConfig, StuckThresholds};
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;

/// Every log line, as written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_hold_no_personal_data_or_secret() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let logs = Captured::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("debug"))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(logs.clone())
                .with_ansi(false),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_writer(logs.clone()),
        );
    tracing::subscriber::set_global_default(subscriber).expect("one subscriber per process");

    let stack = Stack::start(StackOptions::default()).await;
    let intake = Intake::start(
        stack.log.client.clone(),
        stack.log.log.clone(),
        IntakeConfig {
            prefix: stack.log.config.prefix.clone(),
            ..IntakeConfig::default()
        },
    )
    .await
    .expect("intake starts");
    let schema = TestSchema::new();
    let projection = giro_projection::start(
        ProjectionConfig {
            database_url: schema.database_url.clone(),
            schema: schema.name.clone(),
            listen: "127.0.0.1:0".parse().unwrap(),
            log: stack.log.config.clone(),
            batch_size: 50,
            linger: Duration::from_millis(5),
            stuck: StuckThresholds::default(),
            ..ProjectionConfig::default()
        },
        stack.log.client.clone(),
    )
    .await
    .expect("projection starts");
    let client = IntakeClient::new(
        stack.log.client.clone(),
        stack.log.config.prefix.clone(),
        Duration::from_secs(10),
    );
    let person = json!({ "rail": "co_bank", "first_name": "Wilhelmina", "last_name": "Quintero",
        "email": "wilhelmina.q@example.org", "phone": "3157654321",
        "document": {"type": "CC", "number": "8001234567"},
        "bank_code": "007", "account_number": "40087654321", "account_type": "savings" });
    let wallet = json!({"rail": "tz_mobile", "name": "Zawadi Mwakilema", "msisdn": "255713579246",
        "operator": "tigo", "email": "zawadi.m@example.org"});
    let mut ids = vec![];
    for (key, provider, amount, currency, beneficiary) in [
        ("logs-killb", "killb", "500000", "COP", &person),
        ("logs-cashy-co", "cashy-co", "150000", "COP", &person),
        ("logs-cashy-tz", "cashy-tz", "5000", "TZS", &wallet),
        // A refused one: the refusal names the field, never its value.
        (
            "logs-bad",
            "cashy-co",
            "150000",
            "COP",
            &json!({"rail": "co_bank"}),
        ),
    ] {
        let body = json!({"idempotency_key": key, "provider": provider, "amount": amount,
            "currency": currency, "beneficiary": beneficiary});
        let reply = client.create_payout(body.to_string()).await;
        if let Some(id) = reply.body.get("order_id").and_then(|v| v.as_str()) {
            ids.push(id.parse().unwrap());
        }
    }
    assert_eq!(ids.len(), 3);
    let statuses = stack
        .wait_for(&ids, Duration::from_secs(60), |s| {
            s == PayoutStatus::Succeeded
        })
        .await;
    assert!(
        statuses.iter().all(|s| *s == PayoutStatus::Succeeded),
        "{statuses:?}"
    );
    let _ = client.get_order(&ids[0].to_string()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    projection.stop().await;
    intake.stop().await;

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(
        text.lines().count() > 50,
        "debug logging captured too little to mean anything:\n{text}"
    );
    let forbidden = [
        ("account number", "40087654321"),
        ("document number", "8001234567"),
        ("phone", "3157654321"),
        ("msisdn", "255713579246"),
        ("email", "wilhelmina.q@example.org"),
        ("email", "zawadi.m@example.org"),
        ("last name", "Quintero"),
        ("KillB password", KILLB_PASSWORD),
        ("KillB webhook secret", KILLB_SECRET),
        ("Cashy key", CO_KEY),
        ("Cashy key", TZ_KEY),
        ("A55 client secret", A55_CLIENT_SECRET),
        ("A55 webhook secret", A55_WEBHOOK_SECRET),
        ("bearer token", "Bearer "),
        ("token field", "accessToken\":\""),
        ("token field", "access_token\":\""),
    ];
    for (what, needle) in forbidden {
        if let Some(line) = text.lines().find(|l| l.contains(needle)) {
            panic!("the logs hold a {what} ({needle}):\n{line}");
        }
    }
}
