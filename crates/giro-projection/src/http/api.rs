//! The query API: one order, a page of orders, an order's timeline, for payouts, charges and
//! beneficiaries; and `/v1/stats`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde_json::{Value, json};
use sqlx::FromRow;
use sqlx::postgres::PgRow;

use super::Shared;
use super::error::ApiError;
use super::params::{ListParams, WindowParams, list_filter, order_id, query, window};
use crate::read::{self, BeneficiaryView, ChargeView, Keyed, Kind, Page, PayoutView, Stats};

type ListQuery = Result<Query<ListParams>, QueryRejection>;

fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::Payout => "payout",
        Kind::Charge => "charge",
        Kind::Beneficiary => "beneficiary",
    }
}

async fn one<T>(shared: &Shared, kind: Kind, id: &str) -> Result<Json<T>, ApiError>
where
    T: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let id = order_id(id)?;
    read::get(&shared.pool, kind, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no {} {id}", noun(kind))))
}

async fn page<T>(shared: &Shared, kind: Kind, q: ListQuery) -> Result<Json<Page<T>>, ApiError>
where
    T: for<'r> FromRow<'r, PgRow> + Keyed + Send + Unpin,
{
    let filter = list_filter(kind, query(q)?)?;
    Ok(Json(read::list(&shared.pool, kind, &filter).await?))
}

async fn events(shared: &Shared, kind: Kind, id: &str) -> Result<Json<Value>, ApiError> {
    let id = order_id(id)?;
    let events = read::timeline(&shared.pool, kind, id).await?;
    if events.is_empty() {
        return Err(ApiError::not_found(format!("no {} {id}", noun(kind))));
    }
    Ok(Json(json!({ kind.id_column(): id, "events": events })))
}

pub(crate) async fn get_payout(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<PayoutView>, ApiError> {
    one(&s, Kind::Payout, &id).await
}

pub(crate) async fn list_payouts(
    State(s): State<Arc<Shared>>,
    q: ListQuery,
) -> Result<Json<Page<PayoutView>>, ApiError> {
    page(&s, Kind::Payout, q).await
}

pub(crate) async fn payout_events(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    events(&s, Kind::Payout, &id).await
}

pub(crate) async fn get_charge(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<ChargeView>, ApiError> {
    one(&s, Kind::Charge, &id).await
}

pub(crate) async fn list_charges(
    State(s): State<Arc<Shared>>,
    q: ListQuery,
) -> Result<Json<Page<ChargeView>>, ApiError> {
    page(&s, Kind::Charge, q).await
}

pub(crate) async fn charge_events(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    events(&s, Kind::Charge, &id).await
}

pub(crate) async fn get_beneficiary(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<BeneficiaryView>, ApiError> {
    one(&s, Kind::Beneficiary, &id).await
}

pub(crate) async fn list_beneficiaries(
    State(s): State<Arc<Shared>>,
    q: ListQuery,
) -> Result<Json<Page<BeneficiaryView>>, ApiError> {
    page(&s, Kind::Beneficiary, q).await
}

pub(crate) async fn beneficiary_events(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    events(&s, Kind::Beneficiary, &id).await
}

pub(crate) async fn stats(
    State(s): State<Arc<Shared>>,
    q: Result<Query<WindowParams>, QueryRejection>,
) -> Result<Json<Stats>, ApiError> {
    let window = window(query(q)?)?;
    Ok(Json(read::stats(&s.pool, window).await?))
}

/// `GET /v1/stats/series?window=1h`: what the console's charts draw.
pub(crate) async fn series(
    State(s): State<Arc<Shared>>,
    q: Result<Query<WindowParams>, QueryRejection>,
) -> Result<Json<read::series::Series>, ApiError> {
    let window = window(query(q)?)?;
    Ok(Json(
        read::series::series(&s.pool, window, chrono::Utc::now()).await?,
    ))
}

/// Any other path: a JSON 404 rather than an empty body.
pub(crate) async fn no_route() -> ApiError {
    ApiError::not_found("no such route; see /v1/payouts, /v1/charges, /v1/beneficiaries, /v1/stats")
}
