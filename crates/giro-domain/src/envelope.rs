//! The stored form of every event (CONTRACT.md §2):
//! `{"id", "type", "order_id", "version", "at", "data", "meta": {"correlation_id", "causation_id"}}`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}
