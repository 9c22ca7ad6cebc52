//! The A55 simulator's options of `giro sandbox` / `giro up` (`--a55-*`, `GIRO_SANDBOX_A55_*`),
//! and what they start.

use std::net::SocketAddr;
use std::time::Duration;

use super::config::A55Config;
use super::defaults;
use crate::simulator::{SimulatorArgs, SimulatorConfig};

/// Options of the A55 simulator.
#[derive(Debug, Clone, clap::Args)]
pub struct A55Args {
    /// A55 simulator address (API and OAuth2 host).
    #[arg(long, env = "GIRO_SANDBOX_A55_ADDR", default_value = "127.0.0.1:7103")]
    pub a55_addr: SocketAddr,
    /// Do not start the A55 simulator.
    #[arg(long, env = "GIRO_SANDBOX_NO_A55")]
    pub no_a55: bool,
    /// A55 OAuth2 client id.
    #[arg(long, env = "GIRO_SANDBOX_A55_CLIENT_ID", default_value = defaults::CLIENT_ID)]
    pub a55_client_id: String,
    /// A55 OAuth2 client secret.
    #[arg(
        long,
        env = "GIRO_SANDBOX_A55_CLIENT_SECRET",
        default_value = defaults::CLIENT_SECRET
    )]
    pub a55_client_secret: String,
    /// A55 webhook signing secret.
    #[arg(
        long,
        env = "GIRO_SANDBOX_A55_WEBHOOK_SECRET",
        default_value = defaults::WEBHOOK_SECRET
    )]
    pub a55_webhook_secret: String,
    /// Default A55 webhook URL (for charges without webhook_url).
    #[arg(long, env = "GIRO_SANDBOX_A55_WEBHOOK_URL")]
    pub a55_webhook_url: Option<String>,
    /// Send the older unsigned A55 webhooks.
    #[arg(long, env = "GIRO_SANDBOX_A55_LEGACY_WEBHOOKS")]
    pub a55_legacy_webhooks: bool,
    /// Existing A55 wallet uuids (repeatable).
    #[arg(
        long = "a55-wallet",
        env = "GIRO_SANDBOX_A55_WALLETS",
        value_delimiter = ',',
        default_value = defaults::WALLET
    )]
    pub a55_wallets: Vec<String>,
    /// A55 access-token lifetime in seconds.
    #[arg(long, env = "GIRO_SANDBOX_A55_TOKEN_TTL_SECS", default_value_t = 3600)]
    pub a55_token_ttl_secs: u64,
    /// Seconds an A55 authorisation (pre_captured) waits for a capture before it is canceled.
    #[arg(
        long,
        env = "GIRO_SANDBOX_A55_AUTHORIZATION_TTL_SECS",
        default_value_t = 7 * 24 * 3600
    )]
    pub a55_authorization_ttl_secs: u64,
}

impl SimulatorArgs for A55Args {
    fn name(&self) -> &'static str {
        super::NAME
    }

    fn clone_box(&self) -> Box<dyn SimulatorArgs> {
        Box::new(self.clone())
    }

    fn config(&self) -> Option<Box<dyn SimulatorConfig>> {
        let config = A55Config {
            bind: self.a55_addr,
            webhook_url: self.a55_webhook_url.clone(),
            legacy_webhooks: self.a55_legacy_webhooks,
            token_ttl: Duration::from_secs(self.a55_token_ttl_secs),
            wallets: self.a55_wallets.clone(),
            authorization_ttl: Duration::from_secs(self.a55_authorization_ttl_secs),
            ..A55Config::new(
                &self.a55_client_id,
                &self.a55_client_secret,
                &self.a55_webhook_secret,
            )
        };
        (!self.no_a55).then(|| Box::new(config) as Box<dyn SimulatorConfig>)
    }

    fn call_back_to(&mut self, public: &str) {
        self.a55_webhook_url
            .get_or_insert_with(|| format!("{public}/webhooks/{}", super::NAME));
    }

    fn engine_settings(&self, url: String) -> Vec<(&'static str, String)> {
        super::engine::engine_settings(self, url)
    }

    /// A55 has no limit a load run would meet.
    fn for_load(&mut self) {}
}
