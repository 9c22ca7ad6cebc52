//! Appending, loading and executing commands against one order's subject.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, context::PublishErrorKind, message::PublishMessage, stream};
use chrono::{DateTime, Utc};
use giro_domain::{Decider, Envelope, EventId, EventMeta, EventType, OrderId};
use serde::Serialize;

use crate::config::EventLogConfig;
use crate::error::{Error, ExecuteError};
use crate::{EVENT_TYPE_HEADER, PROVIDER_HEADER, trace};

/// How often a command is re-decided after losing a race before giving up as `unavailable`.
const MAX_CONFLICT_RETRIES: usize = 16;

/// An order rebuilt from its events.
#[derive(Debug)]
pub struct Loaded<D: Decider> {
    /// Shared, so that handing an order from the cache to a step copies no event.
    pub events: Vec<Arc<Envelope<D::Event>>>,
    pub state: D::State,
    /// The stream sequence of the order's last event (0 for an order with no events): what the
    /// next append must expect.
    pub last_sequence: u64,
    /// The W3C trace headers stored with the last event (none when it carried none).
    trace: Option<HeaderMap>,
}

impl<D: Decider> Clone for Loaded<D> {
    fn clone(&self) -> Self {
        Loaded {
            events: self.events.clone(),
            state: self.state.clone(),
            last_sequence: self.last_sequence,
            trace: self.trace.clone(),
        }
    }
}

impl<D: Decider> Loaded<D> {
    fn empty() -> Self {
        Loaded {
            events: Vec::new(),
            state: D::State::default(),
            last_sequence: 0,
            trace: None,
        }
    }

    /// The trace context stored with the order's last event as loaded, so that work arriving
    /// without one (a provider callback) continues the order's trace.
    pub fn trace(&self) -> Option<opentelemetry::Context> {
        self.trace.as_ref().map(trace::extract)
    }

    /// Folds `envelope`, stored at stream sequence `sequence` with `headers`, into the order.
    fn push(&mut self, envelope: Envelope<D::Event>, sequence: u64, headers: Option<&HeaderMap>) {
        self.last_sequence = sequence;
        self.state = D::evolve(std::mem::take(&mut self.state), &envelope);
        self.events.push(Arc::new(envelope));
        self.trace = headers.and_then(trace_headers);
    }

    /// The order's version: its number of events.
    pub fn version(&self) -> u64 {
        self.events.len() as u64
    }

    /// Where the next append goes.
    pub fn tail(&self) -> Tail {
        Tail {
            last_sequence: self.last_sequence,
            version: self.version(),
        }
    }
}

/// The W3C trace headers among `headers`, if any.
fn trace_headers(headers: &HeaderMap) -> Option<HeaderMap> {
    let mut kept = HeaderMap::new();
    let mut any = false;
    for name in ["traceparent", "tracestate"] {
        if let Some(value) = headers.get(name) {
            kept.insert(name, value.as_str());
            any = true;
        }
    }
    any.then_some(kept)
}

/// What a delivered event's message says about its order, as far as this process knows it (see
/// [`EventLog::load_delivered`]).
#[derive(Debug)]
pub enum Delivered<D: Decider> {
    /// The order has a newer event than the delivered one: the delivered one does not drive it.
    Superseded,
    /// The order up to the delivered event. Newer events may exist that this process has not
    /// seen yet: [`EventLog::confirm`] reads them.
    Known(Loaded<D>),
}

/// Where an order's log ends: what the next append must expect and how it numbers its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tail {
    /// The stream sequence of the order's last event (0 for none).
    pub last_sequence: u64,
    /// The order's version (its number of events).
    pub version: u64,
}

/// Events stored by one append, with the stream sequence of the last.
#[derive(Debug, Clone)]
pub struct Appended<E> {
    pub events: Vec<Envelope<E>>,
    pub last_sequence: u64,
}

/// The result of a command: the order after it, and what it appended (empty for a repeat).
#[derive(Debug, Clone)]
pub struct Executed<D: Decider> {
    pub order: Loaded<D>,
    pub appended: Vec<Envelope<D::Event>>,
}

/// A handle on the event stream; cheap to clone.
#[derive(Clone)]
pub struct EventLog {
    js: jetstream::Context,
    stream: stream::Stream<()>,
    config: EventLogConfig,
    cache: Arc<OrderCache>,
}

/// Orders most recently loaded or appended to, as of a stream sequence. Events are immutable and
/// the stream denies deletes, so a cached order is a correct prefix: a load reads on from its
/// last sequence instead of from the start (one round trip for an order nobody else touched,
/// instead of one per event).
///
/// It also serializes the writers of each order within the process (see [`OrderCache::writer`]).
struct OrderCache {
    orders: Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>,
    writers: Box<[tokio::sync::Mutex<()>]>,
}

/// Stripes of the per-order write lock: orders hashed to one stripe share it.
const WRITER_STRIPES: usize = 4096;

/// Orders kept per process (handles made with [`EventLog::share`] share them): about a minute of
/// orders at 1,000 a second, a KiB or two each (requests are shared with their events, not
/// copied). A backlog larger than the cache costs every forgotten order a read per event when
/// its next event is handled, which is what makes an overloaded engine slower still: with 8,192,
/// `giro bench e2e --count 20000 --rate 0` fell from 900 to 237 payouts/s.
const CACHED_ORDERS: usize = 65_536;

impl OrderCache {
    fn new() -> Self {
        OrderCache {
            orders: Mutex::new(HashMap::new()),
            writers: (0..WRITER_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    /// The lock a decision on the order at `subject` is made and appended under. Components of
    /// one process (an executor's step, an ingress taking concurrent callbacks for one order)
    /// then take turns instead of racing each other's appends: the later one decides on what
    /// the earlier one stored, found in the cache, where a race would have cost it a refused
    /// publish, a read and a second publish. Across processes the append's expected sequence
    /// still decides; this only keeps one process from losing races to itself.
    fn writer(&self, subject: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(subject);
        &self.writers[(hash % WRITER_STRIPES as u64) as usize]
    }

    fn get<D: Decider>(&self, subject: &str) -> Option<Loaded<D>> {
        let orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        orders.get(subject)?.downcast_ref::<Loaded<D>>().cloned()
    }

    /// The stream sequence of the order's last event as cached, if it is.
    fn last_sequence<D: Decider>(&self, subject: &str) -> Option<u64> {
        let orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        let order = orders.get(subject)?.downcast_ref::<Loaded<D>>()?;
        Some(order.last_sequence)
    }

    fn put<D: Decider>(&self, subject: &str, order: &Loaded<D>) {
        let mut orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        let newer = orders
            .get(subject)
            .and_then(|o| o.downcast_ref::<Loaded<D>>())
            .is_none_or(|o| o.last_sequence < order.last_sequence);
        if !newer {
            return;
        }
        if orders.len() >= CACHED_ORDERS && !orders.contains_key(subject) {
            // Make room by forgetting an eighth, whichever they are: a forgotten order is only
            // read from the start again.
            let drop: Vec<String> = orders.keys().take(CACHED_ORDERS / 8).cloned().collect();
            for key in drop {
                orders.remove(&key);
            }
        }
        orders.insert(subject.to_string(), Arc::new(order.clone()));
    }
}

/// The JetStream context of a log handle on `client`: acks awaited up to `config.ack_timeout`.
fn context(client: async_nats::Client, config: &EventLogConfig) -> jetstream::Context {
    jetstream::ContextBuilder::new()
        .timeout(config.ack_timeout)
        .build(client)
}

/// The handle on the event stream (no round trip).
async fn events_stream(
    js: &jetstream::Context,
    config: &EventLogConfig,
) -> Result<stream::Stream<()>, Error> {
    js.get_stream_no_info(&config.stream)
        .await
        .map_err(|e| Error::Provision(e.to_string()))
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog")
            .field("config", &self.config)
            .finish()
    }
}

impl EventLog {
    /// Connects to the stream, creating or updating it first (idempotent: any number of instances
    /// may do this at once).
    pub async fn open(client: async_nats::Client, config: EventLogConfig) -> Result<Self, Error> {
        let js = context(client, &config);
        let stream_config = stream::Config {
            name: config.stream.clone(),
            subjects: vec![config.stream_subjects()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            deny_delete: true,
            deny_purge: true,
            allow_direct: true,
            duplicate_window: config.duplicate_window,
            num_replicas: config.replicas,
            description: Some("Giro order events: one subject per order".to_string()),
            ..Default::default()
        };
        // Provisioning races with other instances and with stream deletions (nats-server 2.9 can
        // fail a create while the account's last stream is being removed): retry briefly.
        let mut attempt = 0;
        loop {
            match js.create_or_update_stream(stream_config.clone()).await {
                Ok(_) => break,
                Err(e) if attempt < 5 => {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "stream provisioning failed; retrying");
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
                Err(e) => return Err(Error::Provision(e.to_string())),
            }
        }
        // Dead letters (events or callbacks a component could not handle) are kept like events.
        let dead_letters = stream::Config {
            name: config.dead_letter_stream(),
            subjects: vec![format!("{}.dlq.>", config.prefix)],
            storage: stream::StorageType::File,
            num_replicas: config.replicas,
            description: Some("Giro dead letters: <prefix>.dlq.<component>.<provider>".to_string()),
            allow_direct: true,
            ..Default::default()
        };
        js.create_or_update_stream(dead_letters)
            .await
            .map_err(|e| Error::Provision(e.to_string()))?;
        let stream = events_stream(&js, &config).await?;
        Ok(EventLog {
            js,
            stream,
            config,
            cache: Arc::new(OrderCache::new()),
        })
    }

    /// The same log over another connection, sharing this handle's cache of recent orders: the
    /// components of one process (intake, executors, ingress) each keep their own connection
    /// but see the orders the others loaded or appended, so an order handed from one to the
    /// next is not read from the stream again.
    pub async fn share(&self, client: async_nats::Client) -> Result<Self, Error> {
        let js = context(client, &self.config);
        let stream = events_stream(&js, &self.config).await?;
        Ok(EventLog {
            js,
            stream,
            config: self.config.clone(),
            cache: self.cache.clone(),
        })
    }

    pub fn config(&self) -> &EventLogConfig {
        &self.config
    }

    pub fn context(&self) -> &jetstream::Context {
        &self.js
    }

    /// The subject of an order of decider `D`.
    pub fn subject<D: Decider>(&self, id: OrderId) -> String {
        self.config.subject(D::KIND, id)
    }

    /// The trace context stored with an order's latest event, so that work arriving without one
    /// (a provider callback, a timer) continues the order's trace. `None` for an unknown order or
    /// when the log cannot be read now.
    pub async fn order_trace<D: Decider>(&self, id: OrderId) -> Option<opentelemetry::Context> {
        let subject = self.subject::<D>(id);
        let message = self
            .stream
            .direct_get_last_for_subject(subject.as_str())
            .await
            .ok()?;
        Some(trace::extract(&message.headers))
    }

    /// Loads an order's events, oldest first, and folds them into its state.
    pub async fn load<D: Decider>(&self, id: OrderId) -> Result<Loaded<D>, Error> {
        let subject = self.subject::<D>(id);
        let cached = self
            .cache
            .get::<D>(&subject)
            .unwrap_or_else(Loaded::<D>::empty);
        let known = cached.last_sequence;
        let loaded = self.read_on::<D>(&subject, cached).await?;
        if loaded.last_sequence > known {
            self.cache.put(&subject, &loaded);
        }
        Ok(loaded)
    }

    /// Loads an order from its first event, ignoring (and not filling) the cache of recent
    /// orders: what a process that never saw the order pays.
    pub async fn load_from_start<D: Decider>(&self, id: OrderId) -> Result<Loaded<D>, Error> {
        let subject = self.subject::<D>(id);
        self.read_on::<D>(&subject, Loaded::empty()).await
    }

    /// Reads the events after `loaded.last_sequence` and folds them into `loaded`.
    async fn read_on<D: Decider>(
        &self,
        subject: &str,
        loaded: Loaded<D>,
    ) -> Result<Loaded<D>, Error> {
        self.read_until(subject, loaded, u64::MAX).await
    }

    /// Reads the events after `loaded.last_sequence` up to the first at or after stream sequence
    /// `until` (all of them with `u64::MAX`), and folds them into `loaded`.
    async fn read_until<D: Decider>(
        &self,
        subject: &str,
        mut loaded: Loaded<D>,
        until: u64,
    ) -> Result<Loaded<D>, Error> {
        while loaded.last_sequence < until {
            let next = self
                .stream
                .direct_get_next_for_subject(subject, Some(loaded.last_sequence + 1))
                .await;
            let message = match next {
                Ok(m) => m,
                Err(e) if e.kind() == stream::DirectGetErrorKind::NotFound => break,
                Err(e) => return Err(Error::Unavailable(format!("reading {subject}: {e}"))),
            };
            let envelope: Envelope<D::Event> =
                serde_json::from_slice(&message.payload).map_err(|e| Error::Corrupt {
                    subject: subject.to_string(),
                    sequence: message.sequence,
                    reason: e.to_string(),
                })?;
            loaded.push(envelope, message.sequence, Some(&message.headers));
        }
        Ok(loaded)
    }

    /// The order of a delivered event's message (stored at stream `sequence` with `payload`), as
    /// far as this process knows it, reading the log only when the message does not follow on
    /// from what is cached: a message this process has seen superseded costs no read, and one
    /// carrying the order's next event is folded in from its own payload. Newer events may exist
    /// that the message's consumer has not delivered yet; whoever must know reads them with
    /// [`EventLog::confirm`] (an append needs not: its expected sequence refuses a stale tail).
    pub async fn load_delivered<D: Decider>(
        &self,
        id: OrderId,
        sequence: u64,
        payload: &[u8],
        headers: Option<&HeaderMap>,
    ) -> Result<Delivered<D>, Error> {
        let subject = self.subject::<D>(id);
        let mut order = self
            .cache
            .get::<D>(&subject)
            .unwrap_or_else(Loaded::<D>::empty);
        if order.last_sequence > sequence {
            return Ok(Delivered::Superseded);
        }
        if order.last_sequence == sequence {
            return Ok(Delivered::Known(order));
        }
        let next = serde_json::from_slice::<Envelope<D::Event>>(payload)
            .ok()
            .filter(|e| e.order_id == id && e.version == order.version() + 1);
        match next {
            Some(envelope) => order.push(envelope, sequence, headers),
            None => order = self.read_until(&subject, order, sequence).await?,
        }
        self.cache.put(&subject, &order);
        if order.last_sequence > sequence {
            return Ok(Delivered::Superseded);
        }
        Ok(Delivered::Known(order))
    }

    /// Whether this process knows an event of order `id` stored after stream `sequence`: what the
    /// components sharing this handle's cache appended, loaded or were delivered. No read: the
    /// log may hold newer events this process has not seen.
    pub fn known_after<D: Decider>(&self, id: OrderId, sequence: u64) -> bool {
        self.cache
            .last_sequence::<D>(&self.subject::<D>(id))
            .is_some_and(|last| last > sequence)
    }

    /// Order `id` as `order` knew it, with whatever events were appended after it (one read
    /// when there are none).
    pub async fn confirm<D: Decider>(
        &self,
        id: OrderId,
        order: Loaded<D>,
    ) -> Result<Loaded<D>, Error> {
        let subject = self.subject::<D>(id);
        let known = order.last_sequence;
        let order = self.read_on::<D>(&subject, order).await?;
        if order.last_sequence > known {
            self.cache.put(&subject, &order);
        }
        Ok(order)
    }

    /// The order as this process last saw it without reading the log, or read from the log when
    /// it has not seen it; with whether it was read just now (`true`) or may be behind.
    pub async fn load_cached<D: Decider>(&self, id: OrderId) -> Result<(Loaded<D>, bool), Error> {
        let subject = self.subject::<D>(id);
        if let Some(order) = self.cache.get::<D>(&subject) {
            return Ok((order, false));
        }
        Ok((self.load::<D>(id).await?, true))
    }

    /// Appends events after `tail` (the order's log as loaded), numbering them on from its
    /// version. On a lost race returns [`Error::Conflict`] having stored nothing; a multi-event
    /// append that loses a race midway leaves the stored prefix, which the next decision sees.
    pub async fn append<E: Serialize + EventType + Clone>(
        &self,
        subject: &str,
        id: OrderId,
        tail: Tail,
        events: Vec<(E, Option<String>)>,
        meta: &EventMeta,
        now: DateTime<Utc>,
    ) -> Result<Appended<E>, Error> {
        Ok(self
            .append_traced(subject, id, tail, events, meta, now)
            .await?
            .0)
    }

    /// [`EventLog::append`], with the trace headers stored with the last event.
    async fn append_traced<E: Serialize + EventType + Clone>(
        &self,
        subject: &str,
        id: OrderId,
        tail: Tail,
        events: Vec<(E, Option<String>)>,
        meta: &EventMeta,
        now: DateTime<Utc>,
    ) -> Result<(Appended<E>, Option<HeaderMap>), Error> {
        let mut trace = None;
        let mut expected = tail.last_sequence;
        let first_version = tail.version + 1;
        let mut stored = Vec::with_capacity(events.len());
        for (i, (event, route)) in events.into_iter().enumerate() {
            let envelope = Envelope {
                id: EventId::new(),
                event,
                order_id: id,
                version: first_version + i as u64,
                at: now,
                meta: meta.clone(),
            };
            (expected, trace) = self
                .publish(subject, expected, &envelope, route.as_deref())
                .await?;
            stored.push(envelope);
        }
        Ok((
            Appended {
                events: stored,
                last_sequence: expected,
            },
            trace,
        ))
    }

    async fn publish<E: Serialize + EventType>(
        &self,
        subject: &str,
        expected: u64,
        envelope: &Envelope<E>,
        route: Option<&str>,
    ) -> Result<(u64, Option<HeaderMap>), Error> {
        let payload = serde_json::to_vec(envelope)
            .map_err(|e| Error::Unavailable(format!("encoding an event: {e}")))?;
        let mut headers = HeaderMap::new();
        headers.insert(EVENT_TYPE_HEADER, envelope.event.event_type());
        if let Some(provider) = route {
            headers.insert(PROVIDER_HEADER, provider);
        }
        trace::inject(&mut headers);
        let trace = trace_headers(&headers);
        let message = PublishMessage::build()
            .payload(payload.into())
            .headers(headers)
            .message_id(envelope.id.to_string())
            .expected_last_subject_sequence(expected);
        let unavailable = |e: &dyn std::fmt::Display| Error::Unavailable(format!("{subject}: {e}"));
        let ack = self
            .js
            .send_publish(subject.to_string(), message)
            .await
            .map_err(|e| unavailable(&e))?;
        match ack.await {
            Ok(ack) => {
                let event_type = envelope.event.event_type();
                let kind = event_type.split('.').next().unwrap_or(event_type);
                giro_telemetry::metrics::event_appended(kind, event_type);
                Ok((ack.sequence, trace))
            }
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => {
                Err(Error::Conflict { expected })
            }
            Err(e) => Err(unavailable(&e)),
        }
    }

    /// Carries out a command on an order: load, decide, append; on a lost race, reload and decide
    /// again. With `assume_new` the first decision is made against an empty order without loading
    /// (the fast path for creation: a conflict then means the order exists).
    ///
    /// An order this process has seen is decided as it saw it, without reading the log first:
    /// an append names the last sequence it knows, so a decision made on a stale order stores
    /// nothing and is made again after reading on. Only a decision to append nothing, or a
    /// refusal, made on such an order is checked against the log before it is returned.
    pub async fn execute<D: Decider>(
        &self,
        id: OrderId,
        command: &D::Command,
        meta: &EventMeta,
        assume_new: bool,
    ) -> Result<Executed<D>, ExecuteError> {
        let (order, read) = if assume_new {
            (Loaded::<D>::empty(), true)
        } else {
            self.load_cached::<D>(id).await?
        };
        self.execute_on(id, order, read, command, meta).await
    }

    /// Carries out a command decided on version `version` of the order (a step's decision, as
    /// opposed to the record of something that happened): appended only on that version, never
    /// decided again on a newer one. `Ok(None)` when the order has moved on (it has events after
    /// `version`, known here or found by the append's expected sequence), so that whatever drives
    /// its newer events decides afresh.
    pub async fn execute_at<D: Decider>(
        &self,
        id: OrderId,
        version: u64,
        command: &D::Command,
        meta: &EventMeta,
    ) -> Result<Option<Executed<D>>, ExecuteError> {
        let subject = self.subject::<D>(id);
        let _writer = self.cache.writer(&subject).lock().await;
        let (mut order, read) = self.load_cached::<D>(id).await?;
        if order.version() < version && !read {
            order = self.confirm::<D>(id, order).await?;
        }
        if order.version() != version {
            return Ok(None);
        }
        let now = Utc::now();
        let events = D::decide(&order.state, command, now).map_err(ExecuteError::Rejected)?;
        if events.is_empty() {
            return Ok(Some(Executed {
                order,
                appended: Vec::new(),
            }));
        }
        match self
            .store_decided(&subject, id, &mut order, events, meta, now)
            .await
        {
            Ok(appended) => Ok(Some(Executed { order, appended })),
            Err(Error::Conflict { .. }) => {
                giro_telemetry::metrics::append_conflict(D::KIND.as_str());
                tracing::debug!(%subject, version, "the order moved on before its step was stored");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Appends `events` (decided on `order`) after `order`'s tail, each routed as the decider
    /// says, and folds what was stored into `order` and the cache. A lost race stores nothing
    /// and leaves `order` as it was.
    async fn store_decided<D: Decider>(
        &self,
        subject: &str,
        id: OrderId,
        order: &mut Loaded<D>,
        events: Vec<D::Event>,
        meta: &EventMeta,
        now: DateTime<Utc>,
    ) -> Result<Vec<Envelope<D::Event>>, Error> {
        let routed = events
            .into_iter()
            .map(|e| {
                let route = D::route(&order.state, &e);
                (e, route)
            })
            .collect();
        let (appended, trace) = self
            .append_traced(subject, id, order.tail(), routed, meta, now)
            .await?;
        for envelope in &appended.events {
            order.state = D::evolve(std::mem::take(&mut order.state), envelope);
        }
        order.last_sequence = appended.last_sequence;
        order
            .events
            .extend(appended.events.iter().cloned().map(Arc::new));
        order.trace = trace;
        self.cache.put(subject, order);
        Ok(appended.events)
    }

    /// [`EventLog::execute`] starting from `order` (as [`EventLog::load_cached`] or
    /// [`EventLog::load_delivered`] gave it); `read` says whether it was read from the log just
    /// now, so that a decision to append nothing needs no second look.
    pub async fn execute_on<D: Decider>(
        &self,
        id: OrderId,
        mut order: Loaded<D>,
        mut read: bool,
        command: &D::Command,
        meta: &EventMeta,
    ) -> Result<Executed<D>, ExecuteError> {
        let subject = self.subject::<D>(id);
        let _writer = self.cache.writer(&subject).lock().await;
        // What another writer of this process stored while this one waited for its turn.
        if let Some(newer) = self
            .cache
            .get::<D>(&subject)
            .filter(|cached| cached.last_sequence > order.last_sequence)
        {
            order = newer;
        }
        let mut attempt = 0;
        while attempt < MAX_CONFLICT_RETRIES {
            let now = Utc::now();
            let events = match D::decide(&order.state, command, now) {
                Ok(events) if !events.is_empty() => events,
                Ok(_) | Err(_) if !read => {
                    // Nothing to do, or refused, as far as this process knew the order: make sure.
                    order = self.confirm::<D>(id, order).await?;
                    read = true;
                    continue;
                }
                Ok(_) => {
                    return Ok(Executed {
                        order,
                        appended: Vec::new(),
                    });
                }
                Err(rejection) => return Err(ExecuteError::Rejected(rejection)),
            };
            match self
                .store_decided(&subject, id, &mut order, events, meta, now)
                .await
            {
                Ok(appended) => return Ok(Executed { order, appended }),
                Err(Error::Conflict { .. }) => {
                    giro_telemetry::metrics::append_conflict(D::KIND.as_str());
                    tracing::debug!(%subject, attempt, "append lost a race; reloading");
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(attempt as u64)).await;
                    }
                    order = self.load::<D>(id).await?;
                    read = true;
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Unavailable(format!("{subject}: too much contention, try again")).into())
    }
}
