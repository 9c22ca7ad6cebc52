//! The sandbox's errors: only starting it can fail; everything a client does wrong is answered in
//! the provider's own error format instead.

use std::net::SocketAddr;

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listening address is taken or not allowed.
    #[error("cannot listen for the {provider} sandbox on {addr}: {source}")]
    Bind {
        /// Which simulator.
        provider: &'static str,
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A configuration value is unusable.
    #[error("invalid sandbox configuration: {0}")]
    Config(String),
    /// The HTTP client used for callbacks could not be built.
    #[error("cannot build the callback HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}
