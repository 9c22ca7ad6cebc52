//! `giro projection rebuild`: the read models rebuilt from sequence 1 into a fresh schema, swapped
//! in for the old one in one transaction, so the dashboard keeps reading the old tables until the
//! new ones are complete.

use std::fmt;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sqlx::PgPool;

use crate::apply::{Outcome, apply_bulk};
use crate::config::ProjectionConfig;
use crate::db;
use crate::error::Error;
use crate::source::{Batching, Source};

/// Events per transaction while catching up: large batches amortise each statement.
pub(crate) const REBUILD_BATCH: usize = 10_000;

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuildSummary {
    pub schema: String,
    /// Stream messages read (events, and messages that were skipped).
    pub messages: u64,
    /// Events written (rows and timelines).
    pub events: u64,
    /// Events of types this version does not know (timeline only).
    pub unknown: u64,
    /// Messages that were not events (skipped).
    pub unreadable: u64,
    /// The checkpoint the rebuilt read models start from.
    pub last_sequence: u64,
    pub payouts: i64,
    pub charges: i64,
    pub beneficiaries: i64,
    /// Reading and applying the stream.
    pub catch_up: Duration,
    /// Everything: migrations, catch-up and the swap.
    pub total: Duration,
}

impl RebuildSummary {
    /// Catch-up throughput.
    pub fn events_per_second(&self) -> f64 {
        self.messages as f64 / self.catch_up.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for RebuildSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rebuilt schema {}: {} messages up to sequence {} in {:.2}s ({:.0} events/s; {:.2}s in all); \
             {} payouts, {} charges, {} beneficiaries; {} events of unknown types, {} unreadable messages",
            self.schema,
            self.messages,
            self.last_sequence,
            self.catch_up.as_secs_f64(),
            self.events_per_second(),
            self.total.as_secs_f64(),
            self.payouts,
            self.charges,
            self.beneficiaries,
            self.unknown,
            self.unreadable
        )
    }
}

/// Rebuilds the read models of `config.schema` from the start of the stream: into
/// `<schema>_rebuild`, then swapped in. Live projectors keep running meanwhile and continue from
/// the rebuilt checkpoint. One rebuild of a schema runs at a time (an advisory lock); a second one
/// fails with [`Error::Busy`]. Shows a progress bar on standard error when it is a terminal.
pub async fn rebuild(
    config: &ProjectionConfig,
    nats: async_nats::Client,
) -> Result<RebuildSummary, Error> {
    config.validate()?;
    let started = Instant::now();
    let shadow = format!("{}_rebuild", config.schema);
    let mut admin = db::connection(&config.database_url, &config.schema).await?;
    if !db::try_rebuild_lock(&mut admin, &config.schema).await? {
        return Err(Error::Busy(format!(
            "another rebuild of schema {} is running",
            config.schema
        )));
    }
    db::drop_schema(&mut admin, &shadow).await?;
    let pool = db::pool(&config.database_url, &shadow, 3)?;
    db::prepare(&pool, &shadow).await?;
    let indexes = db::drop_secondary_indexes(&pool).await?;
    drop_timeline_keys(&pool).await?;
    let js = jetstream::new(nats);
    let mut summary = catch_up(&pool, &js, config).await?;
    restore_timeline_keys(&pool).await?;
    db::create_indexes(&pool, &indexes).await?;
    summary.schema.clone_from(&config.schema);
    for (table, count) in [
        ("payouts", &mut summary.payouts),
        ("charges", &mut summary.charges),
        ("beneficiaries", &mut summary.beneficiaries),
    ] {
        let sql = format!("SELECT count(*) FROM {table}");
        *count = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&pool)
            .await?;
    }
    pool.close().await;
    db::swap(&mut admin, &config.schema, &shadow).await?;
    // Operator actions are not events: their audit is read from its own stream into the tables
    // now in place, or it would stay empty until the projection started again.
    let live = db::pool(&config.database_url, &config.schema, 1)?;
    crate::audit::copy_all(&live, &js, &config.log).await?;
    live.close().await;
    summary.total = started.elapsed();
    Ok(summary)
}

/// The timelines and their keys. While a rebuild loads, the keys are dropped (an index built once
/// at the end costs far less than one maintained on every insert). Should a corrupt log hold an
/// `(order, version)` twice, restoring the key fails; the repeats are then removed, keeping the
/// first as live inserts do, and the key is added again.
const TIMELINES: [(&str, &str); 3] = [
    ("payout_events", "order_id, version"),
    ("charge_events", "order_id, version"),
    ("beneficiary_events", "beneficiary_id, version"),
];

async fn drop_timeline_keys(pool: &PgPool) -> Result<(), Error> {
    for (table, _) in TIMELINES {
        let sql = format!("ALTER TABLE {table} DROP CONSTRAINT {table}_pkey");
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
    }
    Ok(())
}

async fn restore_timeline_keys(pool: &PgPool) -> Result<(), Error> {
    for (table, key) in TIMELINES {
        let add = format!("ALTER TABLE {table} ADD PRIMARY KEY ({key})");
        match sqlx::query(sqlx::AssertSqlSafe(add.clone()))
            .execute(pool)
            .await
        {
            Ok(_) => continue,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                tracing::warn!(%table, "the log repeats an (order, version); keeping the first");
            }
            Err(e) => return Err(e.into()),
        }
        let dedupe = format!(
            "DELETE FROM {table} a USING {table} b WHERE ({a}) = ({b}) AND a.sequence > b.sequence",
            a = prefixed("a", key),
            b = prefixed("b", key)
        );
        sqlx::query(sqlx::AssertSqlSafe(dedupe))
            .execute(pool)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(add)).execute(pool).await?;
    }
    Ok(())
}

/// `a.x, a.y` from `x, y`.
fn prefixed(alias: &str, columns: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn progress_bar(len: u64) -> ProgressBar {
    events_bar("rebuilding", len)
}

/// A bar on stderr of `len` events, `what` in front (`rebuilding`, `publishing`).
pub(crate) fn events_bar(what: &str, len: u64) -> ProgressBar {
    let style = ProgressStyle::with_template(&format!(
        "{what} [{{bar:40}}] {{pos}}/{{len}} events, {{per_sec}}, eta {{eta}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr()).with_style(style)
}

/// Applies everything the stream holds now (its backlog when the reader starts).
async fn catch_up(
    pool: &PgPool,
    js: &jetstream::Context,
    config: &ProjectionConfig,
) -> Result<RebuildSummary, Error> {
    let started = Instant::now();
    let batching = Batching {
        max: REBUILD_BATCH,
        linger: Duration::from_millis(100),
    };
    let mut source = Source::start(js, &config.log, 0, batching).await?;
    let bar = progress_bar(source.pending);
    let mut summary = RebuildSummary {
        schema: String::new(),
        messages: 0,
        events: 0,
        unknown: 0,
        unreadable: 0,
        last_sequence: 0,
        payouts: 0,
        charges: 0,
        beneficiaries: 0,
        catch_up: Duration::ZERO,
        total: Duration::ZERO,
    };
    while summary.messages < source.pending {
        let batch = source.next().await?;
        if let Outcome::Applied {
            events, unknown, ..
        } = apply_bulk(pool, &batch).await?
        {
            summary.events += events;
            summary.unknown += unknown;
        }
        summary.messages += batch.delivered;
        summary.unreadable += batch.unreadable;
        summary.last_sequence = batch.last;
        bar.set_position(summary.messages.min(source.pending));
    }
    bar.finish_and_clear();
    summary.catch_up = started.elapsed();
    Ok(summary)
}
