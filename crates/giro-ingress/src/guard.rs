//! What the webhook routes refuse before a handler has a say: bodies over the limit (413) and
//! requests that take too long (503, so that the provider retries: a slow request may or may not
//! have stored its report, and a repeat is harmless). Each is logged and counted, like every
//! other refusal.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::handlers::{App, path_label};

/// Runs the route under the configured time-out; logs and counts oversized and timed-out
/// requests.
pub(crate) async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    // The provider a webhook route is for, as the callbacks metric labels refusals made before
    // the callback is verified.
    let path = request.uri().path().trim_start_matches("/webhooks/");
    let provider = path_label(&app, path).to_string();
    let provider = provider.as_str();
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = app.config.max_body_bytes;
    let timeout = app.config.request_timeout;
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) if response.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            app.metrics.callback(provider, "oversized");
            tracing::warn!(
                provider,
                result = "oversized",
                limit_bytes = limit,
                declared_bytes = declared,
                "callback refused: body over the limit"
            );
            response
        }
        Ok(response) => response,
        Err(_) => {
            app.metrics.callback(provider, "timeout");
            tracing::warn!(
                provider,
                result = "timeout",
                timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                declared_bytes = declared,
                "callback timed out; asking the provider to retry"
            );
            (StatusCode::SERVICE_UNAVAILABLE, "timed out; retry").into_response()
        }
    }
}
