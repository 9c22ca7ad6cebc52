//! Appending, loading and executing commands against one order's subject.
//!
//! This module holds the handle and how it is opened; the values it hands out are in `order`,
//! the cache of recent orders in `cache`, and the operations in `read`, `append` and `execute`.

mod append;
mod batch;
mod cache;
mod execute;
mod order;
mod read;

use std::sync::Arc;

use async_nats::jetstream::{self, stream};
use giro_domain::{Decider, OrderId};

pub use order::{Appended, Delivered, Executed, Loaded, Tail};

use crate::config::EventLogConfig;
use crate::error::Error;
use crate::keys::Keys;
use crate::trace;
use cache::OrderCache;

/// A handle on the event stream; cheap to clone.
#[derive(Clone)]
pub struct EventLog {
    js: jetstream::Context,
    stream: stream::Stream<()>,
    config: EventLogConfig,
    cache: Arc<OrderCache>,
    keys: Arc<Keys>,
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
        let provisioned =
            crate::provision::provision(&config.stream, crate::provision::stream_transient, || {
                js.create_or_update_stream(stream_config.clone())
            })
            .await;
        provisioned.map_err(|e| Error::Provision(e.to_string()))?;
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
        let dead_letter_name = config.dead_letter_stream();
        let provisioned = crate::provision::provision(
            &dead_letter_name,
            crate::provision::stream_transient,
            || js.create_or_update_stream(dead_letters.clone()),
        )
        .await;
        provisioned.map_err(|e| Error::Provision(e.to_string()))?;
        let stream = events_stream(&js, &config).await?;
        let keys = Keys::open(&js, &config).await?;
        let cache = Arc::new(OrderCache::new());
        let forget = cache.clone();
        keys.on_erase(move |subject| forget.forget(subject));
        Ok(EventLog {
            js,
            stream,
            config,
            cache,
            keys,
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
            keys: self.keys.clone(),
        })
    }

    pub fn config(&self) -> &EventLogConfig {
        &self.config
    }

    pub fn context(&self) -> &jetstream::Context {
        &self.js
    }

    /// The keys sealing the orders' personal data, shared by every handle of the process.
    pub fn keys(&self) -> &Arc<Keys> {
        &self.keys
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
}
