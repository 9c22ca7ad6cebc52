//! `/healthz`, `/readyz` and `/metrics` for a component without an HTTP server of its own
//! (`giro intake`, `giro executor`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

/// Whether the component can do its work now (e.g. its NATS connection is up).
pub type Readiness = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// The ops routes: `/healthz` (alive), `/readyz` (503 with the reason when not ready) and
/// `/metrics` (the process-wide metrics).
pub fn router(ready: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let ready = ready.clone();
                async move {
                    match ready() {
                        Ok(()) => (StatusCode::OK, "ready".to_string()),
                        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why),
                    }
                }
            }),
        )
        .route("/metrics", get(metrics))
}

/// The `/metrics` answer: the process-wide metrics, as Prometheus text or OpenMetrics (see
/// [`crate::exposition`]).
pub async fn metrics(headers: axum::http::HeaderMap) -> impl IntoResponse {
    crate::exposition::respond(&headers, crate::metrics::render())
}

/// Serves the ops routes on `addr` until the process ends; returns the bound address.
pub async fn serve(addr: SocketAddr, ready: Readiness) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(crate::http::serve(
        listener,
        router(ready),
        crate::http::HttpLimits::default(),
        std::future::pending(),
    ));
    Ok(bound)
}
