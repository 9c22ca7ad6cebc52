//! The ingress's HTTP surface against a real NATS: health, readiness and metrics answer; every
//! verification result is counted; a callback that cannot be stored (NATS down) or that takes too
//! long gets 503 so that its provider retries; arbitrary requests on every route get a status,
//! never a panic.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use giro_domain::{OrderId, ProviderId, Secret, SubmissionHandle};
use giro_eventlog::test_support::{PrivateNats, TestLog};
use giro_eventlog::{EventLog, EventLogConfig};
use giro_ingress::{IngressConfig, IngressMetrics};
use giro_providers::Registry;
use giro_providers::a55::webhook::A55Webhook;
use giro_providers::cashy::CashyCountry;
use giro_providers::cashy::webhook::{CashyMerchantHook, CashyWebhook};
use giro_providers::killb::webhook::KillbWebhook;
use giro_sandbox::a55::a55_signature;
use giro_sandbox::cashy::cashy_sign;
use giro_sandbox::killb::{KillbSignature, killb_signature};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

const KILLB_SECRET: &str = "killb-test-secret";
const CO_MERCHANT: &str = "100001";
const CO_KEY: &str = "cashy-co-test-key";
const TZ_MERCHANT: &str = "1002001";
const TZ_KEY: &str = "cashy-tz-test-key";
const A55_SECRET: &str = "a55-test-secret";

fn pid(s: &str) -> ProviderId {
    ProviderId::try_from(s.to_string()).unwrap()
}

/// Every provider configured, A55's unsigned legacy form refused.
fn config(prefix: &str) -> IngressConfig {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut providers = Registry::default();
    let killb = KillbWebhook {
        instance: pid("killb"),
        secret: Secret::new(KILLB_SECRET.into()),
    };
    let merchant = |instance: &str, merchant_id: &str, key: &str, country| CashyMerchantHook {
        instance: pid(instance),
        merchant_id: merchant_id.into(),
        api_key: Secret::new(key.into()),
        country,
    };
    let cashy = CashyWebhook {
        merchants: vec![
            merchant("cashy-co", CO_MERCHANT, CO_KEY, CashyCountry::Co),
            merchant("cashy-tz", TZ_MERCHANT, TZ_KEY, CashyCountry::Tz),
        ],
    };
    let a55 = A55Webhook {
        instance: pid("a55"),
        secret: Secret::new(A55_SECRET.into()),
        legacy: None,
    };
    providers.webhook("killb", Arc::new(killb)).unwrap();
    providers.webhook("cashy", Arc::new(cashy)).unwrap();
    providers.webhook("a55", Arc::new(a55)).unwrap();
    IngressConfig::new(any, prefix, Arc::new(providers))
}

fn router(log: &TestLog) -> Router {
    giro_ingress::router(
        log.log.clone(),
        config(&log.config.prefix),
        IngressMetrics::default(),
    )
}

async fn call(app: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn post(path: &str, headers: &[(&str, String)], body: Vec<u8>) -> Request<Body> {
    let mut request = Request::post(path).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.body(Body::from(body)).unwrap()
}

fn killb_headers(body: &[u8]) -> Vec<(&'static str, String)> {
    vec![(
        "x-signature-sha256",
        killb_signature(KillbSignature::HmacSha256, KILLB_SECRET, body),
    )]
}

fn cashy_headers(merchant: &str, key: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        ("MerchantId", merchant.to_string()),
        ("Sign", cashy_sign(body, key)),
    ]
}

fn a55_headers(at: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        ("X-Webhook-Timestamp", at.to_string()),
        ("X-Webhook-Signature", a55_signature(A55_SECRET, at, body)),
    ]
}

fn cashy_callback(handle: &str) -> Vec<u8> {
    serde_json::json!({
        "amount": "150000.00", "fee": 5150, "mchOrderNo": handle, "merchantId": CO_MERCHANT,
        "nonceStr": "1733103774518", "orderNo": format!("PAYOUT{handle}"), "orderStatus": "SUCCESS",
        "payType": "11", "completionTime": "2024-12-02 08:42:54"
    })
    .to_string()
    .into_bytes()
}

/// The value of one sample of the callbacks counter, 0 when absent.
fn callbacks(metrics: &str, provider: &str, result: &str) -> u64 {
    let wanted =
        format!("giro_ingress_callbacks_total{{provider=\"{provider}\",result=\"{result}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&wanted))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_answer() {
    let log = TestLog::new().await;
    let app = router(&log);
    assert_eq!(
        call(&app, get("/healthz")).await,
        (StatusCode::OK, "ok".into())
    );
    assert_eq!(
        call(&app, get("/readyz")).await,
        (StatusCode::OK, "ready".into())
    );
    // The Prometheus text format unless OpenMetrics is asked for.
    let response = app.clone().oneshot(get("/metrics")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let mut open = get("/metrics");
    open.headers_mut().insert(
        "accept",
        "application/openmetrics-text; version=1.0.0"
            .parse()
            .unwrap(),
    );
    let response = app.clone().oneshot(open).await.unwrap();
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&text);
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    // The ingress's own counters appear with the first callback.
    let forged = post("/webhooks/killb", &[], b"{}".to_vec());
    assert_eq!(call(&app, forged).await.0, StatusCode::UNAUTHORIZED);
    let (status, text) = call(&app, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("# TYPE giro_ingress_callbacks_total counter"),
        "{text}"
    );
    assert_eq!(callbacks(&text, "killb", "forged"), 1, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callbacks_metric_counts_every_verification_result() {
    let log = TestLog::new().await;
    let app = router(&log);
    let now = chrono::Utc::now().timestamp();
    let handle = SubmissionHandle {
        order_id: OrderId::from_uuid(uuid::Uuid::new_v4()),
        attempt: 1,
    }
    .to_string();
    let body = cashy_callback(&handle);
    let cases: Vec<(Request<Body>, StatusCode)> = vec![
        // forged: no signature, a wrong one, an unknown merchant, a wrong key, a bad A55 MAC.
        (
            post("/webhooks/killb", &[], body.clone()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            post(
                "/webhooks/killb",
                &[("x-signature-sha256", "00".repeat(32))],
                body.clone(),
            ),
            StatusCode::UNAUTHORIZED,
        ),
        (
            post(
                "/webhooks/cashy",
                &cashy_headers("999", CO_KEY, &body),
                body.clone(),
            ),
            StatusCode::UNAUTHORIZED,
        ),
        (
            post(
                "/webhooks/cashy",
                &cashy_headers(CO_MERCHANT, TZ_KEY, &body),
                body.clone(),
            ),
            StatusCode::UNAUTHORIZED,
        ),
        (
            post("/webhooks/a55", &a55_headers(now, b"{}"), body.clone()),
            StatusCode::UNAUTHORIZED,
        ),
        // stale: a correctly signed A55 webhook from 301 s ago.
        (
            post(
                "/webhooks/a55",
                &a55_headers(now - 301, &body),
                body.clone(),
            ),
            StatusCode::UNAUTHORIZED,
        ),
        // malformed but correctly signed.
        (
            post("/webhooks/killb", &killb_headers(b"[1,"), b"[1,".to_vec()),
            StatusCode::BAD_REQUEST,
        ),
        (
            post(
                "/webhooks/cashy",
                &cashy_headers(TZ_MERCHANT, TZ_KEY, b"{\"orderStatus\":5}"),
                b"{\"orderStatus\":5}".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
        ),
        // verified, for an order Giro does not have: dead-lettered, answered as received.
        (
            post(
                "/webhooks/cashy",
                &cashy_headers(CO_MERCHANT, CO_KEY, &body),
                body.clone(),
            ),
            StatusCode::OK,
        ),
        // oversized, whatever the route.
        (
            post(
                "/webhooks/a55",
                &a55_headers(now, &body),
                vec![b' '; 65 * 1024],
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (i, (request, want)) in cases.into_iter().enumerate() {
        let (status, text) = call(&app, request).await;
        assert_eq!(status, want, "case {i}: {text}");
    }
    let (_, metrics) = call(&app, get("/metrics")).await;
    for (provider, result, count) in [
        ("killb", "forged", 2),
        ("cashy", "forged", 2),
        ("a55", "forged", 1),
        ("a55", "stale", 1),
        ("killb", "malformed", 1),
        ("cashy-tz", "malformed", 1),
        ("cashy-co", "unknown_order", 1),
        ("a55", "oversized", 1),
    ] {
        assert_eq!(
            callbacks(&metrics, provider, result),
            count,
            "{provider} {result}: {metrics}"
        );
    }
    assert_eq!(callbacks(&metrics, "cashy-co", "stored"), 0, "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_and_503_while_nats_is_down_then_the_retry_is_taken() {
    let mut nats = PrivateNats::start();
    let client = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .connect(nats.url())
        .await
        .unwrap();
    let log = EventLog::open(
        client,
        EventLogConfig {
            ack_timeout: Duration::from_secs(1),
            ..EventLogConfig::default()
        },
    )
    .await
    .unwrap();
    let app = giro_ingress::router(log, config("giro"), IngressMetrics::default());
    assert_eq!(call(&app, get("/readyz")).await.0, StatusCode::OK);
    let handle = SubmissionHandle {
        order_id: OrderId::from_uuid(uuid::Uuid::new_v4()),
        attempt: 1,
    }
    .to_string();
    let body = cashy_callback(&handle);
    let callback = || {
        post(
            "/webhooks/cashy",
            &cashy_headers(CO_MERCHANT, CO_KEY, &body),
            body.clone(),
        )
    };

    nats.stop();
    let deadline = Instant::now() + Duration::from_secs(15);
    while call(&app, get("/readyz")).await.0 == StatusCode::OK {
        assert!(Instant::now() < deadline, "still ready with NATS stopped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        call(&app, get("/readyz")).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "NATS is not connected".into()
        )
    );
    // A verified callback that cannot be stored: 5xx, so that Cashy retries.
    assert_eq!(
        call(&app, callback()).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let (_, metrics) = call(&app, get("/metrics")).await;
    assert_eq!(
        callbacks(&metrics, "cashy-co", "unavailable"),
        1,
        "{metrics}"
    );

    // NATS returns: ready again, and the retry is taken (kept as an unknown order's callback).
    nats.run(true);
    let deadline = Instant::now() + Duration::from_secs(15);
    while call(&app, get("/readyz")).await.0 != StatusCode::OK {
        assert!(Instant::now() < deadline, "not ready after NATS returned");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, text) = call(&app, callback()).await;
        if status == StatusCode::OK {
            assert_eq!(text, "SUCCESS");
            break;
        }
        assert!(Instant::now() < deadline, "{status}: {text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_that_takes_too_long_gets_503_and_is_counted() {
    let log = TestLog::new().await;
    let mut config = config(&log.config.prefix);
    config.request_timeout = Duration::from_millis(300);
    let ingress = giro_ingress::start(log.log.clone(), config).await.unwrap();
    // A body announced and never finished.
    let mut stream = tokio::net::TcpStream::connect(ingress.addr).await.unwrap();
    stream
        .write_all(
            b"POST /webhooks/killb HTTP/1.1\r\nHost: ingress\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"id\":",
        )
        .await
        .unwrap();
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("answered within the time-out")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");

    let _ = rustls::crypto::ring::default_provider().install_default();
    let metrics = reqwest::get(format!("{}/metrics", ingress.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(callbacks(&metrics, "killb", "timeout"), 1, "{metrics}");
    ingress.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_process_metrics_the_ingress_serves_only_its_own_series() {
    let log = TestLog::new().await;
    giro_telemetry::metrics::command("payout-create", "ok");
    let mut own = config(&log.config.prefix);
    own.process_metrics = false;
    let app = giro_ingress::router(log.log.clone(), own, IngressMetrics::default());
    let forged = post("/webhooks/killb", &[], b"{}".to_vec());
    assert_eq!(call(&app, forged).await.0, StatusCode::UNAUTHORIZED);
    let (_, text) = call(&app, get("/metrics")).await;
    assert!(text.contains("giro_ingress_callbacks_total"), "{text}");
    assert!(!text.contains("giro_commands_total"), "{text}");
    // By default (an ingress process of its own) both.
    let (_, text) = call(&router(&log), get("/metrics")).await;
    assert!(text.contains("giro_commands_total"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_header_lines_is_cut_off_at_the_header_timeout() {
    let log = TestLog::new().await;
    let mut config = config(&log.config.prefix);
    config.header_timeout = Duration::from_millis(800);
    let ingress = giro_ingress::start(log.log.clone(), config).await.unwrap();
    let mut stream = tokio::net::TcpStream::connect(ingress.addr).await.unwrap();
    stream
        .write_all(b"POST /webhooks/killb HTTP/1.1\r\nHost: ingress\r\n")
        .await
        .unwrap();
    // One more header line every 200 ms, never the blank line that ends the head: the server
    // closes the connection once the head has taken longer than the time-out.
    let started = Instant::now();
    let closed_after = loop {
        let line = format!("X-Slow-{}: 1\r\n", started.elapsed().as_millis());
        if stream.write_all(line.as_bytes()).await.is_err() {
            break started.elapsed();
        }
        let mut answer = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut answer)).await {
            Ok(Ok(_)) | Ok(Err(_)) => break started.elapsed(),
            Err(_) => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the connection is still open after 10 s of header lines"
        );
    };
    assert!(
        closed_after >= Duration::from_millis(600),
        "{closed_after:?}"
    );
    println!("a trickled head was cut off after {closed_after:?}");
    // The ingress still answers others.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let health = reqwest::get(format!("{}/healthz", ingress.url()))
        .await
        .unwrap();
    assert!(health.status().is_success());
    ingress.stop().await;
}

/// One request to the router: a route, headers (a chosen or arbitrary name, arbitrary bytes),
/// a body, and whether to sign the body correctly for the route (so that it reaches the parsers).
#[derive(Debug, Clone)]
struct Arbitrary {
    route: usize,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    signed: bool,
}

const ROUTES: [&str; 3] = ["/webhooks/killb", "/webhooks/cashy", "/webhooks/a55"];

fn arbitrary_request() -> impl Strategy<Value = Arbitrary> {
    let name = prop_oneof![
        Just("x-signature-sha256".to_string()),
        Just("MerchantId".to_string()),
        Just("Sign".to_string()),
        Just("X-Webhook-Signature".to_string()),
        Just("X-Webhook-Timestamp".to_string()),
        Just("content-type".to_string()),
        "[a-zA-Z][a-zA-Z0-9-]{0,20}",
    ];
    let value = proptest::collection::vec(any::<u8>(), 0..64);
    // Bytes of any kind, or JSON shaped like a callback with arbitrary field values.
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..1024),
        (".{0,24}", ".{0,40}", 0..1_000_000i64).prop_map(|(status, handle, n)| {
            serde_json::json!({
                "id": handle, "event": "PAYOUT", "action": "UPDATE", "attempts": n % 10,
                "data": {"id": handle, "status": status, "externalId": handle, "amount": n},
                "orderNo": handle, "mchOrderNo": handle, "orderStatus": status, "amount": n,
                "charge_uuid": handle, "status": status, "reference_external_id": handle
            })
            .to_string()
            .into_bytes()
        }),
    ];
    (
        0..ROUTES.len(),
        proptest::collection::vec((name, value), 0..6),
        body,
        any::<bool>(),
    )
        .prop_map(|(route, headers, body, signed)| Arbitrary {
            route,
            headers,
            body,
            signed,
        })
}

fn build(input: &Arbitrary) -> Request<Body> {
    let mut request = Request::post(ROUTES[input.route]);
    for (name, value) in &input.headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            axum::http::HeaderValue::from_bytes(value),
        ) {
            request = request.header(name, value);
        }
    }
    if input.signed {
        let signature = match input.route {
            0 => killb_headers(&input.body),
            1 => cashy_headers(CO_MERCHANT, CO_KEY, &input.body),
            _ => a55_headers(chrono::Utc::now().timestamp(), &input.body),
        };
        let headers = request.headers_mut().unwrap();
        for (name, value) in signature {
            headers.insert(name, value.parse().unwrap());
        }
    }
    request.body(Body::from(input.body.clone())).unwrap()
}

#[test]
fn arbitrary_requests_on_every_route_get_a_status_never_a_panic() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let log = runtime.block_on(TestLog::new());
    let app = router(&log);
    let mut runner = TestRunner::new(ProptestConfig::with_cases(128));
    runner
        .run(&arbitrary_request(), |input| {
            let status = runtime
                .block_on(async { app.clone().oneshot(build(&input)).await.map(|r| r.status()) });
            let status = status.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert!(
                status.is_success() || status.is_client_error() || status.is_server_error(),
                "{status}"
            );
            // Only a correctly signed body gets past verification; nothing else is answered as
            // received.
            if input.signed {
                prop_assert!(
                    status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
                    "signed answered {}",
                    status
                );
            } else {
                prop_assert!(status.is_client_error(), "unsigned answered {}", status);
            }
            Ok(())
        })
        .unwrap();
    drop(app);
    drop(runtime);
    drop(log);
}
