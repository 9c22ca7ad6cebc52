//! What the ingress serves: the provider registry's webhook receivers, and its limits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use giro_providers::Registry;

/// The ingress server.
#[derive(Debug, Clone)]
pub struct IngressConfig {
    pub listen: SocketAddr,
    /// Subject prefix (`giro`): dead letters go to `<prefix>.dlq.ingress.<provider>`.
    pub prefix: String,
    /// The providers: `POST /webhooks/<path>` is verified by the receiver registered at `<path>`
    /// (an unregistered path gets 404 `not_configured`).
    pub providers: Arc<Registry>,
    /// Largest callback body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// Longest a callback may take, body included; a slower one gets 503 and is retried by its
    /// provider (below A55's 30 s, so that Giro answers before A55 gives up).
    pub request_timeout: Duration,
    /// Longest a client may take to send a request's head (request line and headers); the
    /// connection is closed after it, so a client trickling header lines cannot hold it open.
    pub header_timeout: Duration,
    /// Whether `/metrics` also serves the process-wide metrics (appends, provider calls, …):
    /// yes for an ingress process of its own, no where the process serves them once elsewhere
    /// (`giro up`), so that they are not scraped twice.
    pub process_metrics: bool,
}

impl IngressConfig {
    /// An ingress of `providers`' webhooks.
    pub fn new(listen: SocketAddr, prefix: impl Into<String>, providers: Arc<Registry>) -> Self {
        IngressConfig {
            listen,
            prefix: prefix.into(),
            providers,
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(20),
            header_timeout: Duration::from_secs(10),
            process_metrics: true,
        }
    }
}
