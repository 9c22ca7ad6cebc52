//! The exceptions a person must handle (issue #18): the open rows of `exceptions` (raised by
//! events, closed by the events that settle them) and the conditions read from the orders as they
//! stand: a payout held past its stuck threshold, one waiting for an approver, one the provider
//! keeps refusing. An `outcome_unknown` counts once it is older than the `submitting` threshold:
//! before that the executor's own lookups may still settle it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

use crate::config::StuckThresholds;

/// Provider refusals of one open payout from which it needs a person.
pub(crate) const REPEATED_REFUSALS: i64 = 3;

/// Every kind of exception listed, raised by events or read from the orders.
pub(crate) const KINDS: [&str; 10] = [
    "outcome_unknown",
    "held",
    "approval_waiting",
    "repeated_refusals",
    "reversed",
    "refunded_after_success",
    "report_unmatched",
    "possible_double_payment",
    "possible_double_charge",
    "discrepancy",
];

/// One exception with its order's figures.
#[derive(Debug, Clone, Serialize, FromRow)]
pub(crate) struct ExceptionView {
    pub order_id: Uuid,
    /// `payout` or `charge`.
    pub order_kind: String,
    pub version: i64,
    pub kind: String,
    pub reason: String,
    pub raised_at: DateTime<Utc>,
    pub provider: String,
    pub status: String,
    pub amount: Decimal,
    pub currency: String,
    pub detail: Value,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
}

/// Count and amount at risk of one provider in one currency; each order counted once.
#[derive(Debug, Clone, Serialize, FromRow)]
pub(crate) struct AtRisk {
    pub provider: String,
    pub currency: String,
    pub orders: i64,
    pub amount_at_risk: Decimal,
}

/// What a list is narrowed to.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExceptionFilter {
    pub provider: Option<String>,
    pub kind: Option<String>,
    pub order_id: Option<Uuid>,
    /// Closed exceptions instead of open ones.
    pub resolved: bool,
    pub limit: i64,
}

/// The exceptions as rows of (order, version, kind, reason, raised, detail, resolved…): open ones
/// with the conditions read from the orders, or closed ones. `$1` is the unknown-outcome cutoff,
/// `$2` the held cutoff (bound with their types, so the closed list may leave them unused).
fn exceptions_sql(resolved: bool) -> String {
    if resolved {
        return "SELECT order_id, version, kind, reason, raised_at, detail, resolved_at, \
                resolution, resolved_by FROM exceptions WHERE resolved_at IS NOT NULL"
            .to_string();
    }
    format!(
        "SELECT order_id, version, kind, reason, raised_at, detail, resolved_at, resolution, \
         resolved_by FROM exceptions \
         WHERE resolved_at IS NULL AND (kind <> 'outcome_unknown' OR raised_at < $1) \
         UNION ALL \
         SELECT order_id, version, 'held', 'held for funds since ' || \
         to_char(status_since AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC', \
         status_since, '{{}}'::jsonb, NULL, NULL, NULL FROM payouts \
         WHERE status = 'held' AND status_since < $2 \
         UNION ALL \
         SELECT order_id, version, 'approval_waiting', 'waiting for an approver', status_since, \
         '{{}}'::jsonb, NULL, NULL, NULL FROM payouts WHERE status = 'pending_approval' \
         UNION ALL \
         SELECT p.order_id, p.version, 'repeated_refusals', \
         r.n || ' refusals by the provider, the last: ' || COALESCE(p.failure_message, ''), \
         r.last, '{{}}'::jsonb, NULL, NULL, NULL FROM payouts p \
         CROSS JOIN LATERAL (SELECT count(*) AS n, max(at) AS last FROM payout_events ev \
           WHERE ev.order_id = p.order_id AND ev.type IN \
           ('payout.submission_failed', 'payout.provider_wait_announced')) r \
         WHERE p.terminal_at IS NULL AND r.n >= {REPEATED_REFUSALS}"
    )
}

/// The orders exceptions belong to, of both kinds.
const ORDERS: &str = "(SELECT order_id, 'payout' AS order_kind, provider, status, amount, currency \
     FROM payouts UNION ALL SELECT order_id, 'charge', provider, status, amount, currency \
     FROM charges)";

/// `$3` provider, `$4` kind, `$5` order id.
const NARROWED: &str = "($3::text IS NULL OR o.provider = $3) AND ($4::text IS NULL OR x.kind = $4) \
     AND ($5::uuid IS NULL OR x.order_id = $5)";

/// The cutoffs before which an unknown outcome and a hold count.
fn cutoffs(thresholds: &StuckThresholds, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let before = |d: std::time::Duration| {
        chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    };
    (before(thresholds.submitting), before(thresholds.held))
}

/// The exceptions matching `filter`, newest first.
pub(crate) async fn list(
    pool: &PgPool,
    thresholds: &StuckThresholds,
    now: DateTime<Utc>,
    filter: &ExceptionFilter,
) -> Result<Vec<ExceptionView>, sqlx::Error> {
    let (unknown, held) = cutoffs(thresholds, now);
    let order = if filter.resolved {
        "x.resolved_at"
    } else {
        "x.raised_at"
    };
    let sql = format!(
        "SELECT x.order_id, o.order_kind, x.version, x.kind, x.reason, x.raised_at, o.provider, \
         o.status, o.amount, o.currency, x.detail, x.resolved_at, x.resolution, x.resolved_by \
         FROM ({}) x JOIN {ORDERS} o USING (order_id) WHERE {NARROWED} \
         ORDER BY {order} DESC, x.order_id DESC LIMIT $6",
        exceptions_sql(filter.resolved)
    );
    // Built from constants only: the filter's values are bound.
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(unknown)
        .bind(held)
        .bind(&filter.provider)
        .bind(&filter.kind)
        .bind(filter.order_id)
        .bind(filter.limit)
        .fetch_all(pool)
        .await
}

/// Open exceptions counted by kind, and the orders and amount at risk per provider and currency
/// (each order once, whatever number of exceptions it has).
pub(crate) async fn totals(
    pool: &PgPool,
    thresholds: &StuckThresholds,
    now: DateTime<Utc>,
    filter: &ExceptionFilter,
) -> Result<(Vec<(String, i64)>, Vec<AtRisk>), sqlx::Error> {
    let (unknown, held) = cutoffs(thresholds, now);
    let open = exceptions_sql(false);
    let by_kind: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT x.kind, count(*)::int8 FROM ({open}) x JOIN {ORDERS} o USING (order_id) \
         WHERE {NARROWED} GROUP BY x.kind ORDER BY x.kind"
    )))
    .bind(unknown)
    .bind(held)
    .bind(&filter.provider)
    .bind(&filter.kind)
    .bind(filter.order_id)
    .fetch_all(pool)
    .await?;
    let at_risk: Vec<AtRisk> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT provider, currency, count(*)::int8 AS orders, sum(amount) AS amount_at_risk \
         FROM (SELECT DISTINCT o.order_id, o.provider, o.currency, o.amount FROM ({open}) x \
         JOIN {ORDERS} o USING (order_id) WHERE {NARROWED}) d \
         GROUP BY provider, currency ORDER BY provider, currency"
    )))
    .bind(unknown)
    .bind(held)
    .bind(&filter.provider)
    .bind(&filter.kind)
    .bind(filter.order_id)
    .fetch_all(pool)
    .await?;
    Ok((by_kind, at_risk))
}
