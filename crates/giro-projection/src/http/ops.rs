//! `/healthz` (the process answers), `/readyz` (PostgreSQL and NATS answer) and `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use super::Shared;
use crate::read::{self, Kind};
use crate::{db, source};

/// How long a readiness or metrics probe waits for each dependency.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// 200 when PostgreSQL answers and the event stream can be read; 503 naming what is missing.
pub(crate) async fn readyz(State(s): State<Arc<Shared>>) -> impl IntoResponse {
    let postgres = match tokio::time::timeout(PROBE_TIMEOUT, db::checkpoint(&s.pool)).await {
        Ok(Ok(_)) => "ok".to_string(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "PostgreSQL did not answer in time".to_string(),
    };
    let stream = &s.config.log.stream;
    let nats = match tokio::time::timeout(PROBE_TIMEOUT, source::last_sequence(&s.js, stream)).await
    {
        Ok(Ok(_)) => "ok".to_string(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!(
            "NATS did not answer in time (connection {:?})",
            s.nats.connection_state()
        ),
    };
    let ready = postgres == "ok" && nats == "ok";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({"ready": ready, "postgres": postgres, "nats": nats})),
    )
}

/// Prometheus text, with the stream position, the checkpoint and their difference, the orders
/// by status, the stuck payouts and the treasury read now.
pub(crate) async fn metrics(
    State(s): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
) -> impl IntoResponse {
    let positions = async {
        let last = source::last_sequence(&s.js, &s.config.log.stream).await?;
        let checkpoint = db::checkpoint(&s.pool).await?;
        Ok::<_, crate::Error>((last, checkpoint))
    };
    match tokio::time::timeout(PROBE_TIMEOUT, positions).await {
        Ok(Ok((last, checkpoint))) => s.metrics.positions(last, checkpoint),
        Ok(Err(e)) => tracing::debug!(error = %e, "metrics: positions unavailable"),
        Err(_) => tracing::debug!("metrics: positions timed out"),
    }
    for kind in [Kind::Payout, Kind::Charge, Kind::Beneficiary] {
        let counts = read::status_counts(&s.pool, kind);
        match tokio::time::timeout(PROBE_TIMEOUT, counts).await {
            Ok(Ok(counts)) => s.metrics.orders(kind.table(), &counts),
            Ok(Err(e)) => tracing::debug!(error = %e, "metrics: order counts unavailable"),
            Err(_) => tracing::debug!("metrics: order counts timed out"),
        }
    }
    let stuck = read::stuck_counts(&s.pool, &s.config.stuck, chrono::Utc::now());
    match tokio::time::timeout(PROBE_TIMEOUT, stuck).await {
        Ok(Ok(counts)) => s.metrics.stuck(Kind::Payout.table(), &counts),
        Ok(Err(e)) => tracing::debug!(error = %e, "metrics: stuck orders unavailable"),
        Err(_) => tracing::debug!("metrics: stuck orders timed out"),
    }
    let accounts = crate::treasury::accounts(&s.pool, &s.js, &s.config);
    match tokio::time::timeout(PROBE_TIMEOUT, accounts).await {
        Ok(Ok(accounts)) => s.metrics.treasury(&accounts),
        Ok(Err(e)) => tracing::debug!(error = %e, "metrics: treasury unavailable"),
        Err(_) => tracing::debug!("metrics: treasury timed out"),
    }
    let text = s.metrics.encode(!s.config.process_metrics);
    giro_telemetry::exposition::respond(&headers, text)
}
