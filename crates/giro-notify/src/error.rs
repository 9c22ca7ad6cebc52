//! What can go wrong starting notifications or handling their dead letters.

/// Why notifications did not start, or a dead letter could not be listed or replayed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration (environment, subscriptions file) is wrong; the message names what.
    #[error("notifications configuration: {0}")]
    Config(String),
    /// A webhook subscription is wrong; `id` is its id (or its position in the file).
    #[error("webhook subscription {id}: {reason}")]
    Subscription { id: String, reason: String },
    /// A stream or consumer could not be created or read.
    #[error("{what}: {reason}")]
    Nats { what: String, reason: String },
    /// No dead letter with that sequence.
    #[error("no webhook dead letter with sequence {0}")]
    NoDeadLetter(u64),
}

impl Error {
    pub(crate) fn nats(what: impl Into<String>, e: impl std::fmt::Display) -> Self {
        Error::Nats {
            what: what.into(),
            reason: e.to_string(),
        }
    }
}
