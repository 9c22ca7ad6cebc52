//! Money views for finance and operations: the provider accounts `/v1/exceptions` lists,
//! `/v1/treasury` and `/v1/reconcile` (a provider's statement matched line by line);
//! `/v1/settlement` is in `super::settlement`. Amounts are decimal strings, never rounded.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::Shared;
use super::error::ApiError;

/// Provider accounts that need a person: below their threshold, or short of what the held and
/// queued payouts need (listed with `/v1/exceptions`).
pub(crate) async fn accounts_needing_a_person(
    s: &Shared,
    provider: Option<&str>,
) -> Result<Vec<Value>, ApiError> {
    Ok(crate::treasury::accounts(&s.pool, &s.js, &s.config)
        .await?
        .into_iter()
        .filter(|a| provider.is_none_or(|p| p == a.provider))
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
        .collect())
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
