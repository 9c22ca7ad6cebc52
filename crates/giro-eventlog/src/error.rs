//! What can go wrong in the event log.

use giro_domain::Rejection;

/// A failure of the log itself.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// JetStream did not answer or refused for a reason that may pass: callers answer
    /// `unavailable` and the client retries.
    #[error("the event log is unavailable: {0}")]
    Unavailable(String),
    /// Another writer appended to the order since it was loaded.
    #[error("the order changed since it was loaded (expected last sequence {expected})")]
    Conflict { expected: u64 },
    /// A stored event that cannot be read; the order cannot be rebuilt until it is repaired.
    #[error("event at stream sequence {sequence} on {subject} is unreadable: {reason}")]
    Corrupt {
        subject: String,
        sequence: u64,
        reason: String,
    },
    #[error("stream provisioning failed: {0}")]
    Provision(String),
}

impl Error {
    /// The error's class, for `error.type` in traces.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Unavailable(_) => "unavailable",
            Error::Conflict { .. } => "conflict",
            Error::Corrupt { .. } => "corrupt",
            Error::Provision(_) => "provision",
        }
    }
}

/// Why carrying out a command did not append.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// The decider refused the command: a reply to the caller, not a fault.
    #[error("{0}")]
    Rejected(Rejection),
    #[error(transparent)]
    Log(#[from] Error),
}
