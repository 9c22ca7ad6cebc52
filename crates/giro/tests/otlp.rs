//! Tracing export follows the standard OpenTelemetry variables: with
//! `OTEL_EXPORTER_OTLP_ENDPOINT` set, `giro intake` sends its spans over OTLP/HTTP to
//! `<endpoint>/v1/traces` under its service name; without it (or with `OTEL_SDK_DISABLED=true`)
//! nothing is sent. The collector here is a plain HTTP listener that records what reaches it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use giro_eventlog::test_support::{TestLog, nats_url};

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
