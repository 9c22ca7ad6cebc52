//! `/v1/settlement`: one provider instance's day — payouts paid, failed, refunded, reversed and
//! cancelled; charges collected, failed, cancelled, refunded and charged back; fees and totals per
//! currency — as JSON or CSV. Amounts are decimal strings, never rounded.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use giro_domain::charge::ChargeStatus;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::Shared;
use super::error::ApiError;
use super::params::query;

/// `?provider=P&date=YYYY-MM-DD&format=json|csv`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettlementParams {
    provider: Option<String>,
    date: Option<String>,
    format: Option<String>,
}

/// One order of a settlement day: a payout or a charge (`kind`).
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct SettlementLine {
    order_id: Uuid,
    kind: String,
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
    /// What a charge gave back to the payer (none for payouts).
    refunded_amount: Option<Decimal>,
}

/// Count and amount of the orders in one status.
#[derive(Debug, Default, Serialize)]
struct Bucket {
    count: u64,
    amount: Decimal,
}

/// A day's totals in one currency. Payouts fill `paid`, `reversed` and `debited`; charges fill
/// `collected` and `charged_back`; both fill `failed`, `cancelled`, `refunded` and `fees`.
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
    /// Charges the payers paid (and that stayed paid that day).
    collected: Bucket,
    /// Charges whose payers took the money back by a dispute.
    charged_back: Bucket,
}

/// What an order moved: what the provider reported paying when it said, else the order's amount;
/// for a refunded charge what went back to the payer.
fn moved(line: &SettlementLine) -> Decimal {
    match (line.kind.as_str(), line.status.as_str()) {
        (CHARGE, "refunded") => line.refunded_amount.unwrap_or(line.amount).normalize(),
        _ => line.reported_amount.unwrap_or(line.amount).normalize(),
    }
}

/// The `kind` of a charge line (payout lines are `payout`).
const CHARGE: &str = "charge";

fn totals(lines: &[SettlementLine]) -> BTreeMap<String, Totals> {
    let mut by_currency: BTreeMap<String, Totals> = BTreeMap::new();
    for line in lines {
        let t = by_currency.entry(line.currency.clone()).or_default();
        let charge = line.kind == CHARGE;
        let bucket = match line.status.as_str() {
            "succeeded" => &mut t.paid,
            "paid" if charge => &mut t.collected,
            "chargeback" if charge => &mut t.charged_back,
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
            &mut t.collected,
            &mut t.charged_back,
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

/// The CSV header of a settlement report (`kind` and `refunded_amount` were added last, so the
/// payout columns keep their places).
pub(crate) const SETTLEMENT_CSV_HEADER: &str = "order_id,external_id,provider_ref,status,amount,\
currency,reported_amount,fee,provider_completed_at,channel_ref,status_since,kind,refunded_amount";

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
            l.kind.clone(),
            dec(l.refunded_amount),
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
    let final_charges: Vec<&str> = ChargeStatus::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .map(ChargeStatus::as_str)
        .collect();
    let mut lines: Vec<SettlementLine> = sqlx::query_as(
        "SELECT order_id, 'payout' AS kind, external_id, provider_ref, status, amount, currency, \
         reported_amount, fee, provider_completed_at, channel_ref, status_since, \
         NULL::numeric AS refunded_amount FROM payouts \
         WHERE provider = $1 \
         AND status IN ('succeeded', 'failed', 'refunded', 'reversed', 'cancelled') \
         AND status_since >= $2 AND status_since < $2 + interval '1 day' \
         UNION ALL \
         SELECT order_id, 'charge', external_id, provider_ref, status, amount, currency, \
         NULL::numeric, NULL::numeric, NULL::text, NULL::text, status_since, refunded_amount \
         FROM charges WHERE provider = $1 AND status = ANY($3) \
         AND status_since >= $2 AND status_since < $2 + interval '1 day' \
         ORDER BY status_since, order_id",
    )
    .bind(&provider)
    .bind(from)
    .bind(&final_charges)
    .fetch_all(&s.pool)
    .await?;
    // Amounts as numbers, not as the scale they were stored with (`500000`, not `500000.00`).
    for l in &mut lines {
        l.amount = l.amount.normalize();
        l.reported_amount = l.reported_amount.map(|d| d.normalize());
        l.fee = l.fee.map(|d| d.normalize());
        l.refunded_amount = l.refunded_amount.map(|d| d.normalize());
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
