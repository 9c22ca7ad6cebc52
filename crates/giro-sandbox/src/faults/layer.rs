//! The middleware that applies request faults in front of a provider's handlers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{FaultController, ForcedFaults, Lose, settings::FAULT_HEADER};
use crate::server::LoseResponse;
use crate::shutdown::Shutdown;

/// How a provider words the failures the sandbox injects.
pub(crate) trait ProviderAnswers: Send + Sync {
    /// The provider's answer to an internal error, given before anything was processed.
    fn server_error(&self) -> Response;
    /// The provider's answer when it is overloaded.
    fn rate_limited(&self) -> Response;
    /// The provider's answer while it is down for maintenance.
    fn maintenance(&self) -> Response;
}

/// State of the fault middleware.
#[derive(Clone)]
pub(crate) struct FaultLayer {
    pub faults: Arc<FaultController>,
    pub answers: Arc<dyn ProviderAnswers>,
    pub shutdown: Shutdown,
    /// The simulator's name, as `FaultSettings::down_for_maintenance` lists it.
    pub simulator: &'static str,
}

/// Applies latency, 5xx, rate limiting and lost responses; hands the forced callback faults to the
/// handler through the request's extensions.
pub(crate) async fn inject(
    State(layer): State<FaultLayer>,
    mut request: Request,
    next: Next,
) -> Response {
    let header = request
        .headers()
        .get(FAULT_HEADER)
        .map(|value| {
            value
                .to_str()
                .map_err(|_| "X-Sandbox-Fault is not ASCII".to_owned())
        })
        .transpose()
        .and_then(|text| text.map(ForcedFaults::parse).transpose());
    let forced = match header {
        Ok(forced) => forced.unwrap_or_default(),
        Err(message) => {
            let body = serde_json::json!({ "sandbox_error": message });
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
    };
    let draw = layer.faults.draw_request(&forced);
    if !draw.latency.is_zero() && !layer.shutdown.sleep(draw.latency).await {
        return layer.answers.server_error();
    }
    if draw.error_5xx {
        return layer.answers.server_error();
    }
    if draw.rate_limit {
        return layer.answers.rate_limited();
    }
    if draw.maintenance || layer.faults.is_down(layer.simulator) {
        return layer.answers.maintenance();
    }
    request.extensions_mut().insert(forced);
    let mut response = next.run(request).await;
    match draw.lose {
        None => {}
        Some(Lose::Drop) => {
            response.extensions_mut().insert(LoseResponse);
        }
        Some(Lose::Hang(duration)) => {
            layer.shutdown.sleep(duration).await;
            response.extensions_mut().insert(LoseResponse);
        }
    }
    response
}
