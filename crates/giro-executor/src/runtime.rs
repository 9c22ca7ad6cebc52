//! The executor runtime: a durable pull consumer on one kind of order's events (payouts, charges),
//! shared by every instance of one provider (or, for payouts, of one set of providers served by
//! one process, each event handed to the provider it is routed to), and the timer discipline that
//! keeps each non-terminal order awake. What a step does for an order is the [`Steps`] of its kind
//! (`payouts`, `charges`).
//!
//! Each order is driven by the message of its **latest** event. Handling it either finishes the
//! order's current step (appending a newer event, whose message takes over, and acking this one)
//! or asks JetStream to redeliver this message later (`NAK` with a delay): the order's deadline.
//! A message that is not its order's latest is acked at once. So every non-terminal order has a
//! pending timer, it survives crashes and restarts, and any instance may fire it.
//!
//! A timer is cancelled (acked) as soon as its order moves on: the instance that set it acks it
//! when it handles a newer event of the order, or hears from another instance of the consumer
//! that it did (see [`Timers`]). Without that, every order would keep a message pending for the
//! whole of its timer's delay (a minute or two) after it ended, and a busy engine would reach the
//! consumer's `max_ack_pending` and stop being delivered anything. A timer that escapes both
//! (an instance that died, word lost) is acked when it fires: a redelivered message is always
//! checked against the log before its step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::Subject;
use async_nats::jetstream::consumer::{self, pull};
use async_nats::jetstream::{self, AckKind};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use giro_domain::{Decider, Envelope, OrderId, OrderKind, SubmissionHandle};
use giro_eventlog::{Delivered, EventLog, ExecuteError, PROVIDER_HEADER};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::charges::ChargeWorker;
use crate::config::{ExecutorConfig, Timings};
use crate::dlq;
use crate::funds::Funds;
use crate::payouts::PayoutWorker;
use giro_providers::{BoxFuture, ChargeProvider, PayoutProvider};

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

/// How a refusal that says "come back later" (maintenance, busy, rate limited) is written into
/// the failure message it is recorded with: `… [come back after 60s]`, or `… [come back later]`
/// when the provider named no time. The log is the only memory the executors share, so the
/// provider's wait travels in the event itself and any instance, after any restart, honours it.
const COME_BACK: &str = " [come back ";

/// `message` marked as a "come back later" refusal, with the provider's wait if it named one.
pub fn come_back_later(message: &str, wait: Option<Duration>) -> String {
    match wait {
        Some(w) if w.subsec_millis() == 0 => format!("{message}{COME_BACK}after {}s]", w.as_secs()),
        Some(w) => format!("{message}{COME_BACK}after {}ms]", w.as_millis()),
        None => format!("{message}{COME_BACK}later]"),
    }
}

/// Whether a recorded failure message is a "come back later" refusal, and the wait it names
/// (zero when none). `None` for any other failure.
pub fn come_back_wait(message: &str) -> Option<Duration> {
    let at = message.rfind(COME_BACK)?;
    let rest = message[at + COME_BACK.len()..].strip_suffix(']')?;
    if rest == "later" {
        return Some(Duration::ZERO);
    }
    let wait = rest.strip_prefix("after ")?;
    if let Some(ms) = wait.strip_suffix("ms") {
        return ms.parse().ok().map(Duration::from_millis);
    }
    wait.strip_suffix('s')?
        .parse()
        .ok()
        .map(Duration::from_secs)
}

/// A failure message without its "come back later" mark, for what the order finally says.
pub fn without_mark(message: &str) -> &str {
    match message.rfind(COME_BACK) {
        Some(at) if come_back_wait(message).is_some() => &message[..at],
        _ => message,
    }
}

/// Refusals that say "come back later" whatever their wait: busy, maintenance, rate limits.
pub fn is_come_back_later(code: &str, retry_after: Option<Duration>) -> bool {
    const CODES: [&str; 6] = [
        "System_busy",
        "System_Maintenance",
        "http_429",
        "rate_limited",
        "errors.throttled",
        "errors.maintenance",
    ];
    retry_after.is_some() || CODES.contains(&code)
}

/// What an order's log says about its attempts so far, beyond its state: the retry policy's
/// memory. Built by each kind of order from its own events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Attempts the provider turned away with "come back later"; they do not count against
    /// `max_attempts` (their budget is time, see [`retry_decision`]).
    pub deferred: u32,
    /// The run of "come back later" refusals the latest attempts ended in: how many, and when
    /// the first of them was recorded.
    pub deferred_run: u32,
    pub deferred_since: Option<DateTime<Utc>>,
    /// Sends again, under an attempt's own handle, after a lookup found nothing: each counts as an
    /// attempt.
    pub resends: u32,
}

impl Attempts {
    /// Notes one retryable or final refusal of an attempt.
    pub fn refused(&mut self, message: &str, at: DateTime<Utc>) {
        if come_back_wait(message).is_some() {
            self.deferred += 1;
            if self.deferred_run == 0 {
                self.deferred_since = Some(at);
            }
            self.deferred_run += 1;
        } else {
            self.ended_run();
        }
    }

    /// Notes anything that shows the provider took (or may have taken) a request.
    pub fn ended_run(&mut self) {
        self.deferred_run = 0;
        self.deferred_since = None;
    }

    /// Attempts that count against `max_attempts` out of `attempt` claimed so far.
    pub fn spent(&self, attempt: u32) -> u32 {
        (attempt + self.resends).saturating_sub(self.deferred)
    }
}

/// What to do with an order whose latest attempt was refused (retryably).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// Claim the next attempt now.
    Now,
    /// Not yet: wake the order after this long.
    After(Duration),
    /// No more attempts: fail the order with this code and message.
    GiveUp { code: String, message: String },
}

/// The retry policy, for an order whose `attempt`-th attempt ended in the retryable refusal
/// `failure` (code, message as recorded) `since` ago.
///
/// - An ordinary retryable refusal (a 5xx before processing, `errors.unexpected`, the provider not
///   reached) counts against `max_attempts`, as do resends after a lookup found nothing; the next
///   attempt waits `backoff(retry_base, retry_max, n)`. When they are spent the order fails with
///   `gave up after N attempts: <provider's reason>`.
/// - A refusal that says "come back later" (maintenance, busy, rate limited) does not count: the
///   next attempt waits at least the provider's announced wait, and at least a backoff from
///   `retry_base` up to `max(retry_max, hold_timeout / 64)`. Its budget is time: an order turned
///   away without a break for longer than `hold_timeout` (as long as a payout may wait for funds)
///   fails with the provider's reason. The cap keeps a day of refusals well under the 99 handles
///   an order has.
pub fn retry_decision(
    t: &Timings,
    attempt: u32,
    attempts: &Attempts,
    failure: Option<(&str, &str)>,
    since: Duration,
    now: DateTime<Utc>,
) -> Retry {
    if attempt == 0 {
        return Retry::Now;
    }
    let (code, message) = failure.unwrap_or(("attempts_exhausted", "no attempt succeeded"));
    let reason = without_mark(message);
    let give_up = |n: u32, how: String| Retry::GiveUp {
        code: code.to_string(),
        message: format!("gave up after {n} attempts{how}: {reason}"),
    };
    if attempt >= SubmissionHandle::MAX_ATTEMPT {
        return give_up(attempt, String::new());
    }
    let wait = match (come_back_wait(message), attempts.deferred_since) {
        (Some(asked), Some(first)) if attempts.deferred_run > 0 => {
            let turned_away = (now - first).to_std().unwrap_or_default();
            if turned_away >= t.hold_timeout {
                let how = format!(
                    " (turned away for {}s by a provider asking to come back later)",
                    turned_away.as_secs()
                );
                return give_up(attempt, how);
            }
            let cap = t.retry_max.max(t.hold_timeout / 64);
            asked.max(backoff(t.retry_base, cap, attempts.deferred_run - 1))
        }
        _ => {
            let spent = attempts.spent(attempt);
            if spent >= t.max_attempts {
                return give_up(spent, String::new());
            }
            backoff(t.retry_base, t.retry_max, spent.saturating_sub(1))
        }
    };
    if since < wait {
        Retry::After(wait - since)
    } else {
        Retry::Now
    }
}

/// What the runtime drives for one kind of order at one provider: given the order rebuilt from
/// its log and woken by its latest event, one step (see [`Next`]).
pub(crate) trait Steps: Send + Sync + 'static {
    type Decider: Decider<State = Option<Self::Order>, Event: Send + Sync> + Send + Sync + 'static;
    type Order: Send + Sync + 'static;
    fn log(&self) -> &EventLog;
    /// The order's status, for the step's span.
    fn status(order: &Self::Order) -> &'static str;
    /// Whether a step may be taken on `order` as this process knows it, which newer events not
    /// delivered yet may have overtaken: true only when every side effect of the step is guarded
    /// by an append (which names the last sequence it knows, so a stale decision stores nothing
    /// and is made again on the order read on) or is harmless when stale (a lookup, a timer,
    /// which is checked against the log before it is set). By default the order is read on to
    /// its latest event before every step.
    fn trusts(_order: &Self::Order) -> bool {
        false
    }
    /// `deliveries` counts how often the order's latest event has been delivered (it grows while
    /// the order sleeps on it).
    fn step<'a>(
        &'a self,
        order: &'a Self::Order,
        deliveries: u64,
    ) -> BoxFuture<'a, Result<Next, ExecuteError>>;
    /// The same step, given the order's events too (its attempts' history); by default the
    /// state alone decides.
    fn step_with_events<'a>(
        &'a self,
        order: &'a Self::Order,
        _events: &'a [Arc<Envelope<<Self::Decider as Decider>::Event>>],
        deliveries: u64,
    ) -> BoxFuture<'a, Result<Next, ExecuteError>> {
        self.step(order, deliveries)
    }
}

/// The durable consumer `name` on orders of `kind`, shared by every instance serving the same
/// providers (`serves`, for its description).
async fn open_consumer(
    log: &EventLog,
    config: &ExecutorConfig,
    name: &str,
    serves: &str,
    kind: OrderKind,
) -> Result<consumer::Consumer<pull::Config>, StartError> {
    let js = log.context();
    let name = name.to_string();
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
                    "Giro executor of {serves} ({})",
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

/// The workers one consumer feeds, by the provider instance their events are routed to
/// (`Giro-Provider` header); events of other providers are acknowledged and left alone.
struct Routes<W> {
    by_provider: Vec<(Arc<W>, Arc<ExecutorConfig>)>,
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
fn run<W: Steps>(
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
    let timers = Arc::new(Timers::new(js.client(), &prefix, &name));
    let mut tasks = JoinSet::new();
    tasks.spawn(report_lag(consumer.clone(), name));
    tasks.spawn(timers.clone().listen());
    tasks.spawn(consume(consumer, Arc::new(routes), js, timers));
    ExecutorHandle { tasks }
}

/// Runs one worker of one provider instance on its own consumer `giro-executor-<provider>`.
async fn run_one<W: Steps>(
    log: &EventLog,
    worker: Arc<W>,
    config: ExecutorConfig,
    kind: OrderKind,
) -> Result<ExecutorHandle, StartError> {
    let name = config.consumer_name();
    let consumer = open_consumer(log, &config, &name, config.provider.as_str(), kind).await?;
    let routes = Routes {
        by_provider: vec![(worker, Arc::new(config))],
    };
    Ok(run(consumer, name, routes, log.context().clone()))
}

/// Starts one beneficiary-account executor instance (`config.provider` is `killb-accounts`):
/// consumer `giro-executor-killb-accounts` on `<prefix>.evt.beneficiary.>`.
pub async fn start_beneficiaries(
    log: EventLog,
    provider: Arc<dyn crate::beneficiaries::AccountProvider>,
    config: ExecutorConfig,
) -> Result<ExecutorHandle, StartError> {
    let worker = Arc::new(crate::beneficiaries::BeneficiaryWorker {
        log: log.clone(),
        provider,
        timings: config.timings.clone(),
    });
    run_one(&log, worker, config, OrderKind::Beneficiary).await
}

/// Starts one charge executor instance for `config.provider` (A55): consumer
/// `giro-executor-<provider>` on `<prefix>.evt.charge.>`.
pub async fn start_charges(
    log: EventLog,
    provider: Arc<dyn ChargeProvider>,
    config: ExecutorConfig,
) -> Result<ExecutorHandle, StartError> {
    let worker = Arc::new(ChargeWorker {
        log: log.clone(),
        provider,
        timings: config.timings.clone(),
    });
    run_one(&log, worker, config, OrderKind::Charge).await
}

/// One payout provider instance an executor drives.
pub struct PayoutInstance {
    pub provider: Arc<dyn PayoutProvider>,
    pub config: ExecutorConfig,
    /// Paid from a pre-funded balance (KillB): payouts reserve their amount on the funds ledger.
    pub prefunded: bool,
}

/// The consumer of an executor process that drives several payout provider instances at once.
pub const SHARED_PAYOUT_CONSUMER: &str = "giro-executor-payouts";

/// Starts one payout executor instance for `config.provider`: consumer
/// `giro-executor-<provider>` on `<prefix>.evt.payout.>`.
pub async fn start(
    log: EventLog,
    provider: Arc<dyn PayoutProvider>,
    config: ExecutorConfig,
    prefunded: bool,
) -> Result<ExecutorHandle, StartError> {
    let instance = PayoutInstance {
        provider,
        config,
        prefunded,
    };
    start_payouts(log, vec![instance]).await
}

/// Starts the payout executors of several provider instances in one process on one consumer:
/// `giro-executor-<provider>` for one instance, [`SHARED_PAYOUT_CONSUMER`] for several. Every
/// payout event is delivered once to the process instead of once per provider instance (a
/// consumer filters by subject, and an order's subject names no provider), and handed to the
/// instance it is routed to. Every process serving the same instances shares the consumer.
pub async fn start_payouts(
    log: EventLog,
    instances: Vec<PayoutInstance>,
) -> Result<ExecutorHandle, StartError> {
    let Some(first) = instances.first() else {
        return Err(StartError::Consumer(
            SHARED_PAYOUT_CONSUMER.into(),
            "no provider instance to serve".into(),
        ));
    };
    let js = log.context().clone();
    let (name, serves) = match instances.as_slice() {
        [one] => (one.config.consumer_name(), one.config.provider.to_string()),
        several => (
            SHARED_PAYOUT_CONSUMER.to_string(),
            several
                .iter()
                .map(|i| i.config.provider.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    };
    // The consumer's own settings (prefix, ack wait) are the first instance's.
    let consumer = open_consumer(&log, &first.config, &name, &serves, OrderKind::Payout).await?;
    let mut by_provider = Vec::new();
    let mut sweepers = Vec::new();
    for PayoutInstance {
        provider,
        config,
        prefunded,
    } in instances
    {
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
            log: log.clone(),
            provider,
            funds,
            timings: config.timings.clone(),
        });
        if worker.funds.is_some() {
            let every = config.timings.claim_timeout.max(Duration::from_millis(200));
            sweepers.push((worker.clone(), every));
        }
        by_provider.push((worker, Arc::new(config)));
    }
    let mut handle = run(consumer, name, Routes { by_provider }, js);
    for (worker, every) in sweepers {
        // Reservations follow their orders' lives: whatever a step could not release (it died, the
        // ledger was unavailable) is released here once its order has moved on.
        handle.tasks.spawn(async move {
            loop {
                worker.sweep_reservations().await;
                tokio::time::sleep(every).await;
            }
        });
    }
    Ok(handle)
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
            in_flight.spawn(async move {
                handle(worker.as_ref(), &config, &js, &timers, message).await;
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
    timers: &Timers,
    message: jetstream::Message,
) {
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
    let log = worker.log();
    let unreadable = |e: giro_eventlog::Error| match e {
        giro_eventlog::Error::Corrupt {
            sequence, reason, ..
        } => Err(format!(
            "order's log unreadable at sequence {sequence}: {reason}"
        )),
        e => Ok(e),
    };
    // The order as this process knows it, up to the delivered event: no read when the message
    // follows on from what is cached (see `EventLog::load_delivered`).
    let delivered = log
        .load_delivered::<W::Decider>(id, sequence, &message.payload, message.headers.as_ref())
        .await;
    let mut order = match delivered {
        Ok(Delivered::Known(order)) => order,
        Ok(Delivered::Superseded) => {
            timers.delivered(id, sequence, false).await;
            ack(&message, AckKind::Ack).await;
            return;
        }
        Err(e) => {
            return cannot_load(js, config, &message, id, unreadable(e)).await;
        }
    };
    timers.delivered(id, sequence, order.version() > 1).await;
    // A first delivery is stepped on what this process knows when the step allows it; a
    // redelivery (a timer firing, a step that died) reads the log first: its order may have moved
    // on in another process long ago.
    if deliveries > 1 || !order.state.as_ref().is_some_and(W::trusts) {
        order = match log.confirm::<W::Decider>(id, order).await {
            Ok(order) => order,
            Err(e) => return cannot_load(js, config, &message, id, unreadable(e)).await,
        };
    }
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
    let next = worker
        .step_with_events(&state, &order.events, deliveries)
        .instrument(span)
        .await;
    match next {
        Ok(Next::Ack) => ack(&message, AckKind::Ack).await,
        Ok(Next::After(delay)) => {
            // The timer goes on the order's latest event as this process knows it. A newer event
            // this process has not seen yet cancels it when it is delivered here, or finds it
            // superseded when it fires.
            let moved_on = || log.known_after::<W::Decider>(id, sequence);
            timers.set(id, sequence, &message, delay, moved_on).await;
        }
        Err(e) => {
            tracing::warn!(order_id = %id, error = %e, "step failed; will retry");
            ack(&message, AckKind::Nak(Some(Duration::from_secs(1)))).await;
        }
    }
}

/// The timers this instance has set, by order: the ack subject of the message each waits on, so
/// that a timer is cancelled as soon as its order moves on instead of staying pending for its
/// whole delay. A timer is JetStream's redelivery of an unacknowledged message; acking the
/// message after its `NAK` takes it off the consumer's pending list.
///
/// Only the instance that received a message can ack it, and an order's next event may go to
/// another instance of the same consumer. So the instances of one consumer tell each other on
/// `<prefix>.executor.timers.<consumer>` (core NATS, nothing stored) which orders moved on: each
/// says it is there every few seconds, and once an instance has heard another it announces every
/// event it handles that some instance may have been waiting on. An instance alone (the usual
/// `giro up`, or one executor per provider) announces nothing.
struct Timers {
    client: async_nats::Client,
    subject: Subject,
    /// This instance, in the announcements: its own are skipped when they come back.
    me: String,
    set: Mutex<HashMap<OrderId, Timer>>,
    /// When another instance of the consumer was last heard from.
    heard: Mutex<Option<std::time::Instant>>,
}

/// Where the instances of consumer `consumer` tell each other they are there and which orders
/// moved on (core NATS: `<prefix>.executor.timers.<consumer>`).
pub fn timers_subject(prefix: &str, consumer: &str) -> String {
    format!("{prefix}.executor.timers.{consumer}")
}

/// How often an instance says it is there, and how long after the last word from another it
/// keeps announcing.
const TIMERS_HEARTBEAT: Duration = Duration::from_secs(5);
const TIMERS_COMPANY: Duration = Duration::from_secs(20);

/// How long word that an order moved on elsewhere is kept: longer than a step takes (a provider
/// call times out well within it), so that a step on the order's older event, still running
/// here when the word came, sets no timer when it ends.
const MOVED_ON_KEPT: Duration = Duration::from_secs(30);

/// What this instance knows about an order's timer.
enum Timer {
    /// Set here on the event at this stream sequence; acked through this subject.
    Set(u64, Subject),
    /// Another instance handled the order's event at this sequence (heard at that instant).
    MovedOn(u64, std::time::Instant),
}

impl Timer {
    fn sequence(&self) -> u64 {
        match self {
            Timer::Set(sequence, _) | Timer::MovedOn(sequence, _) => *sequence,
        }
    }
}

impl Timers {
    fn new(client: async_nats::Client, prefix: &str, consumer: &str) -> Self {
        Timers {
            client,
            subject: Subject::from(timers_subject(prefix, consumer)),
            me: uuid::Uuid::new_v4().simple().to_string(),
            set: Mutex::new(HashMap::new()),
            heard: Mutex::new(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OrderId, Timer>> {
        self.set.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether another instance of the consumer was heard from lately.
    fn in_company(&self) -> bool {
        let heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        heard.is_some_and(|at| at.elapsed() < TIMERS_COMPANY)
    }

    /// Order `id`'s event at stream `sequence` is being handled: a timer set here on an older
    /// event of the order is cancelled, and one set on this very event is forgotten (it fired).
    /// When the order may have waited on an earlier event (`followed`), the other instances are
    /// told, in case one of theirs was on it.
    async fn delivered(&self, id: OrderId, sequence: u64, followed: bool) {
        if let Some(reply) = self.take_older(id, sequence) {
            self.cancel(reply).await;
        }
        if followed && self.in_company() {
            let word = format!("{} {id} {sequence}", self.me);
            if let Err(e) = self.client.publish(self.subject.clone(), word.into()).await {
                tracing::debug!(error = %e, "could not tell the other instances an order moved on");
            }
        }
    }

    /// Removes what is known of order `id`'s timer when it is about an event at or before
    /// `sequence`; returns the ack subject of a timer set here on an older one (to be cancelled).
    fn take_older(&self, id: OrderId, sequence: u64) -> Option<Subject> {
        let mut set = self.lock();
        if set.get(&id).is_none_or(|timer| timer.sequence() > sequence) {
            return None;
        }
        match set.remove(&id) {
            Some(Timer::Set(timer, reply)) if timer < sequence => Some(reply),
            _ => None,
        }
    }

    /// Another instance handled order `id`'s event at `sequence`: a timer set here on an older
    /// event is cancelled (returned), and the word is kept for a step still running here.
    fn moved_on_elsewhere(&self, id: OrderId, sequence: u64) -> Option<Subject> {
        let mut set = self.lock();
        if set
            .get(&id)
            .is_some_and(|timer| timer.sequence() >= sequence)
        {
            return None;
        }
        let word = Timer::MovedOn(sequence, std::time::Instant::now());
        match set.insert(id, word) {
            Some(Timer::Set(_, reply)) => Some(reply),
            _ => None,
        }
    }

    /// Forgets word of orders that moved on elsewhere once no step can still need it.
    fn forget_old_words(&self) {
        self.lock().retain(|_, timer| match timer {
            Timer::Set(..) => true,
            Timer::MovedOn(_, at) => at.elapsed() < MOVED_ON_KEPT,
        });
    }

    /// Sets a timer of `delay` on `message`, order `id`'s event at `sequence`, unless the order
    /// has moved on (`moved_on`, or a timer set here on a newer event): then the message is
    /// acked. Deciding under the lock that `delivered` takes closes the race with a newer event
    /// handled at the same time: either it finds this timer and cancels it, or this finds it.
    async fn set(
        &self,
        id: OrderId,
        sequence: u64,
        message: &jetstream::Message,
        delay: Duration,
        moved_on: impl FnOnce() -> bool,
    ) {
        let (kind, replaced) = {
            let mut set = self.lock();
            let newer = set
                .get(&id)
                .is_some_and(|timer| timer.sequence() > sequence);
            match &message.reply {
                _ if newer || moved_on() => (AckKind::Ack, None),
                Some(reply) => match set.insert(id, Timer::Set(sequence, reply.clone())) {
                    Some(Timer::Set(older, reply)) if older != sequence => {
                        (AckKind::Nak(Some(delay)), Some(reply))
                    }
                    _ => (AckKind::Nak(Some(delay)), None),
                },
                None => (AckKind::Nak(Some(delay)), None),
            }
        };
        if let Some(reply) = replaced {
            self.cancel(reply).await;
        }
        ack(message, kind).await;
    }

    /// Acks the message a timer waits on: its order has moved on.
    async fn cancel(&self, reply: Subject) {
        if let Err(e) = self.client.publish(reply, AckKind::Ack.into()).await {
            tracing::debug!(error = %e, "timer not cancelled; it will be acked when it fires");
        }
    }

    /// Says this instance is there every few seconds, and cancels the timers of orders other
    /// instances say moved on. Without the subscription, timers whose orders move on elsewhere
    /// are acked when they fire.
    async fn listen(self: Arc<Self>) {
        let mut words = match self.client.subscribe(self.subject.clone()).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, subject = %self.subject, "cannot hear the other executor instances; timers of orders that move on elsewhere wait until they fire");
                return;
            }
        };
        let mut heartbeat = tokio::time::interval(TIMERS_HEARTBEAT);
        loop {
            tokio::select! {
                _ = heartbeat.tick() => {
                    self.say_here().await;
                    self.forget_old_words();
                }
                word = words.next() => {
                    let Some(word) = word else { return };
                    self.heard_from(&word.payload).await;
                }
            }
        }
    }

    async fn say_here(&self) {
        let word = self.me.clone();
        if let Err(e) = self.client.publish(self.subject.clone(), word.into()).await {
            tracing::debug!(error = %e, "could not tell the other instances this one is there");
        }
    }

    /// One word from an instance: `<instance>` (it is there) or `<instance> <order> <sequence>`
    /// (the order's event at that sequence was handled there).
    async fn heard_from(&self, word: &[u8]) {
        let Ok(word) = std::str::from_utf8(word) else {
            return;
        };
        let mut parts = word.split(' ');
        if parts.next().is_none_or(|who| who == self.me) {
            return;
        }
        let newcomer = !self.in_company();
        *self.heard.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
        if newcomer {
            // Answer at once, so that an instance that just started hears this one too.
            self.say_here().await;
        }
        let id = parts.next().and_then(|id| id.parse::<OrderId>().ok());
        let sequence = parts.next().and_then(|s| s.parse::<u64>().ok());
        if let (Some(id), Some(sequence)) = (id, sequence)
            && let Some(reply) = self.moved_on_elsewhere(id, sequence)
        {
            self.cancel(reply).await;
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

async fn ack(message: &jetstream::Message, kind: AckKind) {
    if let Err(e) = message.ack_with(kind).await {
        tracing::debug!(error = %e, "ack not sent; the message will be redelivered");
    }
}
