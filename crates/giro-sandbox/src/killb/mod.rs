//! The KillB simulator (seeds 000 and 002): login with expiring tokens, pre-fund balances that move,
//! idempotent payouts to PSE and BREB beneficiaries, beneficiary accounts verified in the background,
//! signed PAYOUT and ACCOUNT webhooks and a rate limit.

mod account_api;
mod account_flow;
mod account_rules;
mod accounts;
mod args;
mod auth;
mod banks;
mod checks;
mod config;
pub mod defaults;
mod engine;
mod errors;
mod lifecycle;
mod payouts;
mod retry;
mod samples;
mod sign;
mod simulator;
mod state;
mod user_accounts;
mod users;
mod validate;
mod webhooks;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

pub use args::KillbArgs;
pub use config::{KillbConfig, KillbUser, PrefundAccount, SANDBOX_RATE_LIMIT};
pub use sign::{KillbSignature, killb_signature};
pub use simulator::KILLB;

use errors::KillbError;
use state::Killb;
use wire::TokenOut;

use crate::context::Common;
use crate::error::Error;
use crate::faults::{self, FaultLayer, ProviderAnswers};
use crate::json::RawObject;
use crate::ratelimit::{REMAINING_HEADER, RateDecision};
use crate::secret::same;
use crate::statement::StatementSource;
use crate::{introspect, server};

/// The simulator's name: in paths, options and introspection.
const NAME: &str = "killb";

/// Starts the KillB simulator; returns the address it listens on.
pub(crate) async fn start(config: KillbConfig, common: Common) -> Result<SocketAddr, Error> {
    let bind = config.bind;
    let listener = server::bind(NAME, bind).await?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        provider: NAME,
        addr: bind,
        source,
    })?;
    let shutdown = common.shutdown.clone();
    let killb = Arc::new(Killb::new(config, common));
    killb
        .common
        .statements
        .register(NAME, Arc::clone(&killb) as Arc<dyn StatementSource>);
    server::spawn(listener, router(killb), shutdown);
    Ok(addr)
}

fn router(killb: Arc<Killb>) -> Router {
    let common = killb.common.clone();
    let fault_layer = FaultLayer {
        faults: Arc::clone(&common.faults),
        answers: Arc::new(Answers(Arc::clone(&killb))),
        shutdown: common.shutdown.clone(),
        simulator: "killb",
    };
    let authenticated = Router::new()
        .route("/api/v2/customers/balances", get(accounts::balances))
        .route(
            "/api/v2/customers/pre-fund/create",
            post(accounts::create_prefund),
        )
        .route("/api/v2/payouts", post(payouts::create).get(payouts::list))
        .route("/api/v2/payouts/{id}", get(payouts::get))
        .route("/api/v2/banks", get(accounts::bank_list))
        .route(
            "/api/v2/accounts",
            post(account_api::create).get(account_api::list),
        )
        .route(
            "/api/v2/accounts/{id}",
            get(account_api::get)
                .patch(account_api::patch)
                .delete(account_api::delete),
        )
        .route(
            "/api/v2/accounts/userId/{user_id}",
            get(account_api::by_user),
        )
        .route(
            "/api/v2/webhooks",
            post(webhooks::register).get(webhooks::list),
        )
        .route_layer(from_fn_with_state(Arc::clone(&killb), require_token));
    let api = Router::new()
        .route("/api/v2/auth/login", post(login))
        .route("/api/v2/auth/refresh", post(refresh))
        .merge(authenticated)
        .fallback(not_found)
        .layer(from_fn_with_state(fault_layer, faults::inject))
        .layer(from_fn_with_state(Arc::clone(&killb), limit_and_key))
        .with_state(Arc::clone(&killb));
    let sandbox = Router::new()
        .route(
            "/_sandbox/killb/balances/{account_id}/topup",
            post(accounts::top_up),
        )
        .route("/_sandbox/killb/users", post(users::add))
        .with_state(killb);
    api.merge(sandbox).merge(introspect::routes::router(common))
}

struct Answers(Arc<Killb>);

impl ProviderAnswers for Answers {
    fn server_error(&self) -> Response {
        KillbError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYSTEM.0001",
            "Internal server error",
        )
        .into_response()
    }

    fn maintenance(&self) -> Response {
        KillbError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SYSTEM.0002",
            "Service under maintenance",
        )
        .into_response()
    }

    fn rate_limited(&self) -> Response {
        let limit = self
            .0
            .config
            .rate_limit
            .map_or(config::SANDBOX_RATE_LIMIT.per_second, |l| l.per_second);
        too_many(RateDecision::exhausted(limit))
    }
}

fn too_many(decision: RateDecision) -> Response {
    let mut response = KillbError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMIT.0001",
        "Too many requests",
    )
    .into_response();
    decision.write_headers(response.headers_mut());
    response
}

/// The rate limit (with `X-RateLimit-*` on every answer) and, when configured, `x-api-key`.
async fn limit_and_key(State(killb): State<Arc<Killb>>, request: Request, next: Next) -> Response {
    let decision = killb.limiter.as_ref().map(|l| l.check());
    if let Some(decision) = decision.filter(|d| !d.allowed) {
        return too_many(decision);
    }
    let key_ok = killb.config.api_key.as_ref().is_none_or(|expected| {
        request
            .headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|given| same(given, expected))
    });
    let mut response = if key_ok {
        next.run(request).await
    } else {
        KillbError::unauthorized("Invalid API key").into_response()
    };
    // An answer that already reports a limit (the injected `rate_limit` fault's 429, which says
    // nothing is left) keeps its own headers: overwriting them would pair a 429 with the real
    // bucket's `Remaining`.
    if let Some(decision) = decision
        && !response.headers().contains_key(REMAINING_HEADER)
    {
        decision.write_headers(response.headers_mut());
    }
    response
}

async fn require_token(State(killb): State<Arc<Killb>>, request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    match killb.tokens.check_bearer(header) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

async fn not_found() -> KillbError {
    KillbError::not_found("ROUTE.0001", "Cannot find the requested route")
}

fn credential(obj: &RawObject, field: &str) -> Result<String, KillbError> {
    obj.string(field)
        .ok()
        .flatten()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| KillbError::invalid(field, format!("{field} should not be empty")))
}

/// `POST /api/v2/auth/login {email, password}`.
async fn login(
    State(killb): State<Arc<Killb>>,
    body: Bytes,
) -> Result<(StatusCode, Json<TokenOut>), KillbError> {
    let obj = RawObject::parse(&body).map_err(|e| {
        KillbError::invalid("body", format!("Request body is not a JSON object: {e}"))
    })?;
    let email = credential(&obj, "email")?;
    let password = credential(&obj, "password")?;
    if !(same(&email, &killb.config.email) && same(&password, &killb.config.password)) {
        return Err(KillbError::unauthorized("Invalid credentials"));
    }
    let tokens = killb.tokens.issue(
        &killb.common.random,
        killb.config.token_ttl,
        killb.config.refresh_ttl,
    );
    Ok((StatusCode::CREATED, Json(tokens)))
}

/// `POST /api/v2/auth/refresh {refreshToken}`.
async fn refresh(
    State(killb): State<Arc<Killb>>,
    body: Bytes,
) -> Result<(StatusCode, Json<TokenOut>), KillbError> {
    let obj = RawObject::parse(&body).map_err(|e| {
        KillbError::invalid("body", format!("Request body is not a JSON object: {e}"))
    })?;
    killb
        .tokens
        .redeem_refresh(&credential(&obj, "refreshToken")?)?;
    let tokens = killb.tokens.issue(
        &killb.common.random,
        killb.config.token_ttl,
        killb.config.refresh_ttl,
    );
    Ok((StatusCode::CREATED, Json(tokens)))
}
