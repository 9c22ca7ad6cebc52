//! The Cashy simulator (seeds 001 and 004): signed JSON calls, per-country payout rules, orders that
//! end in SUCCESS, FAIL or CANCEL (and are sometimes reversed), and signed callbacks retried on the
//! documented 1…512-minute ladder until acknowledged in the country's form.
//!
//! As strict as the pages: `notifyUrl` must be http(s) on a host name (an IP address or bare
//! `localhost` is `Params_notifyUrl_error`, seed 001), so Giro's development public URL is
//! `http://giro.localhost:<port>`, which the callback dispatcher reaches through its resolve map
//! (`--callback-resolve`, `SandboxConfig::callback_resolve`) without DNS. A Tanzanian `bankId`
//! is optional (seed 004's table omits it, its example sends it) and, when given, must be the
//! listed id of the `accountType`'s operator.

mod args;
mod banks;
mod config;
pub mod defaults;
mod engine;
mod envelope;
mod handlers;
mod lifecycle;
mod request;
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
use axum::routing::any;

pub use args::CashyArgs;
pub use config::{AmountStyle, CashyConfig, CashyMerchant, Country};
pub use sign::cashy_sign;
pub use simulator::CASHY;

use envelope::CashyError;
use state::Cashy;

use crate::context::Common;
use crate::error::Error;
use crate::faults::{self, FaultLayer, ProviderAnswers};
use crate::statement::StatementSource;
use crate::{introspect, server};

/// The simulator's name: in paths, options and introspection.
const NAME: &str = "cashy";

/// Starts the Cashy simulator; returns the address it listens on.
pub(crate) async fn start(config: CashyConfig, common: Common) -> Result<SocketAddr, Error> {
    let bind = config.bind;
    let listener = server::bind(NAME, bind).await?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        provider: NAME,
        addr: bind,
        source,
    })?;
    let shutdown = common.shutdown.clone();
    let cashy = Arc::new(Cashy::new(config, common));
    cashy
        .common
        .statements
        .register(NAME, Arc::clone(&cashy) as Arc<dyn StatementSource>);
    server::spawn(listener, router(cashy), shutdown);
    Ok(addr)
}

fn router(cashy: Arc<Cashy>) -> Router {
    let common = cashy.common.clone();
    let fault_layer = FaultLayer {
        faults: Arc::clone(&common.faults),
        answers: Arc::new(Answers),
        shutdown: common.shutdown.clone(),
        simulator: "cashy",
    };
    Router::new()
        .route("/api/payOut", any(handlers::pay_out))
        .route("/api/payOutQuery", any(handlers::pay_out_query))
        .route("/api/getBalance", any(handlers::get_balance))
        .route("/api/bankListQuery", any(handlers::bank_list))
        .layer(from_fn_with_state(fault_layer, faults::inject))
        .with_state(cashy)
        .merge(introspect::routes::router(common))
}

struct Answers;

impl ProviderAnswers for Answers {
    /// An HTTP 500 carrying the envelope's `System_error`, as the gateway's front answers a crash.
    fn server_error(&self) -> Response {
        let mut response = CashyError::msg("System_error").into_response();
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response
    }

    fn rate_limited(&self) -> Response {
        CashyError::msg("System_busy").into_response()
    }

    fn maintenance(&self) -> Response {
        CashyError::msg("System_Maintenance").into_response()
    }
}
