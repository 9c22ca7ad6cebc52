//! Where the event log lives.

use std::time::Duration;

use giro_domain::{OrderId, OrderKind};

/// The stream and subject prefix (CONTRACT.md §2: `GIRO_EVENTS` and `giro` by default; tests use
/// their own so they run side by side on one server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLogConfig {
    pub stream: String,
    pub prefix: String,
    /// JetStream's de-duplication window for `Nats-Msg-Id`.
    pub duplicate_window: Duration,
    /// Stream replicas: 1 on a single server, 3 on a cluster.
    pub replicas: usize,
    /// How long to wait for JetStream's acknowledgement of one append.
    pub ack_timeout: Duration,
}

impl Default for EventLogConfig {
    fn default() -> Self {
        EventLogConfig {
            stream: "GIRO_EVENTS".to_string(),
            prefix: "giro".to_string(),
            duplicate_window: Duration::from_secs(120),
            replicas: 1,
            ack_timeout: Duration::from_secs(2),
        }
    }
}

impl EventLogConfig {
    /// The subject of one order's events.
    pub fn subject(&self, kind: OrderKind, id: OrderId) -> String {
        format!("{}.evt.{}.{}", self.prefix, kind.as_str(), id)
    }

    /// The stream keeping dead letters (`<prefix>.dlq.>`), named after the event stream.
    pub fn dead_letter_stream(&self) -> String {
        format!("{}_DLQ", self.stream)
    }

    /// The wildcard the stream captures.
    pub fn stream_subjects(&self) -> String {
        format!("{}.evt.>", self.prefix)
    }
}
