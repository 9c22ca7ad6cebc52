//! What the ingress verifies callbacks with, per provider instance.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use giro_domain::{ProviderId, Secret};
use giro_providers::a55::A55Client;
use giro_providers::cashy::CashyCountry;

/// KillB's webhook: the instance it reports for and the registered webhook secret.
#[derive(Debug, Clone)]
pub struct KillbHook {
    pub provider: ProviderId,
    pub secret: Secret<String>,
}

/// One Cashy merchant: callbacks name it in `MerchantId` and are signed with its key.
#[derive(Debug, Clone)]
pub struct CashyHook {
    pub provider: ProviderId,
    pub merchant_id: String,
    pub api_key: Secret<String>,
    /// Decides the success answer: `SUCCESS` (Colombia) or `{"status":"SUCCESS"}` (Tanzania).
    pub country: CashyCountry,
}

/// A55's webhook: signed with `X-Webhook-Signature` over `"<X-Webhook-Timestamp>." + body`.
#[derive(Debug, Clone)]
pub struct A55Hook {
    pub provider: ProviderId,
    pub secret: Secret<String>,
    /// Set to accept A55's older unsigned webhook: each one is then confirmed by reading the
    /// charge from A55 with this client, and only what A55 says counts. `None` refuses them.
    pub legacy: Option<Arc<A55Client>>,
}

/// The ingress server.
#[derive(Debug, Clone)]
pub struct IngressConfig {
    pub listen: SocketAddr,
    /// Subject prefix (`giro`): dead letters go to `<prefix>.dlq.ingress.<provider>`.
    pub prefix: String,
    pub killb: Option<KillbHook>,
    pub cashy: Vec<CashyHook>,
    pub a55: Option<A55Hook>,
    /// Largest callback body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// Longest a callback may take, body included; a slower one gets 503 and is retried by its
    /// provider (below A55's 30 s, so that Giro answers before A55 gives up).
    pub request_timeout: Duration,
}

impl IngressConfig {
    pub fn new(listen: SocketAddr, prefix: impl Into<String>) -> Self {
        IngressConfig {
            listen,
            prefix: prefix.into(),
            killb: None,
            cashy: Vec::new(),
            a55: None,
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(20),
        }
    }
}
