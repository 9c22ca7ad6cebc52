//! The audit read model: follows `<stream>_AUDIT` (operator actions, allowed or refused, as intake
//! recorded them) into `giro.audit`, one row per record keyed by its stream sequence, so a record
//! delivered twice is kept once. Independent of the event projector: audit records are not order
//! events and have no checkpoint of their own besides the rows. A rebuild, which swaps in tables
//! made from the events, reads the whole audit stream into the new `giro.audit` once it is in
//! place ([`copy_all`]); what is recorded meanwhile the running follower adds.

use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use giro_eventlog::{AuditRecord, EventLogConfig};
use sqlx::PgPool;
use tokio::sync::watch;

use crate::error::Error;

/// How long to wait before following again after NATS or PostgreSQL failed (or before intake
/// created the stream).
const RETRY: Duration = Duration::from_secs(2);

/// Follows the audit stream until `stopped` turns true.
pub(crate) async fn follow(
    pool: PgPool,
    js: jetstream::Context,
    log: EventLogConfig,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let followed = tokio::select! {
            r = follow_once(&pool, &js, &log) => r,
            _ = stopped.wait_for(|s| *s) => return,
        };
        if let Err(e) = followed {
            tracing::debug!(error = %e, "audit stream not followed; trying again");
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY) => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
    }
}

async fn follow_once(
    pool: &PgPool,
    js: &jetstream::Context,
    log: &EventLogConfig,
) -> Result<(), Error> {
    let after: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM audit")
        .fetch_one(pool)
        .await?;
    let start = u64::try_from(after).unwrap_or(0) + 1;
    store_from(pool, js, log, start, Until::Stopped).await
}

/// Reads every record the audit stream holds now into `pool`'s `audit` table (those already
/// there are kept once); returns how many the stream held. No stream yet (no operator ever
/// acted): nothing to read.
pub(crate) async fn copy_all(
    pool: &PgPool,
    js: &jetstream::Context,
    log: &EventLogConfig,
) -> Result<u64, Error> {
    let name = giro_eventlog::audit::stream_name(log);
    let Ok(mut stream) = js.get_stream(&name).await else {
        return Ok(0);
    };
    let held = stream
        .info()
        .await
        .map_err(|e| Error::nats(&format!("reading stream {name}"), e))?
        .state
        .messages;
    if held > 0 {
        store_from(pool, js, log, 1, Until::CaughtUp).await?;
    }
    Ok(held)
}

/// How long [`store_from`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    /// Until the stream as it is now has been read (a rebuild's copy).
    CaughtUp,
    /// For as long as the stream delivers (the follower).
    Stopped,
}

/// Stores the audit stream's records from sequence `start` on.
async fn store_from(
    pool: &PgPool,
    js: &jetstream::Context,
    log: &EventLogConfig,
    start: u64,
    until: Until,
) -> Result<(), Error> {
    let name = giro_eventlog::audit::stream_name(log);
    let failed = |e: &dyn std::fmt::Display| Error::nats(&format!("reading stream {name}"), e);
    let stream = js.get_stream_no_info(&name).await.map_err(|e| failed(&e))?;
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: start,
            },
            description: Some("giro-projection audit reader".to_string()),
            ..Default::default()
        })
        .await
        .map_err(|e| failed(&e))?;
    let mut messages = consumer.messages().await.map_err(|e| failed(&e))?;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| failed(&e))?;
        let info = message
            .info()
            .map_err(|e| Error::nats("audit record metadata", e))?;
        let (seq, pending) = (info.stream_sequence, info.pending);
        match serde_json::from_slice::<AuditRecord>(&message.payload) {
            Ok(record) => insert(pool, seq, &record).await?,
            Err(e) => tracing::warn!(seq, error = %e, "unreadable audit record skipped"),
        }
        if until == Until::CaughtUp && pending == 0 {
            break;
        }
    }
    Ok(())
}

async fn insert(pool: &PgPool, seq: u64, r: &AuditRecord) -> Result<(), Error> {
    let seq = i64::try_from(seq).map_err(|_| Error::Corrupt(format!("audit sequence {seq}")))?;
    sqlx::query(
        "INSERT INTO audit (seq, at, action, operator, order_id, outcome, code, reason, events) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (seq) DO NOTHING",
    )
    .bind(seq)
    .bind(r.at)
    .bind(&r.action)
    .bind(&r.operator)
    .bind(&r.order_id)
    .bind(r.outcome.as_str())
    .bind(&r.code)
    .bind(&r.reason)
    .bind(&r.events)
    .execute(pool)
    .await?;
    Ok(())
}
