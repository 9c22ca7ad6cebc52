//! The live projector: follow the stream from the checkpoint and apply it in batches, forever,
//! restarting from the checkpoint after any failure.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use sqlx::PgPool;
use tokio::sync::watch;

use crate::apply::{Outcome, apply_batch};
use crate::config::ProjectionConfig;
use crate::db;
use crate::error::Error;
use crate::metrics::Metrics;
use crate::source::{Batching, Source};

/// Longest pause between retries after a failure.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What the projector loop needs.
pub(crate) struct Projector {
    pub pool: PgPool,
    pub js: jetstream::Context,
    pub config: ProjectionConfig,
    pub metrics: Arc<Metrics>,
}

impl Projector {
    /// Runs until `stop` turns true (or its sender is dropped).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let result = tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                r = self.follow() => r,
            };
            match result {
                Ok(()) => backoff = Duration::from_millis(100),
                Err(e) => {
                    let stage = match e {
                        Error::Nats(_) => "read",
                        _ => "apply",
                    };
                    self.metrics.error(stage);
                    tracing::warn!(error = %e, retry_in = ?backoff, "projector failed; restarting from the checkpoint");
                    tokio::select! {
                        _ = stop.wait_for(|s| *s) => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Reads from the checkpoint and applies batches until the reader must restart: `Ok` when the
    /// checkpoint moved elsewhere (another instance ran ahead, or a rebuild reset it).
    async fn follow(&self) -> Result<(), Error> {
        let checkpoint = db::checkpoint(&self.pool).await?;
        let batching = Batching {
            max: self.config.batch_size,
            linger: self.config.linger,
        };
        let mut source = Source::start(&self.js, &self.config.log, checkpoint, batching).await?;
        tracing::info!(checkpoint, "projector following the stream");
        loop {
            let batch = source.next().await?;
            self.metrics.events_unreadable.inc_by(batch.unreadable);
            // Each traced event gets a span in its order's trace, open until its batch commits.
            let spans: Vec<tracing::Span> = batch
                .events
                .iter()
                .filter_map(|e| {
                    let cx = e.trace.clone()?;
                    let span = tracing::info_span!(
                        "projection.apply",
                        otel.name = %format_args!("process {}", self.config.log.stream),
                        otel.kind = "consumer",
                        messaging.system = "nats",
                        messaging.operation.type = "process",
                        messaging.operation.name = "process",
                        messaging.destination.name = %self.config.log.stream,
                        messaging.consumer.group.name = "projection",
                        order_id = %e.order_id,
                        event_type = %e.event_type,
                        sequence = e.sequence
                    );
                    giro_eventlog::trace::continue_context(&span, cx);
                    Some(span)
                })
                .collect();
            let outcome = apply_batch(&self.pool, &batch).await;
            if let Err(e) = &outcome {
                for span in &spans {
                    giro_telemetry::trace::fail(span, "database", e.to_string());
                }
            }
            drop(spans);
            match outcome? {
                Outcome::Applied {
                    events,
                    skipped,
                    unknown,
                    checkpoint,
                } => {
                    self.metrics.batches.inc();
                    self.metrics.events_applied.inc_by(events);
                    self.metrics.events_skipped.inc_by(skipped);
                    self.metrics.events_unknown.inc_by(unknown);
                    self.metrics
                        .checkpoint
                        .set(i64::try_from(checkpoint).unwrap_or(i64::MAX));
                }
                Outcome::Overtaken { checkpoint } => {
                    self.metrics
                        .events_skipped
                        .inc_by(batch.events.len() as u64);
                    tracing::debug!(
                        checkpoint,
                        "another instance applied this batch; skipping ahead"
                    );
                    return Ok(());
                }
                Outcome::Behind { checkpoint } => {
                    tracing::info!(
                        checkpoint,
                        after = batch.after,
                        "checkpoint is behind this reader (rebuilt?); re-reading from it"
                    );
                    return Ok(());
                }
            }
        }
    }
}
