//! The audit view: `GET /api/audit` (JSON) and `GET /audit` (HTML), newest first, of every
//! operator action, allowed or refused, with who, when, what, on which order and why.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Html;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Shared;
use super::error::ApiError;
use super::html::{esc, page};
use super::params::query;

/// Rows when no `limit` is given, and the most one page may ask for.
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1_000;

/// `?operator=&order_id=&action=&outcome=&limit=`; unknown parameters are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    operator: Option<String>,
    order_id: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    limit: Option<String>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    at: DateTime<Utc>,
    action: String,
    operator: Option<String>,
    order_id: Option<String>,
    outcome: String,
    code: Option<String>,
    reason: Option<String>,
    events: Vec<String>,
}

async fn rows(s: &Shared, p: &AuditParams) -> Result<Vec<AuditRow>, ApiError> {
    if let Some(outcome) = &p.outcome
        && !["allowed", "refused"].contains(&outcome.as_str())
    {
        return Err(ApiError::invalid(format!(
            "outcome must be allowed or refused, got {outcome:?}"
        )));
    }
    let limit = match &p.limit {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| ApiError::invalid(format!("limit must be 1 to {MAX_LIMIT}")))?,
    };
    let rows = sqlx::query_as::<_, AuditRow>(
        "SELECT seq, at, action, operator, order_id, outcome, code, reason, events FROM audit \
         WHERE ($1::text IS NULL OR operator = $1) AND ($2::text IS NULL OR order_id = $2) \
           AND ($3::text IS NULL OR action = $3) AND ($4::text IS NULL OR outcome = $4) \
         ORDER BY seq DESC LIMIT $5",
    )
    .bind(&p.operator)
    .bind(&p.order_id)
    .bind(&p.action)
    .bind(&p.outcome)
    .bind(limit)
    .fetch_all(&s.pool)
    .await?;
    Ok(rows)
}

/// `GET /api/audit`.
pub(crate) async fn api(
    State(s): State<Arc<Shared>>,
    q: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = query(q)?;
    let rows = rows(&s, &p).await?;
    Ok(Json(json!({ "audit": rows })))
}

/// `GET /audit`.
pub(crate) async fn html(
    State(s): State<Arc<Shared>>,
    q: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Html<String>, ApiError> {
    let p = query(q)?;
    let rows = rows(&s, &p).await?;
    let mut body = String::from(
        "<h1>Audit</h1><p class=\"meta\">Every operator action, allowed or refused, newest \
         first. <a href=\"/\">Dashboard</a></p><table><tr><th>when</th><th>operator</th>\
         <th>action</th><th>order</th><th>outcome</th><th>code</th><th>reason</th>\
         <th>events</th></tr>",
    );
    if rows.is_empty() {
        body.push_str("<tr><td colspan=\"8\" class=\"empty\">no operator action yet</td></tr>");
    }
    for r in &rows {
        let order = r
            .order_id
            .as_deref()
            .map(|id| format!("<a href=\"/payouts/{0}\">{0}</a>", esc(id)))
            .unwrap_or_default();
        let class = if r.outcome == "refused" {
            "failed"
        } else {
            "succeeded"
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{order}</td><td class=\"{class}\">{}</td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            r.at.format("%Y-%m-%d %H:%M:%S UTC"),
            esc(r.operator.as_deref().unwrap_or("—")),
            esc(&r.action),
            esc(&r.outcome),
            esc(r.code.as_deref().unwrap_or("")),
            esc(r.reason.as_deref().unwrap_or("")),
            esc(&r.events.join(", ")),
        ));
    }
    body.push_str("</table>");
    Ok(Html(page("Giro audit", None, &body)))
}
