//! The consumer loop: fetch deliveries, hand each to the worker of the provider instance its
//! event is routed to, run the order's step, and ack, delay (a timer) or dead-letter the message.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{self, pull};
use async_nats::jetstream::{self, AckKind};
use futures::StreamExt;
use giro_domain::{Decider, OrderId};
use giro_eventlog::{Delivered, PROVIDER_HEADER};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

use super::open::report_lag;
use super::timers::Timers;
use super::turns::Turns;
use super::{ExecutorHandle, Next, Steps};
use crate::config::ExecutorConfig;
use crate::dlq;

/// The workers one consumer feeds, by the provider instance their events are routed to
/// (`Giro-Provider` header); events of other providers are acknowledged and left alone.
pub(super) struct Routes<W> {
    pub(super) by_provider: Vec<(Arc<W>, Arc<ExecutorConfig>)>,
}

impl<W> Routes<W> {
    fn of(&self, message: &jetstream::Message) -> Option<&(Arc<W>, Arc<ExecutorConfig>)> {
        let provider = message.headers.as_ref()?.get(PROVIDER_HEADER)?;
        self.by_provider
            .iter()
            .find(|(_, c)| c.provider.as_str() == provider.as_str())
    }
}

/// Runs `routes` on `consumer` (named `name`) until the handle is stopped.
pub(super) fn run<W: Steps>(
    consumer: consumer::Consumer<pull::Config>,
    name: String,
    routes: Routes<W>,
    js: jetstream::Context,
) -> ExecutorHandle {
    let prefix = routes
        .by_provider
        .first()
        .map(|(_, c)| c.prefix.clone())
        .unwrap_or_default();
    // The ack wait the consumer has (it may predate this configuration's).
    let ack_wait = consumer.cached_info().config.ack_wait;
    let (timers, deferrals) = Timers::new(js.client(), &prefix, &name, ack_wait);
    let timers = Arc::new(timers);
    let mut tasks = JoinSet::new();
    tasks.spawn(report_lag(consumer.clone(), name));
    tasks.spawn(timers.clone().listen());
    tasks.spawn(timers.clone().arm(deferrals));
    tasks.spawn(consume(consumer, Arc::new(routes), js, timers));
    ExecutorHandle { tasks }
}

async fn consume<W: Steps>(
    consumer: consumer::Consumer<pull::Config>,
    routes: Arc<Routes<W>>,
    js: jetstream::Context,
    timers: Arc<Timers>,
) {
    let in_flight_limit = routes
        .by_provider
        .iter()
        .map(|(_, c)| c.max_in_flight)
        .sum();
    let permits = Arc::new(Semaphore::new(usize::max(in_flight_limit, 1)));
    let turns = Arc::new(Turns::default());
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
            let Some((worker, config)) = routes.of(&message) else {
                // Another provider's order (or none): not this consumer's to drive.
                ack(&message, AckKind::Ack).await;
                continue;
            };
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let worker = worker.clone();
            let config = config.clone();
            let js = js.clone();
            let timers = timers.clone();
            let turns = turns.clone();
            // Boxed: a step's future is large (provider calls and all), and the task would
            // otherwise copy it whole when spawned, moved and joined (memmove was the top of
            // `perf record` on the bench).
            in_flight.spawn(Box::pin(async move {
                handle(worker.as_ref(), &config, &js, &timers, &turns, message).await;
                drop(permit);
            }));
            while in_flight.try_join_next().is_some() {}
        }
    }
}

/// Handles one delivery, once no other step on its order runs here; never panics, always acks,
/// naks or dead-letters it.
async fn handle<W: Steps>(
    worker: &W,
    config: &ExecutorConfig,
    js: &jetstream::Context,
    timers: &Timers,
    turns: &Turns,
    message: jetstream::Message,
) {
    let work = async {
        let Some(delivery) = addressed(js, config, &message).await else {
            return;
        };
        // After any step on the order still running here (see `turns`).
        let _turn = turns.take(delivery.id).await;
        let Some(order) = order_to_step(worker, config, js, timers, &delivery).await else {
            return;
        };
        step(worker, config, timers, &delivery, &order).await;
    };
    in_progress(&message, config.timings.ack_wait, work).await;
}

/// Runs `work` on `message`, telling JetStream every third of `ack_wait` that it is still in
/// progress: a step may outlast `ack_wait` (provider calls up to their time-out, a held
/// payout's funds check), and is not delivered to another instance meanwhile. `ack_wait` can so
/// stay short, and a message whose instance died is delivered again soon after.
async fn in_progress(
    message: &jetstream::Message,
    ack_wait: Duration,
    work: impl Future<Output = ()>,
) {
    let beat = (ack_wait / 3).max(Duration::from_millis(100));
    tokio::pin!(work);
    loop {
        tokio::select! {
            () = &mut work => return,
            () = tokio::time::sleep(beat) => ack(message, AckKind::Progress).await,
        }
    }
}

/// A delivery and where it stands in the log: its order, the stream sequence of its event, and
/// how often that event has been delivered.
struct Delivery<'m> {
    message: &'m jetstream::Message,
    id: OrderId,
    sequence: u64,
    deliveries: u64,
}

/// The delivery's order and position, read from its JetStream metadata and subject; `None`
/// (the message dead-lettered) when it has neither.
async fn addressed<'m>(
    js: &jetstream::Context,
    config: &ExecutorConfig,
    message: &'m jetstream::Message,
) -> Option<Delivery<'m>> {
    let (sequence, deliveries) = match message.info() {
        Ok(info) => (info.stream_sequence, info.delivered.max(1) as u64),
        Err(e) => {
            dlq::dead_letter(js, config, message, &format!("no JetStream metadata: {e}")).await;
            return None;
        }
    };
    let Some(id) = message
        .subject
        .rsplit('.')
        .next()
        .and_then(|s| s.parse().ok())
    else {
        dlq::dead_letter(js, config, message, "subject does not end in an order id").await;
        return None;
    };
    Some(Delivery {
        message,
        id,
        sequence,
        deliveries,
    })
}

/// A log that cannot be read as `Err(why)`, for the dead letter; any other failure as `Ok`, to
/// be retried.
fn unreadable(e: giro_eventlog::Error) -> Result<giro_eventlog::Error, String> {
    match e {
        giro_eventlog::Error::Corrupt {
            sequence, reason, ..
        } => Err(format!(
            "order's log unreadable at sequence {sequence}: {reason}"
        )),
        e => Ok(e),
    }
}

/// The order to step on, when the delivered event is still its latest; `None` when the
/// delivery has been acked (superseded), retried or dead-lettered instead.
async fn order_to_step<W: Steps>(
    worker: &W,
    config: &ExecutorConfig,
    js: &jetstream::Context,
    timers: &Timers,
    delivery: &Delivery<'_>,
) -> Option<W::Order> {
    let Delivery {
        message,
        id,
        sequence,
        deliveries,
    } = *delivery;
    let log = worker.log();
    // The order as this process knows it, up to the delivered event: no read when the message
    // follows on from what is cached (see `EventLog::load_delivered`).
    let delivered = log
        .load_delivered::<W::Decider>(id, sequence, &message.payload, message.headers.as_ref())
        .await;
    let mut order = match delivered {
        Ok(Delivered::Known(order)) => order,
        Ok(Delivered::Superseded) => {
            timers.delivered(id, sequence, false).await;
            ack(message, AckKind::Ack).await;
            return None;
        }
        Err(e) => {
            cannot_load(js, config, message, id, unreadable(e)).await;
            return None;
        }
    };
    timers.delivered(id, sequence, order.version() > 1).await;
    // A first delivery is stepped on what this process knows when the step allows it; a
    // redelivery (a timer firing, a step that died) reads the log first: its order may have moved
    // on in another process long ago.
    if deliveries > 1 || !order.state.as_ref().is_some_and(W::trusts) {
        order = match log.confirm::<W::Decider>(id, order).await {
            Ok(order) => order,
            Err(e) => {
                cannot_load(js, config, message, id, unreadable(e)).await;
                return None;
            }
        };
    }
    if order.last_sequence != sequence {
        ack(message, AckKind::Ack).await;
        return None;
    }
    let Some(state) = order.state else {
        dlq::dead_letter(
            js,
            config,
            message,
            &format!(
                "event of a {kind} with no {kind}.requested",
                kind = <W::Decider as Decider>::KIND
            ),
        )
        .await;
        return None;
    };
    Some(state)
}

/// Runs the order's step on `order` and acks the delivery, sets its timer or retries it.
async fn step<W: Steps>(
    worker: &W,
    config: &ExecutorConfig,
    timers: &Timers,
    delivery: &Delivery<'_>,
    order: &W::Order,
) {
    let Delivery {
        message,
        id,
        sequence,
        deliveries,
    } = *delivery;
    let log = worker.log();
    // The step continues the trace of the event it acts on (W3C context in the message headers).
    let span = tracing::info_span!(
        "executor.step",
        otel.name = %format_args!("process {}", log.config().stream),
        otel.kind = "consumer",
        messaging.system = "nats",
        messaging.operation.type = "process",
        messaging.operation.name = "process",
        messaging.destination.name = %message.subject,
        messaging.consumer.group.name = %config.consumer_name(),
        messaging.message.delivery_count = deliveries,
        order_id = %id,
        provider = %config.provider,
        status = W::status(order)
    );
    if let Some(headers) = &message.headers {
        giro_eventlog::trace::continue_from(&span, headers);
    }
    let next = worker
        .step(order, deliveries)
        .instrument(span.clone())
        .await;
    if let Err(e) = &next {
        giro_telemetry::trace::fail(&span, "step", e.to_string());
    }
    match next {
        Ok(Next::Ack) => ack(message, AckKind::Ack).await,
        Ok(Next::After(delay)) => {
            // The timer goes on the order's latest event as this process knows it. A newer event
            // this process has not seen yet cancels it when it is delivered here, or finds it
            // superseded when it fires.
            let moved_on = || log.known_after::<W::Decider>(id, sequence);
            timers.set(id, sequence, message, delay, moved_on).await;
        }
        Err(e) => {
            tracing::warn!(order_id = %id, error = %e, "step failed; will retry");
            ack(message, AckKind::Nak(Some(Duration::from_secs(1)))).await;
        }
    }
}

/// A delivery whose order could not be loaded: dead-lettered when its log is unreadable
/// (`Err(reason)`), else retried shortly.
async fn cannot_load(
    js: &jetstream::Context,
    config: &ExecutorConfig,
    message: &jetstream::Message,
    id: OrderId,
    failure: Result<giro_eventlog::Error, String>,
) {
    match failure {
        Err(reason) => dlq::dead_letter(js, config, message, &reason).await,
        Ok(e) => {
            tracing::warn!(order_id = %id, error = %e, "cannot load order; will retry");
            ack(message, AckKind::Nak(Some(Duration::from_secs(1)))).await;
        }
    }
}

pub(super) async fn ack(message: &jetstream::Message, kind: AckKind) {
    if let Err(e) = message.ack_with(kind).await {
        tracing::debug!(error = %e, "ack not sent; the message will be redelivered");
    }
}
