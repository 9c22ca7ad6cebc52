//! `/v1/ledger`: the payout ledger's balances per account and currency, and one order's postings
//! (see `giro_domain::ledger` for the chart of accounts). Amounts are decimal strings, shown with
//! at least their currency's decimals and never rounded.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use giro_domain::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Shared;
use super::error::ApiError;
use super::params::{order_id, query};

/// The ledger's routes, nested under `/v1/ledger`.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/balances", get(balances))
        .route("/postings", get(postings))
}

/// `amount` with at least its currency's decimals (`-1500.50`, not `-1500.5`), never fewer
/// than it has.
fn shown(amount: Decimal, currency: &str) -> Decimal {
    let mut amount = amount.normalize();
    let exponent = currency.parse::<Currency>().map_or(0, Currency::exponent);
    if amount.scale() < exponent {
        amount.rescale(exponent);
    }
    amount
}

/// One account's balance in one currency. `balance = debits − credits`.
#[derive(Debug, Serialize)]
struct Balance {
    account: String,
    provider: String,
    currency: String,
    debits: Decimal,
    credits: Decimal,
    balance: Decimal,
    legs: i64,
}

/// `?provider=`: only one provider instance's accounts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BalanceParams {
    provider: Option<String>,
}

type BalanceRow = (String, String, String, Decimal, Decimal, Decimal, i64);

async fn balances(
    State(s): State<Arc<Shared>>,
    q: Result<Query<BalanceParams>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let params = query(q)?;
    let rows: Vec<BalanceRow> = sqlx::query_as(
        "SELECT account, provider, currency, debits, credits, balance, legs FROM ledger_balances \
         WHERE $1::text IS NULL OR provider = $1 ORDER BY provider, currency, account",
    )
    .bind(params.provider)
    .fetch_all(&s.pool)
    .await?;
    let balances: Vec<Balance> = rows
        .into_iter()
        .map(
            |(account, provider, currency, debits, credits, balance, legs)| Balance {
                debits: shown(debits, &currency),
                credits: shown(credits, &currency),
                balance: shown(balance, &currency),
                account,
                provider,
                currency,
                legs,
            },
        )
        .collect();
    Ok(Json(serde_json::json!({ "balances": balances })))
}

/// `?order_id=` (required).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostingParams {
    order_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct Leg {
    account: String,
    debit: Decimal,
    credit: Decimal,
}

/// One posting of an order: the event version it follows from, what it records, its legs.
#[derive(Debug, Serialize)]
struct PostingView {
    version: i64,
    kind: String,
    currency: String,
    at: DateTime<Utc>,
    legs: Vec<Leg>,
}

type LegRow = (i64, String, String, DateTime<Utc>, String, Decimal, Decimal);

async fn postings(
    State(s): State<Arc<Shared>>,
    q: Result<Query<PostingParams>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Some(id) = query(q)?.order_id else {
        return Err(ApiError::invalid("order_id is required"));
    };
    let id: Uuid = order_id(&id)?;
    // Debit legs first within a posting, as the postings were derived.
    let rows: Vec<LegRow> = sqlx::query_as(
        "SELECT version, kind, currency, at, account, debit, credit FROM ledger_postings \
         WHERE order_id = $1 ORDER BY version, kind, credit, account",
    )
    .bind(id)
    .fetch_all(&s.pool)
    .await?;
    let mut postings: Vec<PostingView> = Vec::new();
    for (version, kind, currency, at, account, debit, credit) in rows {
        let leg = Leg {
            account,
            debit: shown(debit, &currency),
            credit: shown(credit, &currency),
        };
        match postings.last_mut() {
            Some(p) if p.version == version && p.kind == kind => p.legs.push(leg),
            _ => postings.push(PostingView {
                version,
                kind,
                currency,
                at,
                legs: vec![leg],
            }),
        }
    }
    Ok(Json(
        serde_json::json!({ "order_id": id, "postings": postings }),
    ))
}
