//! Payout batches (issue #21 item 4) on the real stack: a batch of hundreds of payouts across
//! every payout sandbox is paid item by item, each exactly once, and its read-model row ends
//! `completed` with the right totals; a batch cancelled while some items are with a provider
//! leaves those alone and cancels the rest, which no provider ever sees.

use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use giro_domain::payout::PayoutStatus as S;
use giro_domain::{IdempotencyKey, OrderId, OrderKind};
use giro_e2e::{Stack, StackOptions, payout_providers};
use giro_projection::test_support::TestSchema;
use giro_projection::{ProjectionConfig, ProjectionHandle};
use giro_sandbox::simulator::{SampleKind, sample_for};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const WITHIN: Duration = Duration::from_secs(120);

fn amount(provider: &str) -> &'static str {
    if provider == "cashy-tz" {
        "5000"
    } else {
        "150000"
    }
}

fn item(key: &str, provider: &str) -> Value {
    let sample = sample_for(SampleKind::Payout, Some(provider)).expect("a sample");
    sample.body(&sample.order(key, amount(provider), 0))
}

fn id_of(key: &str) -> OrderId {
    let key = IdempotencyKey::try_from(key.to_string()).unwrap();
    OrderId::for_idempotency_key(OrderKind::Payout, &key)
}

fn sent(stack: &Stack, provider: &str, id: OrderId) -> u32 {
    stack
        .sandbox_orders(provider, id)
        .iter()
        .map(|o| o.submissions)
        .sum()
}

async fn start_projection(stack: &Stack, schema: &TestSchema) -> ProjectionHandle {
    stack
        .start_projection(
            schema,
            ProjectionConfig {
                batch_size: 200,
                linger: Duration::from_millis(5),
                ..ProjectionConfig::default()
            },
        )
        .await
}

/// The batch's row once `done` says it is there.
async fn row_when(api: &str, batch: &str, done: impl Fn(&Value) -> bool) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let deadline = Instant::now() + WITHIN;
    loop {
        let response = reqwest::get(format!("{api}/v1/batches/{batch}"))
            .await
            .unwrap();
        if response.status().is_success() {
            let row: Value = response.json().await.unwrap();
            if done(&row) {
                return row;
            }
            assert!(Instant::now() < deadline, "the batch stays {row}");
        }
        assert!(Instant::now() < deadline, "no row for batch {batch}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_hundreds_is_paid_once_each_and_completes_with_its_totals() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stack = Stack::start(StackOptions::default()).await;
    let schema = TestSchema::new();
    let projection = start_projection(&stack, &schema).await;
    let (_intake, client) = stack.start_intake().await;
    let providers = payout_providers();
    let items: Vec<(String, &str)> = (0..300)
        .map(|i| (format!("payroll-{i}"), providers[i % providers.len()]))
        .collect();
    let bodies: Vec<Value> = items.iter().map(|(k, p)| item(k, p)).collect();
    let body = json!({"idempotency_key": "payroll-e2e", "items": bodies});
    let reply = client.create_batch(body.to_string()).await;
    assert!(reply.ok, "{reply:?}");
    let batch = reply.str("batch_id").unwrap().to_string();
    let ids: Vec<OrderId> = items.iter().map(|(k, _)| id_of(k)).collect();
    let statuses = stack.wait_for(&ids, WITHIN, |s| s.is_terminal()).await;
    assert_eq!(statuses, vec![S::Succeeded; ids.len()]);
    for ((_, provider), id) in items.iter().zip(&ids) {
        assert_eq!(sent(&stack, provider, *id), 1, "{provider} {id}");
    }
    let api = format!("http://{}", projection.local_addr());
    let row = row_when(&api, &batch, |r| r["status"] == "completed").await;
    assert_eq!(
        (&row["succeeded"], &row["items_received"]),
        (&json!(300), &json!(300)),
        "{row}"
    );
    let mut expected: std::collections::BTreeMap<&str, Decimal> = Default::default();
    for (_, provider) in &items {
        let currency = if *provider == "cashy-tz" {
            "TZS"
        } else {
            "COP"
        };
        *expected.entry(currency).or_default() += amount(provider).parse::<Decimal>().unwrap();
    }
    for (currency, sum) in expected {
        let total: Decimal = row["totals"][currency].as_str().unwrap().parse().unwrap();
        let paid: Decimal = row["amounts"][currency]["succeeded"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!((total, paid), (sum, sum), "{currency}: {row}");
    }
    let summary = stack.sandbox.registry().summary();
    assert!(summary.exactly_once, "{summary:?}");
    projection.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_batch_leaves_what_providers_have_and_cancels_the_rest() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stack = Stack::start(StackOptions::default()).await;
    let schema = TestSchema::new();
    let projection = start_projection(&stack, &schema).await;
    let (_intake, client) = stack.start_intake().await;
    let tomorrow =
        (Utc::now() + chrono::TimeDelta::days(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut bodies = Vec::new();
    let mut now_ids = Vec::new();
    let mut later_ids = Vec::new();
    for i in 0..10 {
        let key = format!("run-{i}");
        let mut body = item(&key, "cashy-co");
        if i % 2 == 1 {
            body["execute_at"] = json!(tomorrow);
            later_ids.push(id_of(&key));
        } else {
            now_ids.push(id_of(&key));
        }
        bodies.push(body);
    }
    let reply = client
        .create_batch(json!({"idempotency_key": "run-e2e", "items": bodies}).to_string())
        .await;
    assert!(reply.ok, "{reply:?}");
    let batch = reply.str("batch_id").unwrap().to_string();
    // The items made at once are with the provider (or paid) before the cancellation.
    let deadline = Instant::now() + WITHIN;
    for id in &now_ids {
        while sent(&stack, "cashy-co", *id) == 0 {
            assert!(Instant::now() < deadline, "{id} never reached the provider");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let cancel = client.cancel_batch(&batch, Some("wrong file")).await;
    assert!(cancel.ok, "{cancel:?}");
    assert_eq!(
        (&cancel.body["cancelled"], &cancel.body["not_cancellable"]),
        (&json!(5), &json!(5))
    );
    let paid = stack.wait_for(&now_ids, WITHIN, |s| s.is_terminal()).await;
    assert_eq!(paid, vec![S::Succeeded; now_ids.len()]);
    for id in &later_ids {
        assert_eq!(stack.status(*id).await, S::Cancelled);
        assert_eq!(sent(&stack, "cashy-co", *id), 0);
    }
    let api = format!("http://{}", projection.local_addr());
    let row = row_when(&api, &batch, |r| r["succeeded"] == 5 && r["cancelled"] == 5).await;
    assert_eq!(row["status"], "cancelled", "{row}");
    projection.stop().await;
}
