//! What an A55 sandbox is started with.

use std::net::SocketAddr;
use std::time::Duration;

/// Credentials, wallets and webhook settings of the A55 simulator.
#[derive(Clone, Debug, PartialEq)]
pub struct A55Config {
    /// Where to listen; port 0 picks a free one. The same server is the OAuth2 auth host.
    pub bind: SocketAddr,
    /// OAuth2 client id.
    pub client_id: String,
    /// OAuth2 client secret.
    pub client_secret: String,
    /// Secret of `X-Webhook-Signature`.
    pub webhook_secret: String,
    /// Where webhooks go for charges created without `webhook_url`.
    pub webhook_url: Option<String>,
    /// Send the older, unsigned `{charge_uuid, status, transaction_reference, subscription_uuid,
    /// payment_link_uuid}` webhooks instead of signed ones.
    pub legacy_webhooks: bool,
    /// Lifetime of an access token (`expires_in`, seconds).
    pub token_ttl: Duration,
    /// Wallets that exist (`wallet_uuid`); any other is `errors.wallet.not_found`.
    pub wallets: Vec<String>,
    /// Base of the hosted checkout, 3DS and boleto URLs; defaults to the bound address.
    pub public_url: Option<String>,
    /// How long an authorisation (`pre_captured`) waits for its capture before it lapses and the
    /// charge becomes `canceled` (with its webhook). A55 states no figure; card authorisations
    /// commonly hold for seven days, the default.
    pub authorization_ttl: Duration,
}

impl A55Config {
    /// An A55 sandbox with these credentials, on a free local port, one-hour tokens and the seed's
    /// wallet `f47ac10b-58cc-4372-a567-0e02b2c3d479`.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        webhook_secret: impl Into<String>,
    ) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            webhook_secret: webhook_secret.into(),
            webhook_url: None,
            legacy_webhooks: false,
            token_ttl: Duration::from_secs(3600),
            wallets: vec!["f47ac10b-58cc-4372-a567-0e02b2c3d479".into()],
            public_url: None,
            authorization_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }
}
