//! The HTTP server: webhook routes, health, metrics, body limits and time-outs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use giro_eventlog::EventLog;

use crate::config::IngressConfig;
use crate::guard;
use crate::handlers::{self, App};
use crate::metrics::IngressMetrics;

/// The ingress's routes over `log`: `POST /webhooks/{path}` for every webhook receiver of
/// `config.providers`, health, readiness and metrics. The webhook routes take bodies up to
/// `config.max_body_bytes` and answer within `config.request_timeout`; what they refuse for
/// either reason is logged and counted.
pub fn router(log: EventLog, config: IngressConfig, metrics: IngressMetrics) -> Router {
    let limit = config.max_body_bytes;
    for instance in config.providers.instances() {
        giro_telemetry::metrics::dead_letters_expected("ingress", instance.id().as_str());
    }
    let app = Arc::new(App {
        log,
        config,
        metrics,
    });
    let webhooks = Router::new()
        .route("/webhooks/{path}", post(handlers::webhook))
        .layer(DefaultBodyLimit::max(limit))
        .route_layer(from_fn_with_state(app.clone(), guard::guard));
    Router::new()
        .merge(webhooks)
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics_text))
        .with_state(app)
}

async fn ready(State(app): State<Arc<App>>) -> impl IntoResponse {
    match app.log.context().client().connection_state() {
        async_nats::connection::State::Connected => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "NATS is not connected"),
    }
}

async fn metrics_text(
    State(app): State<Arc<App>>,
    headers: axum::http::HeaderMap,
) -> impl IntoResponse {
    let text = if app.config.process_metrics {
        app.metrics.render()
    } else {
        app.metrics.render_own()
    };
    giro_telemetry::exposition::respond(&headers, text)
}

/// A running ingress.
pub struct IngressHandle {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl IngressHandle {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for IngressHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `config.listen` (port 0 picks one) and serves until stopped.
pub async fn start(log: EventLog, config: IngressConfig) -> std::io::Result<IngressHandle> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    serve_on(log, config, listener)
}

/// Serves on `listener`, bound beforehand (`config.listen` is not bound again): a caller that
/// must tell the providers the ingress's address before it starts keeps the port it chose, where
/// binding it again later could find it taken.
pub fn start_on(
    log: EventLog,
    config: IngressConfig,
    listener: std::net::TcpListener,
) -> std::io::Result<IngressHandle> {
    listener.set_nonblocking(true)?;
    serve_on(log, config, tokio::net::TcpListener::from_std(listener)?)
}

fn serve_on(
    log: EventLog,
    config: IngressConfig,
    listener: tokio::net::TcpListener,
) -> std::io::Result<IngressHandle> {
    let addr = listener.local_addr()?;
    // The router answers a slow callback with 503 at `request_timeout`; the server's own bound
    // on a whole request is only a backstop behind it.
    let limits = giro_telemetry::http::HttpLimits {
        head: config.header_timeout,
        request: config.request_timeout + Duration::from_secs(5),
    };
    let app = router(log, config, IngressMetrics::default());
    let task = tokio::spawn(giro_telemetry::http::serve(
        listener,
        app,
        limits,
        std::future::pending(),
    ));
    tracing::info!(%addr, "ingress listening");
    Ok(IngressHandle { addr, task })
}
