//! Money views for finance and operations: `/v1/exceptions` (orders a person must look at, with
//! totals at risk per provider) and `/v1/settlement` (one provider instance's day: orders paid,
//! failed, refunded, reversed and cancelled, fees and totals, as JSON or CSV). Amounts are decimal
//! strings, never rounded.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
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

/// `?provider=P&date=YYYY-MM-DD&format=json|csv`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettlementParams {
    provider: Option<String>,
    date: Option<String>,
    format: Option<String>,
}

/// One order of a settlement day.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct SettlementLine {
    order_id: Uuid,
    external_id: Option<String>,
    provider_ref: Option<String>,
    status: String,
    amount: Decimal,
    currency: String,
    reported_amount: Option<Decimal>,
    fee: Option<Decimal>,
    provider_completed_at: Option<String>,
    channel_ref: Option<String>,
    status_since: DateTime<Utc>,
}

/// Count and amount of the orders in one status.
#[derive(Debug, Default, Serialize)]
struct Bucket {
    count: u64,
    amount: Decimal,
}

/// A day's totals in one currency.
#[derive(Debug, Default, Serialize)]
struct Totals {
    paid: Bucket,
    failed: Bucket,
    refunded: Bucket,
    reversed: Bucket,
    cancelled: Bucket,
    /// Fees the provider charged on the day's orders.
    fees: Decimal,
    /// What left the provider account for good: paid out plus fees.
    debited: Decimal,
}

/// What an order moved: what the provider reported paying when it said, else the order's amount.
fn moved(line: &SettlementLine) -> Decimal {
    line.reported_amount.unwrap_or(line.amount).normalize()
}

fn totals(lines: &[SettlementLine]) -> BTreeMap<String, Totals> {
    let mut by_currency: BTreeMap<String, Totals> = BTreeMap::new();
    for line in lines {
        let t = by_currency.entry(line.currency.clone()).or_default();
        let bucket = match line.status.as_str() {
            "succeeded" => &mut t.paid,
            "failed" => &mut t.failed,
            "refunded" => &mut t.refunded,
            "reversed" => &mut t.reversed,
            _ => &mut t.cancelled,
        };
        bucket.count += 1;
        bucket.amount += moved(line);
        let fee = line.fee.unwrap_or_default();
        t.fees += fee;
        if line.status == "succeeded" {
            t.debited += moved(line);
        }
        t.debited += fee;
    }
    for t in by_currency.values_mut() {
        for b in [
            &mut t.paid,
            &mut t.failed,
            &mut t.refunded,
            &mut t.reversed,
            &mut t.cancelled,
        ] {
            b.amount = b.amount.normalize();
        }
        t.fees = t.fees.normalize();
        t.debited = t.debited.normalize();
    }
    by_currency
}

/// A CSV field, quoted when it must be.
fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// The CSV header of a settlement report.
pub(crate) const SETTLEMENT_CSV_HEADER: &str = "order_id,external_id,provider_ref,status,amount,\
currency,reported_amount,fee,provider_completed_at,channel_ref,status_since";

fn csv(lines: &[SettlementLine]) -> String {
    let mut out = String::from(SETTLEMENT_CSV_HEADER);
    out.push('\n');
    let opt = |v: &Option<String>| csv_field(v.as_deref().unwrap_or(""));
    let dec = |v: Option<Decimal>| v.map(|d| d.normalize().to_string()).unwrap_or_default();
    for l in lines {
        let fields = [
            l.order_id.to_string(),
            opt(&l.external_id),
            opt(&l.provider_ref),
            l.status.clone(),
            l.amount.normalize().to_string(),
            csv_field(&l.currency),
            dec(l.reported_amount),
            dec(l.fee),
            opt(&l.provider_completed_at),
            opt(&l.channel_ref),
            l.status_since.to_rfc3339(),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

pub(crate) async fn settlement(
    State(s): State<Arc<Shared>>,
    q: Result<Query<SettlementParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let provider = p
        .provider
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid("provider is required (a provider instance id)"))?;
    let date = p
        .date
        .as_deref()
        .ok_or_else(|| ApiError::invalid("date is required (YYYY-MM-DD, a UTC day)"))?;
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(format!("date {date:?} is not a day like 2026-12-06")))?;
    let csv_wanted = match p.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "format {other:?} is not json or csv"
            )));
        }
    };
    let from = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let mut lines: Vec<SettlementLine> = sqlx::query_as(
        "SELECT order_id, external_id, provider_ref, status, amount, currency, reported_amount, \
         fee, provider_completed_at, channel_ref, status_since FROM payouts \
         WHERE provider = $1 \
         AND status IN ('succeeded', 'failed', 'refunded', 'reversed', 'cancelled') \
         AND status_since >= $2 AND status_since < $2 + interval '1 day' \
         ORDER BY status_since, order_id",
    )
    .bind(&provider)
    .bind(from)
    .fetch_all(&s.pool)
    .await?;
    // Amounts as numbers, not as the scale they were stored with (`500000`, not `500000.00`).
    for l in &mut lines {
        l.amount = l.amount.normalize();
        l.reported_amount = l.reported_amount.map(|d| d.normalize());
        l.fee = l.fee.map(|d| d.normalize());
    }
    if csv_wanted {
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            csv(&lines),
        )
            .into_response());
    }
    let totals = totals(&lines);
    Ok(Json(json!({
        "provider": provider,
        "date": day.to_string(),
        "totals": totals,
        "orders": lines,
    }))
    .into_response())
}

/// `GET /v1/treasury`: every provider account's balance beside the funds its held and queued
/// payouts need (see `crate::treasury`).
pub(crate) async fn treasury(State(s): State<Arc<Shared>>) -> Result<Json<Value>, ApiError> {
    let accounts = crate::treasury::accounts(&s.pool, &s.js, &s.config).await?;
    Ok(Json(json!({ "accounts": accounts })))
}

/// `POST /v1/reconcile` with a provider statement (CSV) as the body: what is missing, extra or
/// different, line by line (see `crate::reconcile`). Read-only: `giro reconcile --statement`
/// records the differences as `payout.discrepancy` events.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_they_must_be() {
        assert_eq!(csv_field("PAYOUT1"), "PAYOUT1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
