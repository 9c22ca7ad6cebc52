//! The executor runtime: a durable pull consumer on one kind of order's events (payouts, charges),
//! shared by every instance of one provider, and the timer discipline that keeps each non-terminal
//! order awake. What a step does for an order is the [`Steps`] of its kind (`payouts`, `charges`).
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
use giro_domain::{Decider, OrderKind};
use giro_eventlog::{EventLog, ExecuteError, PROVIDER_HEADER};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::charges::ChargeWorker;
use crate::config::ExecutorConfig;
use crate::dlq;
use crate::funds::Funds;
use crate::payouts::PayoutWorker;
use crate::provider::{BoxFuture, ChargeProvider, PayoutProvider};

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

/// What to do with the message that woke the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Done with this message: a newer event (or none, for a terminal order) drives the order.
    Ack,
    /// Look at the order again after this delay (a timer on the order's latest event).
    After(Duration),
}

/// `base * 2^n` capped, with up to 25% jitter so instances do not retry in lockstep.
pub fn backoff(base: Duration, max: Duration, n: u32) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(n.min(16))).min(max);
    let jitter = rand::random_range(0.0..0.25);
    exp.mul_f64(1.0 + jitter).min(max)
}

/// What the runtime drives for one kind of order at one provider: given the order rebuilt from
/// its log and woken by its latest event, one step (see [`Next`]).
pub(crate) trait Steps: Send + Sync + 'static {
    type Decider: Decider<State = Option<Self::Order>, Event: Send + Sync> + Send + Sync + 'static;
    type Order: Send + Sync + 'static;
    fn log(&self) -> &EventLog;
    /// The order's status, for the step's span.
    fn status(order: &Self::Order) -> &'static str;
    /// `deliveries` counts how often the order's latest event has been delivered (it grows while
    /// the order sleeps on it).
    fn step<'a>(
        &'a self,
        order: &'a Self::Order,
        deliveries: u64,
    ) -> BoxFuture<'a, Result<Next, ExecuteError>>;
}

/// The durable consumer every instance of `config.provider` shares on orders of `kind`.
async fn open_consumer(
    log: &EventLog,
    config: &ExecutorConfig,
    kind: OrderKind,
) -> Result<consumer::Consumer<pull::Config>, StartError> {
    let js = log.context();
    let name = config.consumer_name();
    let stream = js
        .get_stream(&log.config().stream)
        .await
        .map_err(|e| StartError::Consumer(name.clone(), e.to_string()))?;
    stream
        .get_or_create_consumer(
            &name,
            pull::Config {
                durable_name: Some(name.clone()),
                description: Some(format!(
                    "Giro executor of {} ({})",
                    config.provider,
                    match kind {
                        OrderKind::Payout => "payouts",
                        OrderKind::Charge => "charges",
                        OrderKind::Beneficiary => "beneficiaries",
                    }
                )),
                filter_subject: format!("{}.evt.{kind}.>", config.prefix),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: config.timings.ack_wait,
                max_deliver: -1,
                max_ack_pending: 100_000,
                deliver_policy: consumer::DeliverPolicy::All,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| StartError::Consumer(name.clone(), e.to_string()))
}

/// Runs `worker` on `consumer` until the handle is stopped.
fn run<W: Steps>(
    consumer: consumer::Consumer<pull::Config>,
    worker: Arc<W>,
    config: ExecutorConfig,
    js: jetstream::Context,
) -> ExecutorHandle {
    let mut tasks = JoinSet::new();
    tasks.spawn(report_lag(consumer.clone(), config.consumer_name()));
    tasks.spawn(consume(consumer, worker, Arc::new(config), js));
    ExecutorHandle { tasks }
}

/// Starts one beneficiary-account executor instance (`config.provider` is `killb-accounts`):
/// consumer `giro-executor-killb-accounts` on `<prefix>.evt.beneficiary.>`.
pub async fn start_beneficiaries(
    log: EventLog,
    provider: Arc<dyn crate::beneficiaries::AccountProvider>,
    config: ExecutorConfig,
) -> Result<ExecutorHandle, StartError> {
    let consumer = open_consumer(&log, &config, OrderKind::Beneficiary).await?;
    let js = log.context().clone();
    let worker = Arc::new(crate::beneficiaries::BeneficiaryWorker {
        log,
        provider,
        timings: config.timings.clone(),
    });
    Ok(run(consumer, worker, config, js))
}

/// Starts one charge executor instance for `config.provider` (A55): consumer
/// `giro-executor-<provider>` on `<prefix>.evt.charge.>`.
pub async fn start_charges(
    log: EventLog,
    provider: Arc<dyn ChargeProvider>,
    config: ExecutorConfig,
) -> Result<ExecutorHandle, StartError> {
    let consumer = open_consumer(&log, &config, OrderKind::Charge).await?;
    let js = log.context().clone();
    let worker = Arc::new(ChargeWorker {
        log,
        provider,
        timings: config.timings.clone(),
    });
    Ok(run(consumer, worker, config, js))
}

/// Starts one payout executor instance for `config.provider`: consumer
/// `giro-executor-<provider>` on `<prefix>.evt.payout.>`.
pub async fn start(
    log: EventLog,
    provider: Arc<dyn PayoutProvider>,
    config: ExecutorConfig,
    prefunded: bool,
) -> Result<ExecutorHandle, StartError> {
    let js = log.context().clone();
    let consumer = open_consumer(&log, &config, OrderKind::Payout).await?;
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
    Ok(run(consumer, worker, config, js))
}

/// Publishes the consumer's lag (`giro_consumer_pending`, `giro_consumer_ack_pending`) as the
/// server reports it, every few seconds.
async fn report_lag(mut consumer: consumer::Consumer<pull::Config>, name: String) {
    loop {
        match consumer.info().await {
            Ok(info) => giro_telemetry::metrics::consumer_lag(
                &name,
                info.num_pending,
                u64::try_from(info.num_ack_pending).unwrap_or(0),
            ),
            Err(e) => tracing::debug!(error = %e, consumer = %name, "consumer info unavailable"),
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

async fn consume<W: Steps>(
    consumer: consumer::Consumer<pull::Config>,
    worker: Arc<W>,
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
                handle(worker.as_ref(), &config, &js, message).await;
                drop(permit);
            });
            while in_flight.try_join_next().is_some() {}
        }
    }
}

/// Handles one delivery; never panics, always acks, naks or dead-letters it.
async fn handle<W: Steps>(
    worker: &W,
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
    let order = match worker.log().load::<W::Decider>(id).await {
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
    let Some(state) = order.state else {
        dlq::dead_letter(
            js,
            config,
            &message,
            &format!(
                "event of a {kind} with no {kind}.requested",
                kind = <W::Decider as Decider>::KIND
            ),
        )
        .await;
        return;
    };
    // The step continues the trace of the event it acts on (W3C context in the message headers).
    let span = tracing::info_span!("executor.step", order_id = %id, provider = %config.provider, status = W::status(&state));
    if let Some(headers) = &message.headers {
        giro_eventlog::trace::continue_from(&span, headers);
    }
    let next = worker.step(&state, deliveries).instrument(span).await;
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
