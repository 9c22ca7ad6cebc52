//! `/v1/stats/series`: what the console charts. Over a window cut into equal steps, payouts
//! created and payouts reaching each final status per step, and per provider the success rate per
//! step; per provider over the whole window, p50 and p99 of the time from creation to the first
//! final status (cancellations excluded: no provider decided them).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// Steps in a window: a point a minute over an hour, coarser over longer windows.
const STEPS: i64 = 60;

/// Time to a final status of one provider's payouts.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub(crate) struct Latency {
    pub provider: String,
    pub finished: i64,
    pub p50_seconds: Option<f64>,
    pub p99_seconds: Option<f64>,
}

/// The chart data of one window.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Series {
    pub since: DateTime<Utc>,
    pub step_seconds: i64,
    /// The start of each step, in Unix seconds.
    pub times: Vec<i64>,
    /// `created` and each final status → a count per step.
    pub by_status: BTreeMap<String, Vec<i64>>,
    /// Provider → succeeded / finished per step (`null` where nothing finished).
    pub success_rate: BTreeMap<String, Vec<Option<f64>>>,
    pub latency: Vec<Latency>,
}

/// The series of the last `window`, ending now.
pub(crate) async fn series(
    pool: &PgPool,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Series, sqlx::Error> {
    let step_seconds = (i64::try_from(window.as_secs()).unwrap_or(i64::MAX) / STEPS).max(1);
    let step = chrono::Duration::seconds(step_seconds);
    let since = now - step * i32::try_from(STEPS).unwrap_or(60);
    let times: Vec<i64> = (0..STEPS)
        .map(|i| (since + step * i32::try_from(i).unwrap_or(0)).timestamp())
        .collect();
    // What happened at the very end of the window (now, or a clock a little ahead) counts in the
    // last step.
    let slot = |i: i64| usize::try_from(i.min(STEPS - 1)).ok();
    // `$2` is the window's start in Unix seconds and `$3` the step: each row's step index.
    let counts: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT 'created', floor((extract(epoch FROM created_at) - $2) / $3)::int8, \
         count(*)::int8 FROM payouts WHERE created_at >= $1 GROUP BY 2 \
         UNION ALL SELECT status, floor((extract(epoch FROM terminal_at) - $2) / $3)::int8, \
         count(*)::int8 FROM payouts WHERE terminal_at >= $1 GROUP BY 1, 2",
    )
    .bind(since)
    .bind(since.timestamp())
    .bind(step_seconds)
    .fetch_all(pool)
    .await?;
    let mut by_status: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    by_status.insert("created".into(), vec![0; times.len()]);
    for (status, at, n) in counts {
        let row = by_status
            .entry(status)
            .or_insert_with(|| vec![0; times.len()]);
        if let Some(cell) = slot(at).and_then(|i| row.get_mut(i)) {
            *cell += n;
        }
    }
    let finished: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT provider, floor((extract(epoch FROM terminal_at) - $2) / $3)::int8, \
         count(*) FILTER (WHERE status = 'succeeded')::int8, count(*)::int8 FROM payouts \
         WHERE terminal_at >= $1 AND status <> 'cancelled' GROUP BY 1, 2",
    )
    .bind(since)
    .bind(since.timestamp())
    .bind(step_seconds)
    .fetch_all(pool)
    .await?;
    let mut tallies: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for (provider, at, succeeded, all) in finished {
        let row = tallies
            .entry(provider)
            .or_insert_with(|| vec![(0, 0); times.len()]);
        if let Some(cell) = slot(at).and_then(|i| row.get_mut(i)) {
            cell.0 += succeeded;
            cell.1 += all;
        }
    }
    let success_rate = tallies
        .into_iter()
        .map(|(provider, cells)| {
            let rates = cells
                .into_iter()
                .map(|(ok, all)| (all > 0).then(|| ok as f64 / all as f64))
                .collect();
            (provider, rates)
        })
        .collect();
    let latency = sqlx::query_as(
        "SELECT provider, count(*)::int8 AS finished, \
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM terminal_at - created_at)::float8) \
           AS p50_seconds, \
         percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM terminal_at - created_at)::float8) \
           AS p99_seconds \
         FROM payouts WHERE terminal_at >= $1 AND status <> 'cancelled' \
         GROUP BY provider ORDER BY provider",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    Ok(Series {
        since,
        step_seconds,
        times,
        by_status,
        success_rate,
        latency,
    })
}
