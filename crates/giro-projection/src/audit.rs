//! The audit read model: follows `<stream>_AUDIT` (operator actions, allowed or refused, as intake
//! recorded them) into `giro.audit`, one row per record keyed by its stream sequence, so a record
//! delivered twice is kept once. Independent of the event projector: audit records are not order
//! events and have no checkpoint of their own besides the rows.

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
    let name = giro_eventlog::audit::stream_name(log);
    let stream = js
        .get_stream_no_info(&name)
        .await
        .map_err(|e| Error::nats(&format!("opening stream {name}"), e))?;
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: u64::try_from(after).unwrap_or(0) + 1,
            },
            description: Some("giro-projection audit reader".to_string()),
            ..Default::default()
        })
        .await
        .map_err(|e| Error::nats(&format!("reading stream {name}"), e))?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| Error::nats(&format!("reading stream {name}"), e))?;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| Error::nats(&format!("reading stream {name}"), e))?;
        let seq = message
            .info()
            .map_err(|e| Error::nats("audit record metadata", e))?
            .stream_sequence;
        match serde_json::from_slice::<AuditRecord>(&message.payload) {
            Ok(record) => insert(pool, seq, &record).await?,
            Err(e) => tracing::warn!(seq, error = %e, "unreadable audit record skipped"),
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
