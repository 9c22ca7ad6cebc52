//! TestPay's sandbox: payouts are `PENDING` when created and `PAID` a moment later, when the
//! webhook is posted to the payout's `notify_url` (retried until it is answered 2xx).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::TOKEN_HEADER;

#[derive(Deserialize)]
struct Create {
    handle: String,
    notify_url: String,
}

#[derive(Clone)]
struct Sandbox {
    /// Handle → (id, status).
    payouts: Arc<Mutex<HashMap<String, (String, String)>>>,
    token: String,
    http: reqwest::Client,
}

/// A running sandbox.
pub struct TestPaySandbox {
    pub url: String,
    /// How many payouts were created, by handle.
    payouts: Arc<Mutex<HashMap<String, (String, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestPaySandbox {
    /// The payouts TestPay holds.
    pub fn created(&self) -> usize {
        self.payouts.lock().map(|p| p.len()).unwrap_or(0)
    }
}

impl Drop for TestPaySandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the sandbox on a free port; webhooks carry `token`.
pub async fn start(token: &str) -> TestPaySandbox {
    let sandbox = Sandbox {
        payouts: Arc::default(),
        token: token.to_string(),
        // Giro's public URL is on giro.localhost, which this sandbox, like Giro's, reaches
        // without asking DNS.
        http: reqwest::Client::builder()
            .resolve(
                "giro.localhost",
                std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            )
            .build()
            .expect("http client"),
    };
    let payouts = sandbox.payouts.clone();
    let app = Router::new()
        .route("/payouts", post(create))
        .route("/payouts/{handle}", get(show))
        .with_state(sandbox);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TestPaySandbox { url, payouts, task }
}

async fn create(State(sandbox): State<Sandbox>, Json(create): Json<Create>) -> Response {
    let (id, status) = {
        let Ok(mut payouts) = sandbox.payouts.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        let n = payouts.len() + 1;
        payouts
            .entry(create.handle.clone())
            .or_insert_with(|| (format!("tp-{n}"), "PENDING".into()))
            .clone()
    };
    tokio::spawn(pay(sandbox, create, id.clone()));
    Json(json!({"id": id, "status": status})).into_response()
}

/// Pays the payout, then tells Giro until it answers 2xx.
async fn pay(sandbox: Sandbox, create: Create, id: String) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    if let Ok(mut payouts) = sandbox.payouts.lock() {
        payouts.insert(create.handle.clone(), (id.clone(), "PAID".into()));
    }
    let body = json!({"handle": create.handle, "id": id, "status": "PAID"});
    for _ in 0..50 {
        let sent = sandbox
            .http
            .post(&create.notify_url)
            .header(TOKEN_HEADER, &sandbox.token)
            .json(&body)
            .send()
            .await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn show(State(sandbox): State<Sandbox>, Path(handle): Path<String>) -> Response {
    let found = sandbox
        .payouts
        .lock()
        .ok()
        .and_then(|p| p.get(&handle).cloned());
    match found {
        Some((id, status)) => {
            Json(json!({"id": id, "status": status, "handle": handle})).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
