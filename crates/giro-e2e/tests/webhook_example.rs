//! The example receiver of `ops/examples/notifications/` (README.md, "Notifications out") against
//! a real delivery: it verifies a webhook Giro sent and prints the notification, and refuses one
//! signed over another body or with another secret.

use std::time::{Duration, Instant};

use giro_e2e::{Stack, StackOptions};
use giro_notify::{NotifyConfig, Subscriptions};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const WITHIN: Duration = Duration::from_secs(60);

/// The example receiver of `ops/examples/notifications/` (Python, standard library) on a free
/// port with `secret`; stopped when dropped.
struct ExampleReceiver {
    child: std::process::Child,
    url: String,
    lines: std::sync::mpsc::Receiver<String>,
}

impl ExampleReceiver {
    fn start(secret: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../ops/examples/notifications/webhook_receiver.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .env("GIRO_WEBHOOK_SECRET", secret)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs the example receiver");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = send.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the example receiver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        ExampleReceiver {
            child,
            url: format!("http://127.0.0.1:{port}/giro"),
            lines,
        }
    }
}

impl Drop for ExampleReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_example_receiver_verifies_giro_webhooks_and_refuses_forged_ones() {
    let stack = Stack::start(StackOptions::default()).await;
    let secret = "whsec-example-0123456789abcdef";
    let receiver = ExampleReceiver::start(secret);
    let secrets = std::env::temp_dir().join(format!("giro-example-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&secrets).unwrap();
    std::fs::write(secrets.join("example"), secret).unwrap();
    let file = serde_json::json!({"subscriptions": [
        {"id": "example", "url": receiver.url, "secret_file": "example", "events": ["payout.succeeded"]},
    ]});
    let mut config = NotifyConfig::new(stack.log.config.clone());
    config.subscriptions =
        Subscriptions::parse(&file.to_string(), &secrets).expect("subscriptions are valid");
    let notify = giro_stack::start_notify(&stack.log.log, Some(config))
        .await
        .expect("notifications start");

    let id = stack.create("webhook-example", "killb", "500000").await;
    let line = tokio::task::spawn_blocking(move || {
        receiver.lines.recv_timeout(WITHIN).map(|l| (l, receiver))
    })
    .await
    .unwrap();
    let (line, receiver) = line.expect("the example receiver printed the notification");
    assert!(line.starts_with(&format!("payout {id}: ")), "{line}");
    assert!(
        line.contains("-> succeeded (500000 COP, killb, failure None)"),
        "{line}"
    );

    // Signed for another body, or with another secret: refused, and nothing printed.
    let body = r#"{"kind":"payout","status":"succeeded"}"#;
    let now = chrono::Utc::now().timestamp();
    let sign = |secret: &str, body: &str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{now}.{body}").as_bytes());
        format!("t={now},v1={}", hex::encode(mac.finalize().into_bytes()))
    };
    let http = reqwest::Client::new();
    for signature in [sign(secret, "{}"), sign("another-secret-0123456789", body)] {
        let answer = http
            .post(&receiver.url)
            .header("Giro-Signature", signature)
            .header("Giro-Webhook-Id", "forged")
            .body(body)
            .send()
            .await
            .expect("the example receiver answers");
        assert_eq!(answer.status().as_u16(), 401);
    }
    assert!(
        receiver.lines.try_recv().is_err(),
        "a forged webhook is not handled"
    );
    notify.stop().await;
    drop(receiver);
    let _ = std::fs::remove_dir_all(&secrets);
}
