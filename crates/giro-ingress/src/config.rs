//! What the ingress verifies callbacks with, per provider instance.

use std::net::SocketAddr;

use giro_domain::{ProviderId, Secret};
use giro_executor::providers::cashy::CashyCountry;

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

/// The ingress server.
#[derive(Debug, Clone)]
pub struct IngressConfig {
    pub listen: SocketAddr,
    /// Subject prefix (`giro`): dead letters go to `<prefix>.dlq.ingress.<provider>`.
    pub prefix: String,
    pub killb: Option<KillbHook>,
    pub cashy: Vec<CashyHook>,
    /// Largest callback body accepted; larger ones get 413.
    pub max_body_bytes: usize,
}

impl IngressConfig {
    pub fn new(listen: SocketAddr, prefix: impl Into<String>) -> Self {
        IngressConfig {
            listen,
            prefix: prefix.into(),
            killb: None,
            cashy: Vec::new(),
            max_body_bytes: 64 * 1024,
        }
    }
}
