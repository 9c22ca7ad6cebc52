//! `giro webhooks dead-letters` and `giro webhooks replay <sequence>` as SRE run them (ops/RUNBOOK.md,
//! "Dead letters"), on a private stream: a dead-lettered webhook is listed with its subscription,
//! id, attempts and last error; replay queues it again for its subscription, unchanged, and
//! removes it; a sequence that is no webhook dead letter is a clear error.

use std::process::{Command, Output, Stdio};

use async_nats::HeaderMap;
use giro_eventlog::test_support::{TestLog, nats_url};

const GIRO: &str = env!("CARGO_BIN_EXE_giro");

/// `giro webhooks …` on the test's stream, with no `GIRO_*` settings of the environment.
async fn webhooks(log: &TestLog, args: &[&str]) -> Output {
    let mut cmd = Command::new(GIRO);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GIRO_") {
            cmd.env_remove(&name);
        }
    }
    cmd.arg("webhooks")
        .args(args)
        .env("NATS_URL", nats_url())
        .env("GIRO_PREFIX", &log.config.prefix)
        .env("GIRO_STREAM", &log.config.stream)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    tokio::task::spawn_blocking(move || cmd.output().expect("giro runs"))
        .await
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn dead_lettered_webhooks_are_listed_and_replayed() {
    let log = TestLog::new().await;
    // The notification and webhook streams, as giro-notify creates them.
    giro_notify::start(
        log.log.clone(),
        giro_notify::NotifyConfig::new(log.config.clone()),
    )
    .await
    .expect("notifications start")
    .stop()
    .await;
    let js = log.log.context();
    let body = r#"{"id":"0193c6e5-7d1a-7c3e-9a41-5b2f0c8d9e10","status":"succeeded"}"#;
    let mut headers = HeaderMap::new();
    headers.insert("Giro-Webhook-Id", "0193c6e5-7d1a-7c3e-9a41-5b2f0c8d9e10");
    headers.insert("Giro-Dead-Letter-Reason", "answered HTTP 503");
    headers.insert("Giro-Webhook-Attempts", "12");
    let prefix = &log.config.prefix;
    let sequence = js
        .publish_with_headers(
            format!("{prefix}.dlq.webhooks.ledger"),
            headers,
            body.into(),
        )
        .await
        .expect("published")
        .await
        .expect("stored")
        .sequence
        .to_string();

    let out = webhooks(&log, &["dead-letters"]).await;
    assert!(out.status.success(), "{out:?}");
    let listed = stdout(&out);
    let fields: Vec<&str> = listed.trim_end().split('\t').collect();
    assert_eq!(fields.len(), 6, "{listed}");
    assert_eq!(fields[0], sequence);
    assert_eq!(
        &fields[2..],
        [
            "ledger",
            "0193c6e5-7d1a-7c3e-9a41-5b2f0c8d9e10",
            "12 attempts",
            "answered HTTP 503"
        ]
    );

    let out = webhooks(&log, &["replay", &sequence]).await;
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).contains("queued again for subscription ledger"),
        "{out:?}"
    );
    let queue = js
        .get_stream(format!("{}_WEBHOOKS", log.config.stream))
        .await
        .expect("the webhook queue");
    let queued = queue
        .get_last_raw_message_by_subject(&format!("{prefix}.webhook.ledger"))
        .await
        .expect("the delivery is queued again");
    assert_eq!(&queued.payload[..], body.as_bytes());
    assert_eq!(
        queued.headers.get("Giro-Webhook-Id").map(|v| v.as_str()),
        Some("0193c6e5-7d1a-7c3e-9a41-5b2f0c8d9e10")
    );

    let out = webhooks(&log, &["dead-letters"]).await;
    assert_eq!(stdout(&out).trim(), "no webhook dead letters", "{out:?}");
    let out = webhooks(&log, &["replay", &sequence]).await;
    assert!(!out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!("no webhook dead letter with sequence {sequence}")),
        "{said}"
    );
}
