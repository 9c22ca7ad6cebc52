//! `GET /v1/batches` and `GET /v1/batches/{id}`: payout batches and how far their items got.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Shared;
use super::error::ApiError;
use super::params::{order_id, query};

/// The statuses a batch's row can have.
const STATUSES: [&str; 4] = ["receiving", "open", "completed", "cancelled"];

/// `?status=&limit=`; unknown parameters are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchParams {
    status: Option<String>,
    limit: Option<String>,
}

pub(crate) async fn list_batches(
    State(s): State<Arc<Shared>>,
    q: Result<Query<BatchParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = query(q)?;
    let status = match p.status.filter(|s| !s.is_empty()) {
        Some(s) if !STATUSES.contains(&s.as_str()) => {
            return Err(ApiError::invalid(format!(
                "status: {s:?} is not one of {}",
                STATUSES.join(", ")
            )));
        }
        other => other,
    };
    let limit: i64 = match p.limit.as_deref() {
        None | Some("") => 50,
        Some(l) => l
            .parse()
            .ok()
            .filter(|l| (1..=500).contains(l))
            .ok_or_else(|| ApiError::invalid("limit: must be a whole number from 1 to 500"))?,
    };
    let items: Vec<Value> = sqlx::query_scalar(
        "SELECT to_jsonb(b) - 'version' FROM payout_batches b \
         WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at DESC, batch_id DESC LIMIT $2",
    )
    .bind(status)
    .bind(limit)
    .fetch_all(&s.pool)
    .await?;
    Ok(Json(json!({ "items": items })))
}

pub(crate) async fn get_batch(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = order_id(&id)?;
    let row: Option<Value> = sqlx::query_scalar(
        "SELECT to_jsonb(b) - 'version' FROM payout_batches b WHERE batch_id = $1",
    )
    .bind(id)
    .fetch_optional(&s.pool)
    .await?;
    row.map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no payout batch {id}")))
}
