//! Test fixtures: private event logs, intake instances and a private nats-server.
#![allow(dead_code)]

use std::time::Duration;

use giro_eventlog::test_support::TestLog;
use giro_eventlog::{EventLog, EventLogConfig};
use giro_intake::{Intake, IntakeClient, IntakeConfig, IntakeHandle};
use serde_json::{Value, json};

pub async fn start_intake(client: async_nats::Client, config: &EventLogConfig) -> IntakeHandle {
    let log = EventLog::open(client.clone(), config.clone())
        .await
        .unwrap();
    Intake::start(
        client,
        log,
        IntakeConfig {
            prefix: config.prefix.clone(),
            ..IntakeConfig::default()
        },
    )
    .await
    .unwrap()
}

pub async fn connect() -> async_nats::Client {
    async_nats::connect(giro_eventlog::test_support::nats_url())
        .await
        .unwrap()
}

pub fn client_for(t: &TestLog, client: async_nats::Client) -> IntakeClient {
    IntakeClient::new(client, t.config.prefix.clone(), Duration::from_secs(10))
}

pub fn payout(key: &str) -> Value {
    json!({
        "idempotency_key": key,
        "provider": "cashy-co",
        "amount": "500000",
        "currency": "COP",
        "external_id": "payout-2024-001",
        "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                         "email": "maria@example.com", "phone": "3001234567",
                         "document": {"type": "CC", "number": "12345678"},
                         "bank_code": "001", "account_number": "123456789", "account_type": "savings" },
        "metadata": {"invoice": "F-991"}
    })
}
