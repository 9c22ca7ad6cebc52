//! Helpers shared by the integration tests: a sandbox on 127.0.0.1:0 with fast clocks, an HTTP
//! client, a callback receiver and polling with a deadline.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use giro_sandbox::a55::A55Config;
use giro_sandbox::cashy::{CashyConfig, CashyMerchant};
use giro_sandbox::killb::KillbConfig;
use giro_sandbox::{Sandbox, SandboxConfig, Timing};
use serde_json::Value;
use tokio::time::Instant;

pub const KILLB_EMAIL: &str = "ops@giro.test";
pub const KILLB_PASSWORD: &str = "pw-123";
pub const KILLB_SECRET: &str = "killb-secret";
pub const CO_MERCHANT: &str = "100001";
pub const CO_KEY: &str = "cashy-co-sandbox-key";
pub const TZ_MERCHANT: &str = "1002001";
pub const TZ_KEY: &str = "cashy-tz-sandbox-key";
pub const A55_CLIENT: &str = "giro-client";
pub const A55_SECRET: &str = "giro-client-secret";
pub const A55_WEBHOOK_SECRET: &str = "a55-secret";
pub const WALLET: &str = "f47ac10b-58cc-4372-a567-0e02b2c3d479";

/// Clocks fast enough for tests: documented minutes become 6 ms.
pub fn fast_timing() -> Timing {
    Timing {
        time_scale: 0.0001,
        step_delay: Duration::from_millis(30),
        reversal_delay: Duration::from_millis(150),
        callback_timeout: Duration::from_secs(5),
    }
}

/// All three simulators on free ports.
pub fn config() -> SandboxConfig {
    SandboxConfig {
        timing: fast_timing(),
        ..SandboxConfig::default()
    }
    .with(KillbConfig::new(KILLB_EMAIL, KILLB_PASSWORD, KILLB_SECRET))
    .with(CashyConfig::new(vec![
        CashyMerchant::colombia(CO_MERCHANT, CO_KEY),
        CashyMerchant::tanzania(TZ_MERCHANT, TZ_KEY),
    ]))
    .with(A55Config::new(A55_CLIENT, A55_SECRET, A55_WEBHOOK_SECRET))
}

pub async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// Polls `probe` every 20 ms until it yields a value or `seconds` pass.
pub async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One request a receiver got.
#[derive(Clone, Debug)]
pub struct Hit {
    pub at: Instant,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Hit {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("callback body is JSON")
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

/// A tiny axum server recording every POST and answering with a settable status and body.
pub struct Receiver {
    pub url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    answer: Arc<Mutex<(u16, String)>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start(status: u16, body: &str) -> Self {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(Mutex::new((status, body.to_owned())));
        let (h, a) = (Arc::clone(&hits), Arc::clone(&answer));
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let (hits, answer) = (Arc::clone(&h), Arc::clone(&a));
            async move {
                hits.lock().unwrap().push(Hit {
                    at: Instant::now(),
                    headers,
                    body,
                });
                let (status, body) = answer.lock().unwrap().clone();
                (StatusCode::from_u16(status).unwrap(), body)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/callback", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            hits,
            answer,
            task,
        }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    pub fn answer_with(&self, status: u16, body: &str) {
        *self.answer.lock().unwrap() = (status, body.to_owned());
    }

    /// Waits until at least `n` hits arrived.
    pub async fn wait_for(&self, n: usize, seconds: u64) -> Vec<Hit> {
        eventually(
            seconds,
            &format!("{n} callbacks at {}", self.url),
            || async {
                let hits = self.hits();
                (hits.len() >= n).then_some(hits)
            },
        )
        .await
    }
}

/// GET a `/_sandbox/...` path as JSON.
pub async fn sandbox_get(base: &str, path: &str) -> Value {
    client()
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
