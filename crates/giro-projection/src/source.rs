//! Reading the event stream in order, from a given sequence, in batches: a JetStream ordered
//! (ephemeral, ack-less) pull consumer filtered on `<prefix>.evt.>`, decoded on its own task so
//! that decoding the next batch overlaps with writing the current one.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use futures::{StreamExt, TryStreamExt};
use giro_domain::seal::Sealing;
use giro_eventlog::{EventLogConfig, Keys};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::decode::{self, Decoded, Skip};
use crate::error::Error;

/// Consecutive messages of the stream, decoded.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    /// The sequence this batch continues from: the consumer delivered everything after it up to
    /// `last`, so applying it on a checkpoint equal to `after` leaves no gap.
    pub after: u64,
    /// The sequence of the last message delivered (applied or skipped).
    pub last: u64,
    pub events: Vec<Decoded>,
    /// Messages delivered in this batch (events, unreadable messages and others).
    pub delivered: u64,
    /// Messages that were not event envelopes at all.
    pub unreadable: u64,
}

/// A running reader; dropping it stops the consumer.
pub(crate) struct Source {
    /// Messages the consumer had to deliver when it was created (the stream's backlog).
    pub pending: u64,
    batches: mpsc::Receiver<Result<Batch, Error>>,
    task: JoinHandle<()>,
}

impl Drop for Source {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How a reader batches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Batching {
    pub max: usize,
    pub linger: Duration,
}

impl Source {
    /// Starts reading the stream after sequence `after`.
    pub async fn start(
        js: &jetstream::Context,
        log: &EventLogConfig,
        after: u64,
        batching: Batching,
    ) -> Result<Source, Error> {
        let stream = js
            .get_stream_no_info(&log.stream)
            .await
            .map_err(|e| Error::nats(&format!("opening stream {}", log.stream), e))?;
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: log.stream_subjects(),
                deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: after + 1,
                },
                description: Some("giro-projection reader".to_string()),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::nats(&format!("reading stream {}", log.stream), e))?;
        let pending = consumer.cached_info().num_pending;
        let messages = consumer
            .messages()
            .await
            .map_err(|e| Error::nats(&format!("reading stream {}", log.stream), e))?;
        let keys = Keys::open(js, log)
            .await
            .map_err(|e| Error::Nats(format!("opening the order keys: {e}")))?;
        let (tx, rx) = mpsc::channel(2);
        let prefix = log.prefix.clone();
        let task = tokio::spawn(read(messages, keys, prefix, after, batching, tx));
        Ok(Source {
            pending,
            batches: rx,
            task,
        })
    }

    /// The next batch; an error ends the source (start a new one from the checkpoint).
    pub async fn next(&mut self) -> Result<Batch, Error> {
        self.batches
            .recv()
            .await
            .unwrap_or_else(|| Err(Error::Nats("the stream reader stopped".to_string())))
    }
}

async fn read(
    mut messages: consumer::pull::Ordered,
    keys: Arc<Keys>,
    prefix: String,
    mut after: u64,
    batching: Batching,
    tx: mpsc::Sender<Result<Batch, Error>>,
) {
    loop {
        let mut raw = Vec::with_capacity(batching.max);
        match messages.next().await {
            Some(Ok(m)) => raw.push(m),
            Some(Err(e)) => {
                let _ = tx.send(Err(Error::nats("reading the stream", e))).await;
                return;
            }
            None => return,
        }
        let deadline = Instant::now() + batching.linger;
        while raw.len() < batching.max {
            match tokio::time::timeout_at(deadline, messages.next()).await {
                Ok(Some(Ok(m))) => raw.push(m),
                Ok(Some(Err(e))) => {
                    let _ = tx.send(Err(Error::nats("reading the stream", e))).await;
                    return;
                }
                Ok(None) | Err(_) => break,
            }
        }
        let batch = match sealings(&keys, &raw).await {
            Ok(sealings) => decode_batch(after, &raw, &prefix, &sealings),
            Err(e) => Err(e),
        };
        let batch = match batch {
            Ok(batch) => batch,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        after = batch.last;
        if tx.send(Ok(batch)).await.is_err() {
            return;
        }
    }
}

/// How each order of a batch is sealed (see [`Keys::sealing`]), its keys read concurrently: a
/// read for each order this reader has not seen yet, none for the others.
async fn sealings(
    keys: &Keys,
    raw: &[jetstream::Message],
) -> Result<HashMap<String, Option<Sealing>>, Error> {
    let subjects: HashSet<String> = raw.iter().map(|m| m.subject.to_string()).collect();
    futures::stream::iter(subjects)
        .map(|subject| async move {
            let sealing = keys.sealing(&subject).await;
            let sealing = sealing.map_err(|e| Error::Nats(e.to_string()))?;
            Ok::<_, Error>((subject, sealing))
        })
        .buffer_unordered(32)
        .try_collect()
        .await
}

fn decode_batch(
    after: u64,
    raw: &[jetstream::Message],
    prefix: &str,
    sealings: &HashMap<String, Option<Sealing>>,
) -> Result<Batch, Error> {
    let mut batch = Batch {
        after,
        last: after,
        events: Vec::with_capacity(raw.len()),
        delivered: raw.len() as u64,
        unreadable: 0,
    };
    for message in raw {
        let sequence = message
            .info()
            .map_err(|e| Error::nats("reading a message's stream sequence", e))?
            .stream_sequence;
        batch.last = sequence;
        let subject = message.subject.as_str();
        let sealing = sealings.get(subject).and_then(Option::as_ref);
        match decode::decode(subject, prefix, sequence, &message.payload, sealing) {
            Ok(mut event) => {
                event.trace = message
                    .headers
                    .as_ref()
                    .filter(|h| h.get("traceparent").is_some())
                    .map(giro_eventlog::trace::extract);
                batch.events.push(event);
            }
            Err(Skip::NotOurs) => {}
            Err(Skip::Unreadable(reason)) => {
                tracing::warn!(subject = %message.subject, sequence, %reason, "skipping a message that is not an event");
                batch.unreadable += 1;
            }
        }
    }
    Ok(batch)
}

/// The stream's last sequence (0 when empty), for the lag metric.
pub(crate) async fn last_sequence(js: &jetstream::Context, stream: &str) -> Result<u64, Error> {
    let stream = js
        .get_stream(stream)
        .await
        .map_err(|e| Error::nats(&format!("reading the state of stream {stream}"), e))?;
    Ok(stream.cached_info().state.last_sequence)
}
