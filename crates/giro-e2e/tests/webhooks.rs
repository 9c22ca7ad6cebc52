//! Signed webhooks out (CONTRACT.md §4, "Webhooks out"): a payout driven through the sandbox to
//! `succeeded` is POSTed to every subscription that wants it. A receiver verifies each delivery as
//! an internal service would (HMAC-SHA256 of `<t>.<raw body>` with its secret, compared in
//! constant time, a recent `t`) and a tampered body fails; a receiver that answers 500 gets the
//! same webhook again until it answers 200; one that keeps failing past a short retry horizon
//! ends in a dead letter, which replay delivers once the endpoint works.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use giro_domain::payout::PayoutStatus;
use giro_e2e::{Stack, StackOptions};
use giro_notify::{NotifyConfig, RetryPolicy, Subscriptions, dead_letters};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

const WITHIN: Duration = Duration::from_secs(60);

/// One POST as the receiver got it.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
    answered: u16,
}

/// An endpoint that fails its first `fail_first` requests (and every one while `down`).
#[derive(Default)]
struct Endpoint {
    fail_first: usize,
    down: bool,
    received: Vec<Received>,
}

type Shared = Arc<Mutex<Endpoint>>;

async fn receive(State(endpoint): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut e = endpoint.lock().unwrap();
    let fail = e.down || e.received.len() < e.fail_first;
    let status = if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    e.received.push(Received {
        headers,
        body,
        answered: status.as_u16(),
    });
    status
}

/// Serves one endpoint on a free port; returns its URL.
async fn serve(endpoint: Shared) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/giro", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/giro", axum::routing::post(receive))
        .with_state(endpoint);
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Verifies a delivery as an internal service would: `Giro-Signature: t=<unix>,v1=<hex>` is
/// HMAC-SHA256 keyed with the shared secret over `<t>.<raw body>`, and `t` is recent.
fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let header = headers
        .get("Giro-Signature")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Giro-Signature")?;
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (t, v1) = (t.ok_or("no t")?, v1.ok_or("no v1")?);
    let sent: i64 = t.parse().map_err(|_| "t is not a number")?;
    if (chrono::Utc::now().timestamp() - sent).abs() > 300 {
        return Err("t is more than 5 minutes away".into());
    }
    let given = hex::decode(v1).map_err(|_| "v1 is not hex")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| "signature mismatch".to_string())
}

/// Waits until `endpoint` has answered 200 to a request `accept`s; returns all it received.
async fn delivered(
    endpoint: &Shared,
    within: Duration,
    accept: impl Fn(&Received) -> bool,
) -> Vec<Received> {
    let deadline = Instant::now() + within;
    loop {
        let received = endpoint.lock().unwrap().received.clone();
        if received.iter().any(|r| r.answered == 200 && accept(r)) || Instant::now() > deadline {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhooks_are_signed_retried_dead_lettered_and_replayed() {
    let stack = Stack::start(StackOptions::default()).await;
    let secrets = std::env::temp_dir().join(format!("giro-webhooks-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&secrets).unwrap();
    let secret = |name: &str| format!("whsec-{name}-0123456789abcdef");
    for name in ["verified", "flaky", "down"] {
        std::fs::write(secrets.join(name), format!("{}\n", secret(name))).unwrap();
    }
    let verified = Shared::default();
    let flaky = Arc::new(Mutex::new(Endpoint {
        fail_first: 2,
        ..Endpoint::default()
    }));
    let down = Arc::new(Mutex::new(Endpoint {
        down: true,
        ..Endpoint::default()
    }));
    let file = serde_json::json!({"subscriptions": [
        {"id": "verified", "url": serve(verified.clone()).await, "secret_file": "verified",
         "events": ["payout.succeeded"]},
        {"id": "flaky", "url": serve(flaky.clone()).await, "secret_file": "flaky",
         "events": ["payout.succeeded"]},
        {"id": "down", "url": serve(down.clone()).await, "secret_file": "down",
         "events": ["payout.*"]},
    ]});
    let mut config = NotifyConfig::new(stack.log.config.clone());
    config.subscriptions =
        Subscriptions::parse(&file.to_string(), &secrets).expect("subscriptions are valid");
    config.retry = RetryPolicy {
        base: Duration::from_millis(200),
        max: Duration::from_millis(500),
        horizon: Duration::from_secs(3),
    };
    let js = stack.log.log.context().clone();
    let notify = giro_stack::start_notify(&stack.log.log, Some(config.clone()))
        .await
        .expect("notifications start");

    let id = stack.create("webhook-paid", "killb", "500000").await;
    let status = stack
        .wait_for(&[id], WITHIN, PayoutStatus::is_terminal)
        .await;
    assert_eq!(status, [PayoutStatus::Succeeded]);

    // (1) Delivered once, signed: the signature verifies, and not over a tampered body.
    let received = delivered(&verified, WITHIN, |_| true).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let webhook = &received[0];
    verify(&secret("verified"), &webhook.headers, &webhook.body).expect("signature verifies");
    let tampered = String::from_utf8(webhook.body.to_vec())
        .unwrap()
        .replace("\"500000\"", "\"900000\"");
    assert_ne!(
        tampered.as_bytes(),
        &webhook.body[..],
        "the amount is in the body"
    );
    assert_eq!(
        verify(&secret("verified"), &webhook.headers, tampered.as_bytes()),
        Err("signature mismatch".into())
    );
    assert_eq!(
        verify(&secret("flaky"), &webhook.headers, &webhook.body),
        Err("signature mismatch".into()),
        "another subscription's secret does not verify it"
    );
    let notification: Value = serde_json::from_slice(&webhook.body).unwrap();
    assert_eq!(notification["order_id"], id.to_string());
    assert_eq!(notification["status"], "succeeded");
    assert_eq!(notification["kind"], "payout");
    assert_eq!(notification["amount"], "500000");
    let header = |r: &Received, name: &str| r.headers[name].to_str().unwrap().to_string();
    assert_eq!(header(webhook, "Giro-Webhook-Id"), notification["id"]);
    assert_eq!(header(webhook, "Content-Type"), "application/json");

    // (2) Answered 500 twice, then 200: the same webhook three times, attempts counted.
    let attempts = delivered(&flaky, WITHIN, |_| true).await;
    let answers: Vec<u16> = attempts.iter().map(|r| r.answered).collect();
    assert_eq!(answers, [500, 500, 200]);
    for (n, attempt) in attempts.iter().enumerate() {
        assert_eq!(
            attempt.body, webhook.body,
            "the same notification each time"
        );
        assert_eq!(header(attempt, "Giro-Webhook-Id"), notification["id"]);
        assert_eq!(header(attempt, "Giro-Webhook-Attempt"), (n + 1).to_string());
        verify(&secret("flaky"), &attempt.headers, &attempt.body).expect("each attempt is signed");
    }

    // (3) Down past the horizon: every status change of the payout ends in a dead letter.
    let changes = {
        let deadline = Instant::now() + WITHIN;
        loop {
            let found = dead_letters::list(&js, &config)
                .await
                .expect("dead letters list");
            let statuses: Vec<String> = found
                .iter()
                .map(|d| serde_json::from_slice::<Value>(&d.body).unwrap()["status"].to_string())
                .collect();
            if statuses.iter().any(|s| s.contains("succeeded")) || Instant::now() > deadline {
                break found;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let dead = changes
        .iter()
        .find(|d| serde_json::from_slice::<Value>(&d.body).unwrap()["status"] == "succeeded")
        .expect("the succeeded webhook is dead-lettered")
        .clone();
    assert_eq!(dead.subscription, "down");
    assert_eq!(dead.reason, "answered HTTP 500");
    assert!(dead.attempts >= 2, "{dead:?}");
    assert_eq!(dead.webhook_id, notification["id"]);
    assert_eq!(dead.body, webhook.body);
    // Other status changes of the payout may still be retried; this one is not, by itself.
    let sent_to_down = || {
        let e = down.lock().unwrap();
        e.received.iter().filter(|r| r.body == webhook.body).count()
    };
    let tried = sent_to_down();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        sent_to_down(),
        tried,
        "a dead letter is not tried again by itself"
    );

    // (4) The endpoint works again: replay delivers the dead letter, signed, and removes it.
    down.lock().unwrap().down = false;
    let replayed = dead_letters::replay(&js, &config, dead.sequence)
        .await
        .expect("replay queues it");
    assert_eq!(replayed.webhook_id, dead.webhook_id);
    let received = delivered(&down, WITHIN, |r| r.body == webhook.body).await;
    let ok: Vec<&Received> = received
        .iter()
        .filter(|r| r.answered == 200 && r.body == webhook.body)
        .collect();
    assert_eq!(ok.len(), 1, "{received:?}");
    assert_eq!(ok[0].body, webhook.body);
    verify(&secret("down"), &ok[0].headers, &ok[0].body).expect("the replay is signed");
    let left = dead_letters::list(&js, &config).await.unwrap();
    assert!(
        left.iter().all(|d| d.sequence != dead.sequence),
        "the replayed dead letter is removed"
    );
    assert!(matches!(
        dead_letters::replay(&js, &config, dead.sequence).await,
        Err(giro_notify::Error::NoDeadLetter(_))
    ));

    let metrics = giro_telemetry::metrics::render();
    for needle in [
        r#"giro_webhook_deliveries_total{subscription="flaky",outcome="retried"} 2"#,
        r#"giro_webhook_deliveries_total{subscription="flaky",outcome="delivered"} 1"#,
        r#"giro_webhook_deliveries_total{subscription="verified",outcome="delivered"} 1"#,
        r#"giro_dead_letters_total{component="webhooks",provider="down"}"#,
    ] {
        assert!(
            metrics.contains(needle),
            "{needle} missing from:\n{metrics}"
        );
    }
    notify.stop().await;
    let _ = std::fs::remove_dir_all(&secrets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_waiting_for_its_retry_survives_a_restart() {
    let stack = Stack::start(StackOptions::default()).await;
    let secrets = std::env::temp_dir().join(format!("giro-webhooks-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&secrets).unwrap();
    let secret = "whsec-restart-0123456789abcdef";
    std::fs::write(secrets.join("restart"), secret).unwrap();
    let endpoint = Arc::new(Mutex::new(Endpoint {
        down: true,
        ..Endpoint::default()
    }));
    let file = serde_json::json!({"subscriptions": [
        {"id": "restart", "url": serve(endpoint.clone()).await, "secret_file": "restart",
         "events": ["payout.succeeded"]},
    ]});
    let mut config = NotifyConfig::new(stack.log.config.clone());
    config.subscriptions = Subscriptions::parse(&file.to_string(), &secrets).unwrap();
    // Long enough a wait that the first attempt's retry is still pending at the restart.
    config.retry = RetryPolicy {
        base: Duration::from_secs(2),
        max: Duration::from_secs(2),
        horizon: Duration::from_secs(3600),
    };
    let notify = giro_stack::start_notify(&stack.log.log, Some(config.clone()))
        .await
        .expect("notifications start");
    stack.create("webhook-restart", "killb", "500000").await;
    let deadline = Instant::now() + WITHIN;
    while endpoint.lock().unwrap().received.is_empty() {
        assert!(Instant::now() < deadline, "no first attempt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    notify.stop().await;
    endpoint.lock().unwrap().down = false;

    let notify = giro_stack::start_notify(&stack.log.log, Some(config))
        .await
        .expect("notifications start again");
    let received = delivered(&endpoint, WITHIN, |_| true).await;
    let answers: Vec<u16> = received.iter().map(|r| r.answered).collect();
    assert_eq!(answers, [500, 200], "{received:?}");
    let second = &received[1];
    assert_eq!(second.body, received[0].body);
    assert_eq!(second.headers["Giro-Webhook-Attempt"], "2");
    verify(secret, &second.headers, &second.body).expect("signed after the restart too");
    notify.stop().await;
    let _ = std::fs::remove_dir_all(&secrets);
}
