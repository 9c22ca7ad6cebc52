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

/// A reply as it came over the wire: its body and its service-API error headers.
#[derive(Debug)]
pub struct Wire {
    pub body: Value,
    /// `Nats-Service-Error-Code`.
    pub status: Option<String>,
    /// `Nats-Service-Error`.
    pub error: Option<String>,
}

impl Wire {
    pub fn from_message(msg: &async_nats::Message) -> Self {
        let header = |name: &str| {
            msg.headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_string())
        };
        Wire {
            body: serde_json::from_slice(&msg.payload)
                .unwrap_or_else(|e| panic!("reply is not JSON ({e}): {:?}", msg.payload)),
            status: header("Nats-Service-Error-Code"),
            error: header("Nats-Service-Error"),
        }
    }
}

/// Sends a raw body to a subject and returns the reply as it came over the wire.
pub async fn raw(client: &async_nats::Client, subject: impl ToString, body: Vec<u8>) -> Wire {
    let subject = subject.to_string();
    let msg = client
        .request(subject.clone(), body.into())
        .await
        .unwrap_or_else(|e| panic!("no reply on {subject}: {e}"));
    Wire::from_message(&msg)
}

/// Asserts a refusal: its code, field path, a message, and the service-API headers with `status`.
#[track_caller]
pub fn expect(reply: &Wire, code: &str, field: Option<&str>, status: &str) {
    let body = &reply.body;
    assert_eq!(body["ok"], false, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["field"].as_str(), field, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{body}");
    assert_eq!(reply.status.as_deref(), Some(status), "{body}");
    assert_eq!(reply.error.as_deref(), Some(message), "{body}");
}

/// The replies of every `giro-intake` instance serving `prefix` to `$SRV.<verb>.giro-intake`
/// (`INFO` or `STATS`), one per instance id, asking again until `expected` of them answered (at
/// most 5 s): an instance that has just started may not be subscribed at the server yet. Once an
/// instance has answered, its endpoints are subscribed too (they were subscribed before, on the
/// same connection). Instances of other tests on the same server answer as well; they are told
/// apart by their endpoints' subjects.
pub async fn service_instances(
    client: &async_nats::Client,
    verb: &str,
    prefix: &str,
    expected: usize,
) -> Vec<Value> {
    use futures::StreamExt;
    let ours = format!("{prefix}.");
    let serves_us = |reply: &Value| {
        reply["endpoints"].as_array().is_some_and(|es| {
            es.iter()
                .any(|e| e["subject"].as_str().is_some_and(|s| s.starts_with(&ours)))
        })
    };
    let inbox = client.new_inbox();
    let mut replies = client.subscribe(format!("{inbox}.*")).await.unwrap();
    let mut found: std::collections::BTreeMap<String, Value> = Default::default();
    let give_up = tokio::time::Instant::now() + Duration::from_secs(5);
    for round in 0.. {
        // Each round's replies go to their own inbox, so a late one is not taken for a new one.
        let round_inbox = format!("{inbox}.{round}");
        client
            .publish_with_reply(
                format!("$SRV.{verb}.giro-intake"),
                round_inbox.clone(),
                "".into(),
            )
            .await
            .unwrap();
        let mut this_round = std::collections::BTreeMap::new();
        let window = tokio::time::Instant::now() + Duration::from_millis(300);
        while let Ok(Some(msg)) = tokio::time::timeout_at(window, replies.next()).await {
            if msg.subject.as_str() != round_inbox {
                continue;
            }
            // A status message (no responders yet) has no body.
            let Ok(reply) = serde_json::from_slice::<Value>(&msg.payload) else {
                continue;
            };
            if serves_us(&reply) {
                let id = reply["id"].as_str().unwrap_or_default().to_string();
                this_round.insert(id, reply);
            }
        }
        found = this_round;
        if found.len() >= expected || tokio::time::Instant::now() >= give_up {
            break;
        }
    }
    found.into_values().collect()
}
