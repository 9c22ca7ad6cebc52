//! The executor runtime: a durable pull consumer on the payout events, shared by every instance of
//! one provider, and the timer discipline that keeps each non-terminal order awake.
//!
//! Each order is driven by the message of its **latest** event. Handling it either finishes the
//! order's current step (appending a newer event, whose message takes over, and acking this one)
//! or asks JetStream to redeliver this message later (`NAK` with a delay): the order's deadline.
//! A message that is not its order's latest is acked at once. So every non-terminal order has
//! exactly one pending timer, it survives crashes and restarts, and any instance may fire it.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{self, pull};
use async_nats::jetstream::{self, AckKind};
use futures::StreamExt;
use giro_domain::payout::PayoutDecider;
use giro_eventlog::{EventLog, PROVIDER_HEADER};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::ExecutorConfig;
use crate::dlq;
use crate::funds::Funds;
use crate::payouts::{Next, PayoutWorker};
use crate::provider::PayoutProvider;

/// Why the executor could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("creating the consumer {0}: {1}")]
    Consumer(String, String),
    #[error("opening the funds ledger: {0}")]
    Funds(String),
}

/// A running executor instance; stops when dropped or stopped.
pub struct ExecutorHandle {
    tasks: JoinSet<()>,
}

impl ExecutorHandle {
    /// Stops fetching; in-flight steps are abandoned (their messages are redelivered elsewhere).
    pub async fn stop(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

impl Drop for ExecutorHandle {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// Starts one executor instance for `config.provider`.
pub async fn start(
    log: EventLog,
    provider: Arc<dyn PayoutProvider>,
    config: ExecutorConfig,
    prefunded: bool,
) -> Result<ExecutorHandle, StartError> {
    let js = log.context().clone();
    let name = config.consumer_name();
    let stream = js
        .get_stream(&log.config().stream)
        .await
        .map_err(|e| StartError::Consumer(name.clone(), e.to_string()))?;
    let consumer = stream
        .get_or_create_consumer(
            &name,
            pull::Config {
                durable_name: Some(name.clone()),
                description: Some(format!("Giro executor of {}", config.provider)),
                filter_subject: format!("{}.evt.payout.>", config.prefix),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: config.timings.ack_wait,
                max_deliver: -1,
                max_ack_pending: 100_000,
                deliver_policy: consumer::DeliverPolicy::All,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| StartError::Consumer(name.clone(), e.to_string()))?;
    let funds = if prefunded {
        let ledger = format!("{}_FUNDS", log.config().stream);
        Some(
            Funds::open(&js, &ledger, &config.prefix, config.provider.as_str())
                .await
                .map_err(|e| StartError::Funds(e.to_string()))?,
        )
    } else {
        None
    };
    let worker = Arc::new(PayoutWorker {
        log,
        provider,
        funds,
        timings: config.timings.clone(),
    });
    let mut tasks = JoinSet::new();
    tasks.spawn(consume(consumer, worker, Arc::new(config), js));
    Ok(ExecutorHandle { tasks })
}

async fn consume(
    consumer: consumer::Consumer<pull::Config>,
    worker: Arc<PayoutWorker>,
    config: Arc<ExecutorConfig>,
    js: jetstream::Context,
) {
    let permits = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
    let mut in_flight = JoinSet::new();
    loop {
        let mut messages = match consumer.messages().await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "cannot fetch events; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        while let Some(message) = messages.next().await {
            let message = match message {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "event stream interrupted; resuming");
                    break;
                }
            };
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let worker = worker.clone();
            let config = config.clone();
            let js = js.clone();
            in_flight.spawn(async move {
                handle(&worker, &config, &js, message).await;
                drop(permit);
            });
            while in_flight.try_join_next().is_some() {}
        }
    }
}

/// Handles one delivery; never panics, always acks, naks or dead-letters it.
async fn handle(
    worker: &PayoutWorker,
    config: &ExecutorConfig,
    js: &jetstream::Context,
    message: jetstream::Message,
) {
    let ours = message
        .headers
        .as_ref()
        .and_then(|h| h.get(PROVIDER_HEADER))
        .is_some_and(|p| p.as_str() == config.provider.as_str());
    if !ours {
        ack(&message, AckKind::Ack).await;
        return;
    }
    let (sequence, deliveries) = match message.info() {
        Ok(info) => (info.stream_sequence, info.delivered.max(1) as u64),
        Err(e) => {
            dlq::dead_letter(js, config, &message, &format!("no JetStream metadata: {e}")).await;
            return;
        }
    };
    let Some(id) = message
        .subject
        .rsplit('.')
        .next()
        .and_then(|s| s.parse().ok())
    else {
        dlq::dead_letter(js, config, &message, "subject does not end in an order id").await;
        return;
    };
    let order = match worker.log.load::<PayoutDecider>(id).await {
        Ok(order) => order,
        Err(giro_eventlog::Error::Corrupt {
            sequence, reason, ..
        }) => {
            let reason = format!("order's log unreadable at sequence {sequence}: {reason}");
            dlq::dead_letter(js, config, &message, &reason).await;
            return;
        }
        Err(e) => {
            tracing::warn!(order_id = %id, error = %e, "cannot load order; will retry");
            ack(&message, AckKind::Nak(Some(Duration::from_secs(1)))).await;
            return;
        }
    };
    if order.last_sequence != sequence {
        ack(&message, AckKind::Ack).await;
        return;
    }
    let Some(payout) = order.state else {
        dlq::dead_letter(
            js,
            config,
            &message,
            "event of a payout that has no payout.requested",
        )
        .await;
        return;
    };
    let span = tracing::info_span!("executor.step", order_id = %id, provider = %config.provider, status = %payout.status);
    let next = {
        let _enter = span.enter();
        worker.step(&payout, deliveries)
    }
    .await;
    match next {
        Ok(Next::Ack) => ack(&message, AckKind::Ack).await,
        Ok(Next::After(delay)) => ack(&message, AckKind::Nak(Some(delay))).await,
        Err(e) => {
            tracing::warn!(order_id = %id, error = %e, "step failed; will retry");
            ack(&message, AckKind::Nak(Some(Duration::from_secs(1)))).await;
        }
    }
}

async fn ack(message: &jetstream::Message, kind: AckKind) {
    if let Err(e) = message.ack_with(kind).await {
        tracing::debug!(error = %e, "ack not sent; the message will be redelivered");
    }
}
