//! One payout is one trace across intake, the event log, the executor, the provider call, the
//! callback through the ingress and the projection; and every component's `/metrics` shows what
//! the run did. Spans go to an in-memory exporter installed for this test process.

use std::collections::HashMap;
use std::time::Duration;

use giro_domain::payout::PayoutStatus;
use giro_e2e::{Stack, StackOptions};
use giro_intake::IntakeClient;
use giro_projection::ProjectionConfig;
use giro_projection::test_support::TestSchema;
use giro_sandbox::cashy::cashy_sign;
use giro_sandbox::cashy::defaults::{CO_KEY, CO_MERCHANT};
use opentelemetry::trace::{SpanId, SpanKind, TraceId, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::json;
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

fn install_tracing() -> (InMemorySpanExporter, SdkTracerProvider) {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let tracer = provider.tracer("giro-test");
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("info"))
        .with(tracing_opentelemetry::layer().with_tracer(tracer));
    tracing::subscriber::set_global_default(subscriber).expect("one subscriber per test process");
    (exporter, provider)
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("GET answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// The value of the first series whose line starts with `series` (name and labels).
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// What a span stands for. Exported spans are named by OpenTelemetry's conventions
/// (`process <subject>`, `send <stream>`, `POST /api/…`), so roles are read from their kind and
/// attributes.
fn role(s: &SpanData) -> &'static str {
    let attr = |key: &str| {
        s.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.to_string())
    };
    match s.span_kind {
        SpanKind::Server if attr("rpc.service").as_deref() == Some("giro-intake") => "intake",
        SpanKind::Server => "http.server",
        SpanKind::Producer => "eventlog.append",
        SpanKind::Client => "provider.call",
        SpanKind::Consumer
            if attr("messaging.consumer.group.name").as_deref() == Some("projection") =>
        {
            "projection.apply"
        }
        SpanKind::Consumer => "executor.step",
        _ => match s.name.as_ref() {
            "service.send_payout" => "service.send_payout",
            "ingress.record" => "ingress.record",
            _ => "other",
        },
    }
}

fn spans_named<'a>(spans: &'a [SpanData], name: &str) -> Vec<&'a SpanData> {
    spans.iter().filter(|s| role(s) == name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_payout_is_one_trace_and_metrics_count_the_run() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (exporter, provider) = install_tracing();
    let stack = Stack::start(StackOptions::default()).await;
    let (intake, _) = stack.start_intake().await;
    let schema = TestSchema::new();
    let projection = stack
        .start_projection(
            &schema,
            ProjectionConfig {
                batch_size: 50,
                linger: Duration::from_millis(5),
                ..ProjectionConfig::default()
            },
        )
        .await;

    // A service sends the command inside its own span: the trace starts there.
    let client = IntakeClient::new(
        stack.log.client.clone(),
        stack.log.config.prefix.clone(),
        Duration::from_secs(10),
    );
    let body = json!({
        "idempotency_key": "traced-1", "provider": "cashy-co", "amount": "150000", "currency": "COP",
        "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                         "email": "maria@example.com", "phone": "3001234567",
                         "document": {"type": "CC", "number": "12345678"},
                         "bank_code": "007", "account_number": "123456789", "account_type": "savings" }
    });
    let root = tracing::info_span!("service.send_payout");
    let reply = client
        .create_payout(body.to_string())
        .instrument(root.clone())
        .await;
    drop(root);
    assert!(reply.ok, "{reply:?}");
    let id: giro_domain::OrderId = reply.body["order_id"].as_str().unwrap().parse().unwrap();
    let statuses = stack
        .wait_for(&[id], Duration::from_secs(60), |s| {
            s == PayoutStatus::Succeeded
        })
        .await;
    assert_eq!(statuses, [PayoutStatus::Succeeded]);
    let row_url = format!("http://{}/v1/payouts/{id}", projection.local_addr());
    let mut projected = false;
    for _ in 0..200 {
        let (status, body) = get(&row_url).await;
        if status == 200 && body.contains("\"status\":\"succeeded\"") {
            projected = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        projected,
        "the projection never showed the payout succeeded"
    );
    // A signed callback for an order Giro does not know: dead-lettered, and counted.
    let stranger = json!({"amount": "150000.00", "mchOrderNo": "payout-2024-001",
        "merchantId": CO_MERCHANT, "orderNo": "PAYOUT-X", "orderStatus": "SUCCESS"})
    .to_string();
    let answer = reqwest::Client::new()
        .post(format!("{}/webhooks/cashy", stack.ingress.url()))
        .header("MerchantId", CO_MERCHANT)
        .header("Sign", cashy_sign(stranger.as_bytes(), CO_KEY))
        .header("Content-Type", "application/json")
        .body(stranger)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);

    // --- the trace ---
    provider.force_flush().expect("spans flushed");
    let spans = exporter.get_finished_spans().expect("spans");
    let by_id: HashMap<SpanId, &SpanData> = spans
        .iter()
        .map(|s| (s.span_context.span_id(), s))
        .collect();
    let root = spans_named(&spans, "service.send_payout");
    assert_eq!(root.len(), 1);
    let trace: TraceId = root[0].span_context.trace_id();
    let in_trace = |name: &str| -> Vec<&SpanData> {
        spans_named(&spans, name)
            .into_iter()
            .filter(|s| s.span_context.trace_id() == trace)
            .collect()
    };
    let parent = |s: &SpanData| by_id.get(&s.parent_span_id).copied();
    let parent_name = |s: &SpanData| parent(s).map(role);
    // Events are sent in a producer span: the span that decided them is its parent.
    let decided_by = |s: &SpanData| {
        parent(s)
            .filter(|p| role(p) == "eventlog.append")
            .and_then(parent)
            .map(role)
    };
    let intake_spans = in_trace("intake");
    assert_eq!(intake_spans.len(), 1, "intake joined the caller's trace");
    assert_eq!(
        intake_spans[0].parent_span_id,
        root[0].span_context.span_id()
    );
    let steps = in_trace("executor.step");
    assert!(
        !steps.is_empty(),
        "the executor's steps are in the payout's trace"
    );
    assert!(
        steps.iter().any(|s| decided_by(s) == Some("intake")),
        "the first step follows the event intake appended"
    );
    let calls = in_trace("provider.call");
    assert!(!calls.is_empty(), "the provider call is in the trace");
    assert!(
        calls
            .iter()
            .all(|s| parent_name(s) == Some("executor.step")),
        "provider calls are children of executor steps"
    );
    let records = in_trace("ingress.record");
    assert!(
        !records.is_empty(),
        "the callback joined the payout's trace"
    );
    assert!(
        records
            .iter()
            .all(|s| matches!(decided_by(s), Some("executor.step" | "ingress.record"))),
        "a callback continues from the span of the order's latest event"
    );
    let applied = in_trace("projection.apply");
    assert!(
        applied.len() >= 3,
        "each of the payout's events is projected in its trace"
    );
    assert!(applied.iter().all(|s| matches!(
        decided_by(s),
        Some("intake" | "executor.step" | "ingress.record")
    )));
    // No personal data in span attributes.
    for s in &spans {
        for kv in &s.attributes {
            let v = kv.value.to_string();
            assert!(
                !v.contains("123456789") && !v.contains("maria@example.com"),
                "{}: {} = {v}",
                s.name,
                kv.key
            );
        }
    }

    // --- the metrics of each component ---
    let (_, ingress) = get(&format!("{}/metrics", stack.ingress.url())).await;
    let (_, projected) = get(&format!("http://{}/metrics", projection.local_addr())).await;
    // Intake and executors have no HTTP server of their own: `giro intake` and `giro executor`
    // serve the process's metrics on the ops router, scraped here as Prometheus would.
    let ops_addr = giro_telemetry::ops::serve(
        "127.0.0.1:0".parse().unwrap(),
        std::sync::Arc::new(|| Ok(())),
    )
    .await
    .unwrap();
    let (status, ops) = get(&format!("http://{ops_addr}/metrics")).await;
    assert_eq!(status, 200);
    assert_eq!(get(&format!("http://{ops_addr}/readyz")).await.0, 200);
    assert_eq!(get(&format!("http://{ops_addr}/healthz")).await.0, 200);
    for (what, text, series, at_least) in [
        (
            "intake commands",
            &ops,
            r#"giro_commands_total{command="payout-create",result="ok"}"#,
            1.0,
        ),
        (
            "events appended",
            &ops,
            r#"giro_events_appended_total{kind="payout",type="payout.requested"}"#,
            1.0,
        ),
        (
            "events appended",
            &ops,
            r#"giro_events_appended_total{kind="payout",type="payout.succeeded"}"#,
            1.0,
        ),
        (
            "provider latency",
            &ops,
            r#"giro_provider_call_seconds_count{provider="cashy-co",operation="POST /api/payOut",outcome="2xx"}"#,
            1.0,
        ),
        (
            "callbacks",
            &ingress,
            r#"giro_ingress_callbacks_total{provider="cashy-co",result="stored"}"#,
            1.0,
        ),
        (
            "dead letters",
            &ingress,
            r#"giro_dead_letters_total{component="ingress",provider="cashy-co"}"#,
            1.0,
        ),
        (
            "orders by status",
            &projected,
            r#"giro_projection_orders{kind="payouts",status="succeeded"}"#,
            1.0,
        ),
        (
            "projection applied",
            &projected,
            "giro_projection_events_applied_total",
            3.0,
        ),
        (
            "projection lag",
            &projected,
            "giro_projection_lag_events",
            0.0,
        ),
        (
            "conflicts",
            &ops,
            r#"giro_append_conflicts_total{kind="payout"}"#,
            0.0,
        ),
    ] {
        let value =
            metric(text, series).unwrap_or_else(|| panic!("{what}: no {series} in\n{text}"));
        assert!(value >= at_least, "{what}: {series} = {value}");
    }
    // The executor consumer's lag is published every few seconds; with the run done, nothing is
    // left unprocessed, and the projection has caught up with the stream.
    let pending = r#"giro_consumer_pending{consumer="giro-executor-cashy-co"}"#;
    let mut settled = false;
    for _ in 0..100 {
        let (_, text) = get(&format!("http://{ops_addr}/metrics")).await;
        let (_, projected) = get(&format!("http://{}/metrics", projection.local_addr())).await;
        if metric(&text, pending) == Some(0.0)
            && metric(&projected, "giro_projection_lag_events") == Some(0.0)
        {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        settled,
        "consumer pending and projection lag did not reach 0:\n{}",
        get(&format!("http://{ops_addr}/metrics")).await.1
    );

    projection.stop().await;
    intake.stop().await;
}
