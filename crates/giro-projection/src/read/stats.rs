//! `/v1/stats`: payout counts and amounts by status and provider, and per provider the success
//! rate and the median time to a terminal status, over payouts created within a window.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use giro_domain::payout::PayoutStatus;
use serde::Serialize;
use sqlx::PgPool;

use crate::duration::format_duration;

/// An amount in one currency (amounts in different currencies are never added).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Amount {
    pub currency: String,
    /// Decimal string.
    pub amount: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatusTotals {
    pub status: String,
    pub count: i64,
    pub amounts: Vec<Amount>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ProviderStats {
    pub provider: String,
    pub count: i64,
    pub by_status: BTreeMap<String, i64>,
    pub amounts: Vec<Amount>,
    /// Payouts the provider finished: succeeded, failed, reversed or refunded now.
    pub finished: i64,
    pub succeeded: i64,
    /// `succeeded / finished`; `null` before anything finished.
    pub success_rate: Option<f64>,
    /// Median of (first terminal status − created), cancellations excluded.
    pub median_seconds_to_terminal: Option<f64>,
}

/// The figures of one window.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Stats {
    pub window: String,
    pub since: DateTime<Utc>,
    pub total: i64,
    pub by_status: Vec<StatusTotals>,
    pub by_provider: Vec<ProviderStats>,
}

type Grouped = (Option<String>, Option<String>, Option<String>, i64, String);
type Finished = (String, i64, i64, Option<f64>);

/// Computes the stats of payouts created in the last `window`.
pub(crate) async fn stats(pool: &PgPool, window: Duration) -> Result<Stats, sqlx::Error> {
    let since = chrono::Duration::from_std(window)
        .ok()
        .and_then(|w| Utc::now().checked_sub_signed(w))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let grouped: Vec<Grouped> = sqlx::query_as(
        "SELECT status, provider, currency, count(*)::int8, sum(amount)::text FROM payouts \
         WHERE created_at >= $1 \
         GROUP BY GROUPING SETS ((status), (status, currency), (provider), (provider, currency), \
         (provider, status)) ORDER BY 1, 2, 3",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    let finished: Vec<Finished> = sqlx::query_as(
        "SELECT provider, \
         count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'reversed', 'refunded')), \
         count(*) FILTER (WHERE status = 'succeeded'), \
         percentile_cont(0.5) WITHIN GROUP \
           (ORDER BY extract(epoch FROM terminal_at - created_at)::float8) \
           FILTER (WHERE terminal_at IS NOT NULL AND status <> 'cancelled') \
         FROM payouts WHERE created_at >= $1 GROUP BY provider ORDER BY provider",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    let mut by_status: Vec<StatusTotals> = PayoutStatus::ALL
        .iter()
        .map(|s| StatusTotals {
            status: s.as_str().to_string(),
            count: 0,
            amounts: Vec::new(),
        })
        .collect();
    let mut by_provider: BTreeMap<String, ProviderStats> = BTreeMap::new();
    let mut total = 0;
    for (status, prov, currency, count, amount) in grouped {
        match (status, prov, currency) {
            (Some(s), None, None) => {
                total += count;
                if let Some(t) = by_status.iter_mut().find(|t| t.status == s) {
                    t.count = count;
                }
            }
            (Some(s), None, Some(currency)) => {
                if let Some(t) = by_status.iter_mut().find(|t| t.status == s) {
                    t.amounts.push(Amount { currency, amount });
                }
            }
            (None, Some(p), None) => provider(&mut by_provider, &p).count = count,
            (None, Some(p), Some(currency)) => provider(&mut by_provider, &p)
                .amounts
                .push(Amount { currency, amount }),
            (Some(s), Some(p), None) => {
                provider(&mut by_provider, &p).by_status.insert(s, count);
            }
            _ => {}
        }
    }
    for (p, finished, succeeded, median) in finished {
        let stats = provider(&mut by_provider, &p);
        stats.finished = finished;
        stats.succeeded = succeeded;
        stats.success_rate = (finished > 0).then(|| succeeded as f64 / finished as f64);
        stats.median_seconds_to_terminal = median;
    }
    Ok(Stats {
        window: format_duration(window),
        since,
        total,
        by_status,
        by_provider: by_provider.into_values().collect(),
    })
}

/// The entry of a provider, created empty on first sight.
fn provider<'a>(all: &'a mut BTreeMap<String, ProviderStats>, name: &str) -> &'a mut ProviderStats {
    all.entry(name.to_string())
        .or_insert_with(|| ProviderStats {
            provider: name.to_string(),
            count: 0,
            by_status: BTreeMap::new(),
            amounts: Vec::new(),
            finished: 0,
            succeeded: 0,
            success_rate: None,
            median_seconds_to_terminal: None,
        })
}
