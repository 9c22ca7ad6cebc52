//! Tracing export follows the standard OpenTelemetry variables: with
//! `OTEL_EXPORTER_OTLP_ENDPOINT` set, `giro intake` sends its spans over OTLP/HTTP to
//! `<endpoint>/v1/traces` under its service name; without it (or with `OTEL_SDK_DISABLED=true`)
//! nothing is sent. The collector here is a plain HTTP listener that records what reaches it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support;

use giro_eventlog::test_support::{TestLog, nats_url};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;

const GIRO: &str = env!("CARGO_BIN_EXE_giro");

/// One request that reached the collector.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    content_type: String,
    body: Vec<u8>,
}

/// An HTTP listener on a free port answering every request `200 OK`; returns its base URL and
/// what it received.
fn collector() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let sink = sink.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut writer = match stream.try_clone() {
                    Ok(w) => w,
                    Err(_) => return,
                };
                let mut reader = BufReader::new(stream);
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = request_line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_string();
                    let (mut length, mut content_type) = (0usize, String::new());
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':') {
                            match name.trim().to_ascii_lowercase().as_str() {
                                "content-length" => length = value.trim().parse().unwrap_or(0),
                                "content-type" => content_type = value.trim().to_string(),
                                _ => {}
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    sink.lock().expect("collector").push(Received {
                        path,
                        content_type,
                        body,
                    });
                    let _ = writer
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .and_then(|()| writer.flush());
                }
            });
        }
    });
    (url, received)
}

/// Runs `giro intake` on the test's stream with `otel` variables, sends it one payout with
/// `giro payout create`, stops it with SIGTERM and waits for it to exit.
fn run_intake(t: &TestLog, otel: &[(&str, &str)]) {
    let base = |cmd: &mut Command| {
        for (name, _) in std::env::vars_os() {
            let n = name.to_string_lossy();
            if n.starts_with("GIRO_") || n.starts_with("OTEL_") {
                cmd.env_remove(&name);
            }
        }
        cmd.env("NATS_URL", nats_url())
            .env("GIRO_PREFIX", &t.config.prefix)
            .env("GIRO_STREAM", &t.config.stream)
            .env("RUST_LOG", "info")
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .stdin(Stdio::null());
    };
    let mut intake = Command::new(GIRO);
    base(&mut intake);
    for (name, value) in otel {
        intake.env(name, value);
    }
    let mut intake = intake
        .args(["intake", "--metrics-addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("giro intake starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut create = Command::new(GIRO);
        base(&mut create);
        let out = create
            .args([
                "payout",
                "create",
                "--file",
                "ops/examples/payout-cashy-co.json",
                "--timeout",
                "2s",
            ])
            .output()
            .expect("giro payout create runs");
        if String::from_utf8_lossy(&out.stdout).contains("\"ok\": true")
            || String::from_utf8_lossy(&out.stdout).contains("\"ok\":true")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "intake never answered: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let term = Command::new("kill")
        .args(["-TERM", &intake.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = intake.try_wait().expect("intake status") {
            assert!(
                status.success(),
                "giro intake exits cleanly on SIGTERM: {status}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "giro intake did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_exported_when_the_otlp_endpoint_is_set_and_only_then() {
    let t = TestLog::new().await;
    let (url, received) = collector();

    run_intake(&t, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &url)]);
    let got = received.lock().expect("collector").clone();
    let traces: Vec<&Received> = got.iter().filter(|r| r.path == "/v1/traces").collect();
    assert!(!traces.is_empty(), "no spans exported: {got:?}");
    for r in &traces {
        assert_eq!(r.content_type, "application/x-protobuf");
    }
    let bodies: Vec<u8> = traces.iter().flat_map(|r| r.body.clone()).collect();
    let has = |needle: &[u8]| bodies.windows(needle.len()).any(|w| w == needle);
    assert!(
        has(b"giro-intake"),
        "the service name travels with the spans"
    );
    assert!(
        !has(b"maria@example.com") && !has(b"123456789\"") && !has(b"12345678"),
        "no personal data of the payout in the exported spans"
    );

    received.lock().expect("collector").clear();
    run_intake(&t, &[]);
    run_intake(
        &t,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &url),
            ("OTEL_SDK_DISABLED", "true"),
        ],
    );
    let got = received.lock().expect("collector").clone();
    assert!(
        got.is_empty(),
        "nothing is exported without an endpoint or with the SDK disabled: {got:?}"
    );
}

/// The spans of every OTLP/HTTP export `received` holds, decoded with OpenTelemetry's own
/// protobuf definitions, with their service names.
fn exported_spans(received: &[Received]) -> Vec<(String, Span)> {
    use prost::Message;
    let mut spans = vec![];
    for r in received.iter().filter(|r| r.path == "/v1/traces") {
        let request =
            ExportTraceServiceRequest::decode(r.body.as_slice()).expect("an OTLP export request");
        for resource in request.resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| kv.value.as_ref())
                .map(|v| format!("{:?}", v.value))
                .unwrap_or_default();
            for scope in resource.scope_spans {
                spans.extend(scope.spans.into_iter().map(|s| (service.clone(), s)));
            }
        }
    }
    spans
}

/// A span attribute as text (strings as they are, numbers in decimal).
fn attribute(span: &Span, key: &str) -> Option<String> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .map(|v| match v {
            V::StringValue(s) => s.clone(),
            V::IntValue(i) => i.to_string(),
            V::BoolValue(b) => b.to_string(),
            V::DoubleValue(d) => d.to_string(),
            other => format!("{other:?}"),
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `giro up` exporting to a collector, with JSON logs: one payout the provider fails and one
/// command intake refuses. Their spans carry the kinds, error statuses and semantic-convention
/// attributes trace back-ends read (service graphs need client/server and producer/consumer
/// pairs), and the JSON log lines carry the trace and span ids of the spans they were written in.
#[test]
fn spans_have_kinds_error_statuses_and_conventions_and_logs_carry_their_ids() {
    let (url, received) = collector();
    let mut up = support::Up::start_with(&[
        ("RUST_LOG", "info"),
        ("GIRO_LOG_FORMAT", "json"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &url),
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
    ]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let prefix = up.prefix().to_string();
    let (order_id, refused) = rt.block_on(async {
        let client = async_nats::connect(nats_url()).await.expect("NATS");
        let request = |subject: String, body: serde_json::Value| {
            let client = client.clone();
            async move {
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    match client
                        .request(subject.clone(), body.to_string().into())
                        .await
                    {
                        Ok(m) => {
                            return serde_json::from_slice::<serde_json::Value>(&m.payload)
                                .expect("a JSON reply");
                        }
                        Err(e) => {
                            assert!(Instant::now() < deadline, "no reply on {subject}: {e}");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
            }
        };
        let mut payout: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../ops/examples/payout-cashy-co.json"
            ))
            .expect("the example"),
        )
        .expect("JSON");
        // Scenario 11: the provider fails the payout (FAIL `ACCOUNT NOT EXITS`).
        payout["amount"] = "500011".into();
        let created = request(format!("{prefix}.cmd.payout.create"), payout.clone()).await;
        assert_eq!(created["ok"], true, "{created}");
        let id = created["order_id"].as_str().expect("order id").to_string();
        let mut bad = payout;
        bad["amount"] = "10.001".into();
        bad["idempotency_key"] = "refused-1".into();
        let refused = request(format!("{prefix}.cmd.payout.create"), bad).await;
        assert_eq!(refused["ok"], false, "{refused}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = request(
                format!("{prefix}.query.order.get"),
                serde_json::json!({ "order_id": id }),
            )
            .await;
            if got["status"] == "failed" {
                break;
            }
            assert!(Instant::now() < deadline, "the payout did not fail: {got}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        (id, refused)
    });
    // Spans are exported in batches: let the last one go, then stop (which flushes the rest).
    std::thread::sleep(Duration::from_millis(800));
    up.terminate();
    let spans = exported_spans(&received.lock().expect("collector"));
    assert!(!spans.is_empty(), "no spans exported:\n{}", up.log());
    let of = |kind: SpanKind| -> Vec<&Span> {
        spans
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.kind == kind as i32)
            .collect()
    };
    let is_error = |s: &Span| {
        s.status
            .as_ref()
            .is_some_and(|st| st.code == StatusCode::Error as i32)
    };

    // Intake: a server span per request, on messaging and RPC conventions; the refused one fails.
    let servers = of(SpanKind::Server);
    let intake: Vec<&&Span> = servers
        .iter()
        .filter(|s| attribute(s, "messaging.system").as_deref() == Some("nats"))
        .collect();
    let create_subject = format!("{prefix}.cmd.payout.create");
    assert!(
        intake.iter().all(
            |s| attribute(s, "rpc.service").as_deref() == Some("giro-intake")
                && attribute(s, "messaging.operation.type").as_deref() == Some("process")
        ),
        "{intake:#?}"
    );
    let refused_span = intake
        .iter()
        .find(|s| {
            attribute(s, "messaging.destination.name").as_deref() == Some(create_subject.as_str())
                && is_error(s)
        })
        .unwrap_or_else(|| panic!("no failed intake span for {refused}: {intake:#?}"));
    assert_eq!(
        attribute(refused_span, "error.type").as_deref(),
        refused["error"]["code"].as_str(),
        "{refused_span:#?}"
    );
    assert!(
        intake
            .iter()
            .any(|s| attribute(s, "messaging.destination.name").as_deref()
                == Some(create_subject.as_str())
                && !is_error(s)),
        "the accepted create is not an error: {intake:#?}"
    );

    // Events: producer spans; executors and the projection: consumer spans in the same traces.
    let producers = of(SpanKind::Producer);
    assert!(
        producers.iter().any(
            |s| attribute(s, "order_id").as_deref() == Some(order_id.as_str())
                && attribute(s, "messaging.operation.type").as_deref() == Some("send")
                && attribute(s, "messaging.destination.name")
                    .is_some_and(|d| d.starts_with(&format!("{prefix}.")))
        ),
        "{producers:#?}"
    );
    let consumers = of(SpanKind::Consumer);
    let steps: Vec<&&Span> = consumers
        .iter()
        .filter(|s| {
            s.name.starts_with("process ")
                && attribute(s, "order_id").as_deref() == Some(order_id.as_str())
        })
        .collect();
    assert!(
        steps
            .iter()
            .any(|s| attribute(s, "messaging.consumer.group.name")
                .is_some_and(|g| g.starts_with("giro-executor-"))),
        "no executor consumer span for the payout: {consumers:#?}"
    );
    let trace = steps[0].trace_id.clone();
    for s in &steps {
        assert_eq!(s.trace_id, trace, "one payout is one trace");
        let parent_is_producer = producers
            .iter()
            .any(|p| p.span_id == s.parent_span_id && p.trace_id == s.trace_id);
        assert!(
            parent_is_producer,
            "a consumer continues its producer: {s:#?}"
        );
    }

    // The provider call: a client span on HTTP conventions.
    let clients = of(SpanKind::Client);
    let call = clients
        .iter()
        .find(|s| s.trace_id == trace)
        .unwrap_or_else(|| panic!("no client span in the payout's trace: {clients:#?}"));
    assert!(
        attribute(call, "http.request.method").is_some()
            && attribute(call, "server.address").as_deref() == Some("127.0.0.1")
            && attribute(call, "http.response.status_code").is_some()
            && attribute(call, "url.full").is_some_and(|u| u.starts_with("http://127.0.0.1:")),
        "{call:#?}"
    );

    // The failure: the span that recorded `payout.failed` has an error status.
    let failed: Vec<&Span> = spans
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.trace_id == trace && is_error(s))
        .collect();
    assert!(
        failed
            .iter()
            .any(|s| attribute(s, "error.type").as_deref() == Some("payout.failed")),
        "no span of the payout's trace failed with payout.failed: {:#?}",
        spans
            .iter()
            .filter(|(_, s)| s.trace_id == trace)
            .collect::<Vec<_>>()
    );

    // The webhook the sandbox sent: an HTTP server span on the route, linked from the record.
    assert!(
        servers.iter().any(|s| s.name == "POST /webhooks/{path}"
            && attribute(s, "http.route").as_deref() == Some("/webhooks/{path}")
            && attribute(s, "http.response.status_code").is_some()),
        "no webhook server span: {servers:#?}"
    );

    // JSON logs: each line written inside a span names its trace and span.
    let lines = up.lines();
    let json: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(!json.is_empty(), "no JSON log lines: {}", lines.join("\n"));
    let refused_trace = hex(&refused_span.trace_id);
    let refused_log = json
        .iter()
        .find(|l| l["fields"]["message"] == "command refused")
        .unwrap_or_else(|| panic!("no refusal logged: {}", lines.join("\n")));
    assert_eq!(
        refused_log["trace_id"],
        refused_trace.as_str(),
        "{refused_log}"
    );
    assert_eq!(
        refused_log["span_id"],
        hex(&refused_span.span_id).as_str(),
        "{refused_log}"
    );
    for line in &json {
        if let Some(id) = line["trace_id"].as_str() {
            assert!(
                id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()),
                "{line}"
            );
        }
    }
}
