//! Money views for finance and operations: `/v1/exceptions` (orders a person must look at, with
//! totals at risk per provider), `/v1/treasury` and `/v1/reconcile` (a provider's statement
//! matched line by line); `/v1/settlement` is in `super::settlement`. Amounts are decimal
//! strings, never rounded.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Shared;
use super::error::ApiError;
use super::params::query;

/// `?provider=&kind=&limit=`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExceptionParams {
    provider: Option<String>,
    kind: Option<String>,
    limit: Option<String>,
}

/// The kinds of exception the read model raises today.
const KINDS: [&str; 4] = [
    "report_unmatched",
    "possible_double_payment",
    "possible_double_charge",
    "discrepancy",
];

#[derive(Debug, Serialize, sqlx::FromRow)]
struct ExceptionView {
    order_id: Uuid,
    version: i64,
    kind: String,
    reason: String,
    raised_at: DateTime<Utc>,
    provider: String,
    status: String,
    amount: Decimal,
    currency: String,
    detail: Value,
}

pub(crate) async fn exceptions(
    State(s): State<Arc<Shared>>,
    q: Result<Query<ExceptionParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = query(q)?;
    if let Some(kind) = &p.kind
        && !KINDS.contains(&kind.as_str())
    {
        return Err(ApiError::invalid(format!(
            "kind {kind:?} is not one of {}",
            KINDS.join(", ")
        )));
    }
    let limit: i64 = match &p.limit {
        None => 100,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid(
                    "limit must be a whole number from 1 to 1000",
                ));
            }
        },
    };
    let items: Vec<ExceptionView> = sqlx::query_as(
        "SELECT e.order_id, e.version, e.kind, e.reason, e.raised_at, o.provider, o.status, \
         o.amount, o.currency, e.detail FROM exceptions e JOIN \
         (SELECT order_id, provider, status, amount, currency FROM payouts \
          UNION ALL SELECT order_id, provider, status, amount, currency FROM charges) o \
         USING (order_id) \
         WHERE ($1::text IS NULL OR o.provider = $1) AND ($2::text IS NULL OR e.kind = $2) \
         ORDER BY e.raised_at DESC, e.order_id DESC LIMIT $3",
    )
    .bind(&p.provider)
    .bind(&p.kind)
    .bind(limit)
    .fetch_all(&s.pool)
    .await?;
    // At risk: each order counted once, whatever number of exceptions it has.
    let totals: Vec<(String, String, i64, Decimal)> = sqlx::query_as(
        "SELECT o.provider, o.currency, count(*), sum(o.amount) FROM \
         (SELECT order_id, provider, amount, currency FROM payouts \
          UNION ALL SELECT order_id, provider, amount, currency FROM charges) o \
         WHERE o.order_id IN (SELECT order_id FROM exceptions e WHERE $2::text IS NULL OR e.kind = $2) \
         AND ($1::text IS NULL OR o.provider = $1) \
         GROUP BY o.provider, o.currency ORDER BY o.provider, o.currency",
    )
    .bind(&p.provider)
    .bind(&p.kind)
    .fetch_all(&s.pool)
    .await?;
    let totals: Vec<Value> = totals
        .into_iter()
        .map(|(provider, currency, orders, amount)| {
            json!({"provider": provider, "currency": currency, "orders": orders,
                   "amount_at_risk": amount.normalize()})
        })
        .collect();
    // Provider accounts that need a person: below their threshold, or short of what the held and
    // queued payouts need.
    let accounts: Vec<Value> = crate::treasury::accounts(&s.pool, &s.js, &s.config)
        .await?
        .into_iter()
        .filter(|a| p.provider.as_ref().is_none_or(|p| p == &a.provider))
        .flat_map(|a| {
            let mut found = Vec::new();
            if a.low {
                found.push(json!({"provider": a.provider, "currency": a.currency,
                    "kind": "low_balance", "balance": a.balance, "below": a.low_below,
                    "reason": format!("balance {} {} is below its threshold {}",
                        a.balance.unwrap_or_default(), a.currency, a.low_below.unwrap_or_default())}));
            }
            if !a.shortfall.is_zero() {
                found.push(json!({"provider": a.provider, "currency": a.currency,
                    "kind": "funds_short", "balance": a.balance, "needed": a.needed,
                    "reason": format!("held and queued payouts need {} {}, {} more than the balance",
                        a.needed, a.currency, a.shortfall)}));
            }
            found
        })
        .collect();
    Ok(Json(
        json!({"items": items, "totals": totals, "accounts": accounts}),
    ))
}

/// `GET /v1/treasury`: every provider account's balance beside the funds its held and queued
/// payouts need (see `crate::treasury`).
pub(crate) async fn treasury(State(s): State<Arc<Shared>>) -> Result<Json<Value>, ApiError> {
    let accounts = crate::treasury::accounts(&s.pool, &s.js, &s.config).await?;
    Ok(Json(json!({ "accounts": accounts })))
}

/// `POST /v1/reconcile` with a provider statement (CSV) as the body: what is missing, extra or
/// different, line by line (see `crate::reconcile`). Read-only: `giro reconcile --statement`
/// records the differences as `payout.discrepancy` or `charge.discrepancy` events (each carries
/// its order's `kind`).
pub(crate) async fn reconcile_statement(
    State(s): State<Arc<Shared>>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let lines =
        crate::reconcile::parse_statement(&body).map_err(|e| ApiError::invalid(e.to_string()))?;
    let r = crate::reconcile::reconcile(&s.pool, &lines).await?;
    Ok(Json(json!({
        "agrees": r.agrees(),
        "lines": r.lines,
        "matched": r.matched,
        "different": r.different,
        "missing": r.missing,
        "extra": r.extra,
    })))
}
