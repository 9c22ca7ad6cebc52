//! The HTTP side (docs/CONTRACT.md §4): the query API under `/v1`, the console (the overview at
//! `/`, list pages with filters, order pages, exceptions; `/assets` its scripts),
//! `/healthz`, `/readyz`, `/metrics`, and `/openapi.json`, the OpenAPI document of every HTTP
//! endpoint of Giro (`docs/openapi.json`; `tests/it/openapi.rs` keeps it and these routes in step).

mod actions;
mod api;
mod assets;
mod audit;
mod auth;
mod batches;
mod console;
mod dashboard;
mod error;
mod exceptions;
mod exceptions_page;
mod html;
mod ledger;
mod money;
mod ops;
mod order_page;
mod params;
mod settlement;

use std::sync::Arc;

use async_nats::jetstream;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use sqlx::PgPool;

use crate::config::ProjectionConfig;
use crate::metrics::Metrics;

/// What every handler reads.
pub(crate) struct Shared {
    pub pool: PgPool,
    pub nats: async_nats::Client,
    pub js: jetstream::Context,
    pub config: ProjectionConfig,
    pub metrics: Arc<Metrics>,
}

/// `docs/openapi.json`, built into the binary so that what is served is what was tested.
const OPENAPI: &str = include_str!("../../../../docs/openapi.json");

/// `GET /openapi.json`.
async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// The gate every route but health, metrics and sign-in is behind (see [`auth`]).
fn gate(config: &ProjectionConfig) -> auth::Gate {
    match config.operators.verifier() {
        Ok(verifier) => auth::Gate {
            verifier: verifier.map(Arc::new).map(Ok),
        },
        Err(e) => {
            tracing::error!(error = %e, "operator keys unreadable: every request is refused");
            auth::Gate {
                verifier: Some(Err(e.to_string())),
            }
        }
    }
}

/// Every route.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let gate = gate(&shared.config);
    let login = Router::new()
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .with_state(gate.clone());
    Router::new()
        .route("/", get(dashboard::index))
        .route("/payouts", get(console::payouts))
        .route("/payouts/{id}", get(order_page::payout))
        .route("/payouts/{id}/actions/{action}", post(actions::act))
        .route("/charges", get(console::charges))
        .route("/charges/{id}", get(console::charge))
        .route("/beneficiaries", get(console::beneficiaries))
        .route("/beneficiaries/{id}", get(console::beneficiary))
        .route("/exceptions", get(exceptions_page::page_of_exceptions))
        .nest("/assets", assets::routes())
        .route("/v1/payouts", get(api::list_payouts))
        .route("/v1/payouts/{id}", get(api::get_payout))
        .route("/v1/payouts/{id}/events", get(api::payout_events))
        .route("/v1/batches", get(batches::list_batches))
        .route("/v1/batches/{id}", get(batches::get_batch))
        .route("/v1/charges", get(api::list_charges))
        .route("/v1/charges/{id}", get(api::get_charge))
        .route("/v1/charges/{id}/events", get(api::charge_events))
        .route("/v1/beneficiaries", get(api::list_beneficiaries))
        .route("/v1/beneficiaries/{id}", get(api::get_beneficiary))
        .route(
            "/v1/beneficiaries/{id}/events",
            get(api::beneficiary_events),
        )
        .route("/v1/stats", get(api::stats))
        .route("/v1/stats/series", get(api::series))
        .nest("/v1/ledger", ledger::routes())
        .route("/v1/exceptions", get(exceptions::exceptions))
        .route("/v1/settlement", get(settlement::settlement))
        .route("/v1/reconcile", post(money::reconcile_statement))
        .route("/v1/treasury", get(money::treasury))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(openapi))
        .route("/audit", get(audit::html))
        .route("/api/audit", get(audit::api))
        .fallback(api::no_route)
        .with_state(shared)
        .merge(login)
        .layer(axum::middleware::from_fn_with_state(
            gate,
            auth::require_viewer,
        ))
}
