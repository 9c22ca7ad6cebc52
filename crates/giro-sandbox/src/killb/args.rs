//! The KillB simulator's options of `giro sandbox` / `giro up` (`--killb-*`,
//! `GIRO_SANDBOX_KILLB_*`), and what they start.

use std::net::SocketAddr;
use std::time::Duration;

use rust_decimal::Decimal;

use super::config::{KillbConfig, PrefundAccount, SANDBOX_RATE_LIMIT};
use super::defaults;
use super::sign::KillbSignature;
use crate::ratelimit::RateLimit;
use crate::simulator::{SimulatorArgs, SimulatorConfig};

/// Options of the KillB simulator.
#[derive(Debug, Clone, clap::Args)]
pub struct KillbArgs {
    /// KillB simulator address (port 0 picks a free one).
    #[arg(
        long,
        env = "GIRO_SANDBOX_KILLB_ADDR",
        default_value = "127.0.0.1:7101"
    )]
    pub killb_addr: SocketAddr,
    /// Do not start the KillB simulator.
    #[arg(long, env = "GIRO_SANDBOX_NO_KILLB")]
    pub no_killb: bool,
    /// KillB login email.
    #[arg(long, env = "GIRO_SANDBOX_KILLB_EMAIL", default_value = defaults::EMAIL)]
    pub killb_email: String,
    /// KillB login password.
    #[arg(long, env = "GIRO_SANDBOX_KILLB_PASSWORD", default_value = defaults::PASSWORD)]
    pub killb_password: String,
    /// Require this `x-api-key` on every KillB call.
    #[arg(long, env = "GIRO_SANDBOX_KILLB_API_KEY")]
    pub killb_api_key: Option<String>,
    /// Secret of the pre-registered KillB webhook.
    #[arg(
        long,
        env = "GIRO_SANDBOX_KILLB_WEBHOOK_SECRET",
        default_value = defaults::WEBHOOK_SECRET
    )]
    pub killb_webhook_secret: String,
    /// Pre-register a KillB webhook (PAYOUT and ACCOUNT events) to this URL.
    #[arg(long, env = "GIRO_SANDBOX_KILLB_WEBHOOK_URL")]
    pub killb_webhook_url: Option<String>,
    /// How `x-signature-sha256` is computed: (a) hmac-sha256 of the body, (b) sha256 of body + "_" + secret.
    #[arg(
        long,
        env = "GIRO_SANDBOX_KILLB_SIGNATURE",
        value_enum,
        default_value = "hmac-sha256"
    )]
    pub killb_signature: KillbSignature,
    /// KillB access-token lifetime in milliseconds (reported as `expiresIn`).
    #[arg(
        long,
        env = "GIRO_SANDBOX_KILLB_TOKEN_TTL_MS",
        default_value_t = 3_600_000
    )]
    pub killb_token_ttl_ms: u64,
    /// KillB requests per second (0 disables the limit).
    #[arg(long, env = "GIRO_SANDBOX_KILLB_RATE", default_value_t = SANDBOX_RATE_LIMIT.per_second)]
    pub killb_rate: u32,
    /// KillB burst size.
    #[arg(long, env = "GIRO_SANDBOX_KILLB_BURST", default_value_t = SANDBOX_RATE_LIMIT.burst)]
    pub killb_burst: u32,
    /// Id of the KillB COP pre-fund account created at start.
    #[arg(long, env = "GIRO_SANDBOX_KILLB_ACCOUNT", default_value = defaults::ACCOUNT)]
    pub killb_account: String,
    /// Its starting balance.
    #[arg(
        long,
        env = "GIRO_SANDBOX_KILLB_BALANCE",
        default_value = "10000000.00"
    )]
    pub killb_balance: Decimal,
    /// Pass KillB payouts through CASH_OUT_PENDING/PROCESSING/COMPLETED.
    #[arg(long, env = "GIRO_SANDBOX_KILLB_PHASED")]
    pub killb_phased: bool,
    /// A load run: no rate limit in the simulator or the engine's client, funds for any length.
    #[arg(skip)]
    pub for_load: bool,
    /// Where the engine's ingress is ([`SimulatorArgs::call_back_to`]). The engine registers its
    /// webhook there itself at set-up; only a load run (which runs no set-up) gets it
    /// pre-registered.
    #[arg(skip)]
    pub callback_url: Option<String>,
}

/// The pre-fund balance of a load run: more than any run pays out.
const LOAD_BALANCE: i64 = 1_000_000_000_000;

impl SimulatorArgs for KillbArgs {
    fn name(&self) -> &'static str {
        super::NAME
    }

    fn clone_box(&self) -> Box<dyn SimulatorArgs> {
        Box::new(self.clone())
    }

    fn config(&self) -> Option<Box<dyn SimulatorConfig>> {
        let limited = self.killb_rate > 0 && !self.for_load;
        let config = KillbConfig {
            bind: self.killb_addr,
            api_key: self.killb_api_key.clone(),
            webhook_url: self
                .killb_webhook_url
                .clone()
                .or_else(|| self.callback_url.clone().filter(|_| self.for_load)),
            signature: self.killb_signature,
            token_ttl: Duration::from_millis(self.killb_token_ttl_ms),
            rate_limit: limited.then_some(RateLimit {
                per_second: self.killb_rate,
                burst: self.killb_burst,
            }),
            accounts: vec![PrefundAccount {
                id: self.killb_account.clone(),
                currency: "COP".into(),
                network: None,
                amount: if self.for_load {
                    Decimal::from(LOAD_BALANCE)
                } else {
                    self.killb_balance
                },
            }],
            phased_statuses: self.killb_phased,
            ..KillbConfig::new(
                &self.killb_email,
                &self.killb_password,
                &self.killb_webhook_secret,
            )
        };
        (!self.no_killb).then(|| Box::new(config) as Box<dyn SimulatorConfig>)
    }

    fn call_back_to(&mut self, public: &str) {
        self.callback_url = Some(format!("{public}/webhooks/{}", super::NAME));
    }

    fn engine_settings(&self, url: String) -> Vec<(&'static str, String)> {
        super::engine::engine_settings(self, url)
    }

    fn for_load(&mut self) {
        self.for_load = true;
    }

    fn more_scenarios() -> &'static [(u8, &'static str)] {
        &[(21, "COMPLETED, 1 % less paid (whole COP)")]
    }
}
