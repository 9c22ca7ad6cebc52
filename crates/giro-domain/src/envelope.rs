//! The stored form of every event (CONTRACT.md §2):
//! `{"id", "type", "order_id", "version", "at", "data", "meta": {"correlation_id", "causation_id"}}`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::{EventId, OrderId};

/// Where an event came from: the request or report that caused it, for tracing a chain of causes
/// across components.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EventMeta {
    /// Shared by every event of one business flow (usually the order id or the caller's request id).
    pub correlation_id: String,
    /// The event or message that directly caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<String>,
}

/// One event of one order. `E` is an adjacently tagged enum (`type` + `data`), flattened in.
/// Reading one upcasts its event ([`Upcast`]), so events stored in an older form are read as
/// today's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Envelope<E> {
    pub id: EventId,
    #[serde(flatten)]
    pub event: E,
    pub order_id: OrderId,
    /// The order's event count including this one: 1 for the creating event.
    pub version: u64,
    pub at: DateTime<Utc>,
    pub meta: EventMeta,
}

/// An event type's public name, e.g. `payout.requested`; also the `Giro-Event-Type` header.
pub trait EventType {
    fn event_type(&self) -> &'static str;

    /// Whether the event records a failure (a payout or charge that failed, a submission the
    /// provider refused): what traces show as an error status of the step that stored it.
    fn is_failure(&self) -> bool {
        false
    }
}

/// How an event stored in an older form is read as today's (an upcaster, as Marten and Axon call
/// it): schemas evolve by mapping old events when they are loaded, never by rewriting the stream.
/// Every read of an [`Envelope`] applies it.
pub trait Upcast: Sized {
    /// The event as today's schema has it; the identity for events that never changed.
    fn upcast(self) -> Self {
        self
    }
}

/// The stored form, read field by field before its event is upcast.
#[derive(Deserialize)]
struct Stored<E> {
    id: EventId,
    #[serde(flatten)]
    event: E,
    order_id: OrderId,
    version: u64,
    at: DateTime<Utc>,
    meta: EventMeta,
}

impl<'de, E: Deserialize<'de> + Upcast> Deserialize<'de> for Envelope<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = Stored::<E>::deserialize(deserializer)?;
        Ok(Envelope {
            id: stored.id,
            event: stored.event.upcast(),
            order_id: stored.order_id,
            version: stored.version,
            at: stored.at,
            meta: stored.meta,
        })
    }
}
