//! What can go wrong in the projection.

use std::net::SocketAddr;

/// A failure of the projection, its database, the event stream or its HTTP listener.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting that cannot work; the message names it and what is expected.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// PostgreSQL refused or did not answer; the projector retries, the API answers 503.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] sqlx::Error),
    /// The schema's migrations could not be applied (or were changed after being applied).
    #[error("migrating schema {schema}: {source}")]
    Migrate {
        schema: String,
        source: sqlx::migrate::MigrateError,
    },
    /// JetStream did not answer, the stream is missing or the consumer failed.
    #[error("NATS: {0}")]
    Nats(String),
    /// The HTTP address is taken or not ours.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// A row in the read models that this version cannot read (written by another version?).
    #[error("unreadable row in the read models: {0}")]
    Corrupt(String),
    /// Another process holds what this one needs (a rebuild of the same schema is running).
    #[error("{0}")]
    Busy(String),
}

impl Error {
    /// Wraps any NATS error with what was being done.
    pub(crate) fn nats(doing: &str, e: impl std::fmt::Display) -> Self {
        Error::Nats(format!("{doing}: {e}"))
    }
}
