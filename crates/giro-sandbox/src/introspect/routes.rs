//! `/_sandbox/*`: introspection and run-time fault settings. Never subject to faults or rate limits.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;

use super::OrderFilter;
use crate::context::Common;
use crate::faults::FaultSettings;

/// The routes shared by every simulator.
pub(crate) fn router(common: Common) -> Router {
    Router::new()
        .route("/_sandbox/summary", get(summary))
        .route("/_sandbox/orders", get(orders))
        .route("/_sandbox/orders/{provider}/{order_id}", get(order))
        .route("/_sandbox/handles", get(handles))
        .route("/_sandbox/faults", get(faults).post(set_faults))
        .route("/_sandbox/{simulator}/statement", get(statement))
        .with_state(common)
}

async fn summary(State(common): State<Common>) -> Response {
    Json(common.registry.summary()).into_response()
}

async fn orders(State(common): State<Common>, Query(filter): Query<OrderFilter>) -> Response {
    Json(common.registry.orders(&filter)).into_response()
}

async fn order(
    State(common): State<Common>,
    Path((provider, order_id)): Path<(String, String)>,
) -> Response {
    match common.registry.order(&provider, &order_id) {
        Some(report) => Json(report).into_response(),
        None => sandbox_error(
            StatusCode::NOT_FOUND,
            format!("no {provider} order {order_id}"),
        ),
    }
}

#[derive(Deserialize)]
struct HandleQuery {
    provider: Option<String>,
}

async fn handles(State(common): State<Common>, Query(query): Query<HandleQuery>) -> Response {
    Json(common.registry.handles(query.provider.as_deref())).into_response()
}

async fn faults(State(common): State<Common>) -> Response {
    Json(common.faults.settings()).into_response()
}

#[derive(Deserialize)]
struct SeedQuery {
    seed: Option<u64>,
}

/// Replaces the run's fault settings (fields left out are 0); `?seed=N` restarts the randomness.
async fn set_faults(
    State(common): State<Common>,
    Query(query): Query<SeedQuery>,
    body: axum::body::Bytes,
) -> Response {
    let settings: FaultSettings = match serde_json::from_slice(&body) {
        Ok(settings) => settings,
        Err(error) => return sandbox_error(StatusCode::BAD_REQUEST, error.to_string()),
    };
    if let Err(error) = common.faults.set(settings) {
        return sandbox_error(StatusCode::BAD_REQUEST, error.to_string());
    }
    if let Some(seed) = query.seed {
        common.faults.reseed(seed);
    }
    Json(common.faults.settings()).into_response()
}

/// `GET /_sandbox/<simulator>/statement?date=YYYY-MM-DD`: the simulator's (or one instance's)
/// statement of that UTC date as CSV.
async fn statement(
    State(common): State<Common>,
    Path(simulator): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let date = match query.get("date") {
        None => {
            return sandbox_error(
                StatusCode::BAD_REQUEST,
                "date is required: ?date=YYYY-MM-DD".to_owned(),
            );
        }
        Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => date,
            Err(_) => {
                return sandbox_error(
                    StatusCode::BAD_REQUEST,
                    format!("date {text:?} is not a date of the form YYYY-MM-DD"),
                );
            }
        },
    };
    match common.statements.statement(&simulator, date) {
        Some(lines) => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            crate::statement::render(date, &lines),
        )
            .into_response(),
        None => sandbox_error(
            StatusCode::NOT_FOUND,
            format!("no running simulator {simulator} exports statements"),
        ),
    }
}

/// The sandbox's own error form, distinct from every provider's.
pub(crate) fn sandbox_error(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(serde_json::json!({ "sandbox_error": message })),
    )
        .into_response()
}
