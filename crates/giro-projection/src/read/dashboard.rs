//! What the dashboard shows beyond `/v1/stats`: stuck payouts (listed, and counted for
//! `/metrics`), reversals, and the other order kinds' counts.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::Kind;
use crate::config::StuckThresholds;

/// Most rows in each dashboard list.
const LIST_LIMIT: i64 = 50;

/// When a payout's wait began, for counting it stuck: its `execute_at` while it is scheduled (it
/// is not waiting before then), else when it entered its status. `row` qualifies the columns.
fn stuck_since(row: &str) -> String {
    format!(
        "(CASE WHEN {row}status = 'scheduled' THEN COALESCE({row}execute_at, {row}status_since) \
         ELSE {row}status_since END)"
    )
}

/// A payout non-terminal for longer than its status allows.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct StuckPayout {
    pub order_id: Uuid,
    pub provider: String,
    pub status: String,
    pub amount: Decimal,
    pub currency: String,
    pub status_since: DateTime<Utc>,
}

/// Payouts stuck past their status's threshold, longest stuck first (at most 50).
pub(crate) async fn stuck(
    pool: &PgPool,
    thresholds: &StuckThresholds,
    now: DateTime<Utc>,
) -> Result<Vec<StuckPayout>, sqlx::Error> {
    let mut q = QueryBuilder::<Postgres>::new(format!(
        "SELECT order_id, provider, status, amount, currency, {} AS status_since \
         FROM payouts WHERE false",
        stuck_since("")
    ));
    for (status, threshold) in thresholds.by_status() {
        q.push(" OR (status = ")
            .push_bind(status.as_str())
            .push(format!(" AND {} < ", stuck_since("")))
            .push_bind(cutoff(now, threshold))
            .push(")");
    }
    q.push(" ORDER BY 6 LIMIT ").push_bind(LIST_LIMIT);
    q.build_query_as().fetch_all(pool).await
}

/// How many payouts of one provider are stuck in one non-terminal status.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub(crate) struct StuckCount {
    pub provider: String,
    pub status: String,
    pub stuck: i64,
}

/// The payouts stuck past their status's threshold, counted by provider and status, with a row
/// (0 when none is stuck) for every non-terminal status of every provider that has payouts, so
/// a count that falls back to 0 is reported as 0 instead of vanishing.
pub(crate) async fn stuck_counts(
    pool: &PgPool,
    thresholds: &StuckThresholds,
    now: DateTime<Utc>,
) -> Result<Vec<StuckCount>, sqlx::Error> {
    let (statuses, cutoffs): (Vec<&str>, Vec<DateTime<Utc>>) = thresholds
        .by_status()
        .into_iter()
        .map(|(status, threshold)| (status.as_str(), cutoff(now, threshold)))
        .unzip();
    // Built from constants only: `stuck_since` takes no input.
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT prov.provider, s.status, count(p.order_id)::int8 AS stuck \
         FROM (SELECT DISTINCT provider FROM payouts) prov \
         CROSS JOIN unnest($1::text[], $2::timestamptz[]) AS s(status, cutoff) \
         LEFT JOIN payouts p ON p.provider = prov.provider AND p.status = s.status \
                             AND {} < s.cutoff \
         GROUP BY prov.provider, s.status ORDER BY prov.provider, s.status",
        stuck_since("p.")
    )))
    .bind(statuses)
    .bind(cutoffs)
    .fetch_all(pool)
    .await
}

/// The instant before which a status entered `threshold` ago counts as stuck.
fn cutoff(now: DateTime<Utc>, threshold: std::time::Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(threshold)
        .ok()
        .and_then(|t| now.checked_sub_signed(t))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A `payout.reversed` event with its payout.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct Reversal {
    pub order_id: Uuid,
    pub at: DateTime<Utc>,
    pub data: Value,
    pub provider: Option<String>,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
}

/// The latest reversals (success turned failure), newest first.
pub(crate) async fn reversals(pool: &PgPool) -> Result<Vec<Reversal>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.order_id, e.at, e.data, p.provider, p.amount, p.currency \
         FROM payout_events e LEFT JOIN payouts p USING (order_id) \
         WHERE e.type = 'payout.reversed' ORDER BY e.at DESC LIMIT $1",
    )
    .bind(LIST_LIMIT)
    .fetch_all(pool)
    .await
}

/// Rows of a kind by status.
pub(crate) async fn status_counts(
    pool: &PgPool,
    kind: Kind,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let sql = format!(
        "SELECT status, count(*)::int8 FROM {} GROUP BY status ORDER BY status",
        kind.table()
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
}
