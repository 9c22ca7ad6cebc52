//! The HTTP side (docs/CONTRACT.md §4): the query API under `/v1`, the dashboard at `/`,
//! `/healthz`, `/readyz`, `/metrics`, and `/openapi.json`, the OpenAPI document of every HTTP
//! endpoint of Giro (`docs/openapi.json`; `tests/it/openapi.rs` keeps it and these routes in step).

mod api;
mod batches;
mod dashboard;
mod error;
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

/// Every route.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(dashboard::index))
        .route("/payouts/{id}", get(order_page::payout))
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
        .nest("/v1/ledger", ledger::routes())
        .route("/v1/exceptions", get(money::exceptions))
        .route("/v1/settlement", get(settlement::settlement))
        .route("/v1/reconcile", post(money::reconcile_statement))
        .route("/v1/treasury", get(money::treasury))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(openapi))
        .fallback(api::no_route)
        .with_state(shared)
}
