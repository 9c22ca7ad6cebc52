//! The A55 simulator (seed 003): OAuth2 client credentials, charges for every method (hosted card
//! checkout, host-to-host cards with the sandbox card digits, PIX, boleto, wallets), installments,
//! subscriptions, refund/cancel/capture, and webhooks signed with a timestamped HMAC.

mod args;
mod auth;
mod config;
pub mod defaults;
mod engine;
mod errors;
mod extras;
mod handlers;
mod lifecycle;
mod payloads;
mod retry;
mod samples;
mod sign;
mod simulator;
mod state;
mod validate;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use args::A55Args;
pub use config::A55Config;
pub use sign::a55_signature;
pub use simulator::A55;

use errors::A55Error;
use state::A55;

use crate::context::Common;
use crate::error::Error;
use crate::faults::{self, FaultLayer, ProviderAnswers};
use crate::ratelimit::RateDecision;
use crate::statement::StatementSource;
use crate::{introspect, server};

/// The simulator's name: in paths, options and introspection.
const NAME: &str = "a55";

/// Starts the A55 simulator; returns the address it listens on.
pub(crate) async fn start(config: A55Config, common: Common) -> Result<SocketAddr, Error> {
    let bind = config.bind;
    let listener = server::bind(NAME, bind).await?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        provider: NAME,
        addr: bind,
        source,
    })?;
    let base_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let shutdown = common.shutdown.clone();
    let a55 = Arc::new(A55::new(config, common, base_url));
    a55.common
        .statements
        .register(NAME, Arc::clone(&a55) as Arc<dyn StatementSource>);
    server::spawn(listener, router(a55), shutdown);
    Ok(addr)
}

fn router(a55: Arc<A55>) -> Router {
    let common = a55.common.clone();
    let fault_layer = FaultLayer {
        faults: Arc::clone(&common.faults),
        answers: Arc::new(Answers),
        shutdown: common.shutdown.clone(),
        simulator: "a55",
    };
    const CHARGE: &str = "/api/v1/bank/wallet/charge";
    let api = Router::new()
        .route(&format!("{CHARGE}/"), post(handlers::create))
        .route(&format!("{CHARGE}/capture/"), post(handlers::capture))
        .route(&format!("{CHARGE}/{{charge_uuid}}/"), get(handlers::get))
        .route(
            &format!("{CHARGE}/{{charge_uuid}}/refund/{{wallet_uuid}}/"),
            post(handlers::refund),
        )
        .route(
            &format!("{CHARGE}/{{charge_uuid}}/cancel/{{wallet_uuid}}/"),
            post(handlers::cancel),
        )
        .route_layer(from_fn_with_state(Arc::clone(&a55), auth::require_token));
    Router::new()
        .route("/oauth2/token", post(auth::token))
        .route(
            "/_sandbox/a55/charges/{charge_uuid}/request",
            get(handlers::received),
        )
        .merge(api)
        .layer(from_fn_with_state(fault_layer, faults::inject))
        .with_state(a55)
        .route("/{page}/{charge_uuid}", get(handlers::hosted))
        .merge(introspect::routes::router(common))
}

/// The per-second limit an injected A55 429 reports (A55 publishes none).
const NOMINAL_RATE_LIMIT: u32 = 100;

struct Answers;

impl ProviderAnswers for Answers {
    fn server_error(&self) -> Response {
        A55Error::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "errors.unexpected",
            "server",
            "Unexpected error; retry with exponential backoff",
        )
        .into_response()
    }

    /// A55 documents no figure; the injected 429 reports a nominal limit with nothing left, so a
    /// client reading `X-RateLimit-*` or `Retry-After` sees a consistent refusal.
    fn rate_limited(&self) -> Response {
        let mut response = A55Error::new(
            StatusCode::TOO_MANY_REQUESTS,
            "errors.throttled",
            "server",
            "Too many requests",
        )
        .into_response();
        RateDecision::exhausted(NOMINAL_RATE_LIMIT).write_headers(response.headers_mut());
        response
    }

    fn maintenance(&self) -> Response {
        A55Error::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "errors.maintenance",
            "server",
            "Service under maintenance",
        )
        .into_response()
    }
}
