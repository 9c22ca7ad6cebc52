//! Test fixtures: private event logs, intake instances and a private nats-server.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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

/// A nats-server of the test's own, on a free port, so a test may stop and restart it.
pub struct PrivateNats {
    pub port: u16,
    pub store: PathBuf,
    child: Option<Child>,
}

impl PrivateNats {
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let store =
            std::env::temp_dir().join(format!("giro-nats-{}", uuid::Uuid::new_v4().simple()));
        let mut n = PrivateNats {
            port,
            store,
            child: None,
        };
        n.run(true);
        n
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// (Re)starts the server, with or without JetStream.
    pub fn run(&mut self, jetstream: bool) {
        self.stop();
        let mut cmd = Command::new(nats_server_binary());
        cmd.args(["-a", "127.0.0.1", "-p", &self.port.to_string()]);
        if jetstream {
            cmd.args(["-js", "-sd", self.store.to_str().unwrap()]);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server must be installed");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "nats-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

fn nats_server_binary() -> String {
    std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| {
        [
            "/usr/sbin/nats-server",
            "/usr/bin/nats-server",
            "/usr/local/bin/nats-server",
        ]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("nats-server")
        .to_string()
    })
}
