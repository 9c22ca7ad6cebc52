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
use crate::read::Cursor;

/// The statuses a batch's row can have.
const STATUSES: [&str; 4] = ["receiving", "open", "completed", "cancelled"];

/// `?status=&limit=&cursor=`; unknown parameters are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchParams {
    status: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// One listed batch with where it sorts, for the next page's cursor.
#[derive(sqlx::FromRow)]
struct Listed {
    row: Value,
    created_at: chrono::DateTime<chrono::Utc>,
    batch_id: uuid::Uuid,
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
    let after = match p.cursor.filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(Cursor::decode(&c).ok_or_else(|| {
            ApiError::invalid("cursor is not one this API returned (use next_cursor as is)")
        })?),
    };
    // Newest first, by creation then id; one row more than the page tells whether another
    // page follows.
    let mut rows: Vec<Listed> = sqlx::query_as(
        "SELECT to_jsonb(b) - 'version' AS row, created_at, batch_id FROM payout_batches b \
         WHERE ($1::text IS NULL OR status = $1) \
           AND ($3::timestamptz IS NULL OR (created_at, batch_id) < ($3, $4)) \
         ORDER BY created_at DESC, batch_id DESC LIMIT $2",
    )
    .bind(status)
    .bind(limit + 1)
    .bind(after.as_ref().map(|c| c.created_at))
    .bind(after.as_ref().map(|c| c.id))
    .fetch_all(&s.pool)
    .await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = rows.last().filter(|_| more).map(|last| {
        Cursor {
            created_at: last.created_at,
            id: last.batch_id,
        }
        .encode()
    });
    let items: Vec<Value> = rows.into_iter().map(|l| l.row).collect();
    Ok(Json(json!({ "items": items, "next_cursor": next_cursor })))
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
