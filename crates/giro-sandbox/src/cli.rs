//! `giro sandbox`: the command-line face of the simulators.

mod help;
pub use help::AFTER_HELP;

use std::net::SocketAddr;
use std::time::Duration;

use rust_decimal::Decimal;

use crate::a55::A55Config;
use crate::cashy::{AmountStyle, CashyConfig, CashyMerchant};
use crate::dispatch::Ack;
use crate::killb::{KillbConfig, KillbSignature, PrefundAccount};
use crate::{FaultSettings, RateLimit, Sandbox, SandboxConfig, Timing};

/// Options of `giro sandbox`. Every option also reads a `GIRO_SANDBOX_*` environment variable; the
/// credential defaults are sandbox credentials, not secrets.
#[derive(Debug, Clone, clap::Args)]
#[command(about = "Run the KillB, Cashy and A55 provider simulators", after_help = help::AFTER_HELP)]
pub struct SandboxArgs {
    /// KillB simulator address (port 0 picks a free one).
    #[arg(
        long,
        env = "GIRO_SANDBOX_KILLB_ADDR",
        default_value = "127.0.0.1:7101"
    )]
    pub killb_addr: SocketAddr,
    /// Cashy simulator address (CO and TZ merchants share it).
    #[arg(
        long,
        env = "GIRO_SANDBOX_CASHY_ADDR",
        default_value = "127.0.0.1:7102"
    )]
    pub cashy_addr: SocketAddr,
    /// A55 simulator address (API and OAuth2 host).
    #[arg(long, env = "GIRO_SANDBOX_A55_ADDR", default_value = "127.0.0.1:7103")]
    pub a55_addr: SocketAddr,
    /// Do not start the KillB simulator.
    #[arg(long, env = "GIRO_SANDBOX_NO_KILLB")]
    pub no_killb: bool,
    /// Do not start the Cashy simulator.
    #[arg(long, env = "GIRO_SANDBOX_NO_CASHY")]
    pub no_cashy: bool,
    /// Do not start the A55 simulator.
    #[arg(long, env = "GIRO_SANDBOX_NO_A55")]
    pub no_a55: bool,

    /// KillB login email.
    #[arg(
        long,
        env = "GIRO_SANDBOX_KILLB_EMAIL",
        default_value = "sandbox@giro.local"
    )]
    pub killb_email: String,
    /// KillB login password.
    #[arg(
        long,
        env = "GIRO_SANDBOX_KILLB_PASSWORD",
        default_value = "killb-sandbox-password"
    )]
    pub killb_password: String,
    /// Require this `x-api-key` on every KillB call.
    #[arg(long, env = "GIRO_SANDBOX_KILLB_API_KEY")]
    pub killb_api_key: Option<String>,
    /// Secret of the pre-registered KillB webhook.
    #[arg(
        long,
        env = "GIRO_SANDBOX_KILLB_WEBHOOK_SECRET",
        default_value = "killb-sandbox-webhook-secret"
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
    #[arg(long, env = "GIRO_SANDBOX_KILLB_RATE", default_value_t = 100)]
    pub killb_rate: u32,
    /// KillB burst size.
    #[arg(long, env = "GIRO_SANDBOX_KILLB_BURST", default_value_t = 200)]
    pub killb_burst: u32,
    /// Id of the KillB COP pre-fund account created at start.
    #[arg(
        long,
        env = "GIRO_SANDBOX_KILLB_ACCOUNT",
        default_value = "prefund-cop-001"
    )]
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

    /// Cashy Colombia MerchantId.
    #[arg(long, env = "GIRO_SANDBOX_CASHY_CO_MERCHANT", default_value = "100001")]
    pub cashy_co_merchant: String,
    /// Cashy Colombia API key.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CASHY_CO_KEY",
        default_value = "cashy-co-sandbox-key"
    )]
    pub cashy_co_key: String,
    /// What acknowledges a Colombian callback.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CASHY_CO_ACK",
        value_enum,
        default_value = "success-body"
    )]
    pub cashy_co_ack: Ack,
    /// Cashy Tanzania MerchantId.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CASHY_TZ_MERCHANT",
        default_value = "1002001"
    )]
    pub cashy_tz_merchant: String,
    /// Cashy Tanzania API key.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CASHY_TZ_KEY",
        default_value = "cashy-tz-sandbox-key"
    )]
    pub cashy_tz_key: String,
    /// What acknowledges a Tanzanian callback.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CASHY_TZ_ACK",
        value_enum,
        default_value = "200-301-302"
    )]
    pub cashy_tz_ack: Ack,
    /// Refuse notifyUrl without a public domain name, as the real Cashy does (off: localhost works).
    #[arg(long, env = "GIRO_SANDBOX_CASHY_REQUIRE_PUBLIC_NOTIFY_URL")]
    pub cashy_require_public_notify_url: bool,
    /// How Cashy writes amounts and fees.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CASHY_AMOUNTS",
        value_enum,
        default_value = "alternate"
    )]
    pub cashy_amounts: AmountStyle,

    /// A55 OAuth2 client id.
    #[arg(
        long,
        env = "GIRO_SANDBOX_A55_CLIENT_ID",
        default_value = "giro-sandbox"
    )]
    pub a55_client_id: String,
    /// A55 OAuth2 client secret.
    #[arg(
        long,
        env = "GIRO_SANDBOX_A55_CLIENT_SECRET",
        default_value = "a55-sandbox-client-secret"
    )]
    pub a55_client_secret: String,
    /// A55 webhook signing secret.
    #[arg(
        long,
        env = "GIRO_SANDBOX_A55_WEBHOOK_SECRET",
        default_value = "a55-sandbox-webhook-secret"
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
        default_value = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
    )]
    pub a55_wallets: Vec<String>,
    /// A55 access-token lifetime in seconds.
    #[arg(long, env = "GIRO_SANDBOX_A55_TOKEN_TTL_SECS", default_value_t = 3600)]
    pub a55_token_ttl_secs: u64,

    /// Multiplier for documented schedules (callback retries): 1 is real time, 0.001 makes a minute 60 ms.
    #[arg(long, env = "GIRO_SANDBOX_TIME_SCALE", default_value_t = 1.0)]
    pub time_scale: f64,
    /// Dwell in each in-flight status, in milliseconds.
    #[arg(long, env = "GIRO_SANDBOX_STEP_DELAY_MS", default_value_t = 2000)]
    pub step_delay_ms: u64,
    /// Delay before a reversal (SUCCESS→FAIL, COMPLETED→REFUNDED, paid→refunded), in milliseconds.
    #[arg(long, env = "GIRO_SANDBOX_REVERSAL_DELAY_MS", default_value_t = 10_000)]
    pub reversal_delay_ms: u64,
    /// Time-out of one callback attempt, in milliseconds.
    #[arg(
        long,
        env = "GIRO_SANDBOX_CALLBACK_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub callback_timeout_ms: u64,

    /// Seed of all randomness (fault draws, card ending in 9, ids).
    #[arg(long, env = "GIRO_SANDBOX_SEED", default_value_t = 0)]
    pub seed: u64,
    /// Fault: latency added to every provider request (ms).
    #[arg(long, env = "GIRO_SANDBOX_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Fault: probability of a 5xx before processing.
    #[arg(long, env = "GIRO_SANDBOX_ERROR_5XX", default_value_t = 0.0)]
    pub error_5xx: f64,
    /// Fault: probability of a rate-limit answer (429; Cashy System_busy).
    #[arg(long, env = "GIRO_SANDBOX_RATE_LIMIT", default_value_t = 0.0)]
    pub rate_limit: f64,
    /// Fault: probability of a maintenance answer (503; Cashy System_Maintenance).
    #[arg(long, env = "GIRO_SANDBOX_MAINTENANCE", default_value_t = 0.0)]
    pub maintenance: f64,
    /// Fault: probability of processing then closing the connection without answering.
    #[arg(long, env = "GIRO_SANDBOX_LOSE_RESPONSE", default_value_t = 0.0)]
    pub lose_response: f64,
    /// Fault: probability of processing then holding the connection for --hang-ms, unanswered.
    #[arg(long, env = "GIRO_SANDBOX_HANG_RESPONSE", default_value_t = 0.0)]
    pub hang_response: f64,
    /// How long a hung response is held (ms; 0 means 60000).
    #[arg(long, env = "GIRO_SANDBOX_HANG_MS", default_value_t = 0)]
    pub hang_ms: u64,
    /// Fault: probability that a callback is never sent.
    #[arg(long, env = "GIRO_SANDBOX_DROP_CALLBACK", default_value_t = 0.0)]
    pub drop_callback: f64,
    /// Fault: probability that a callback is delivered twice.
    #[arg(long, env = "GIRO_SANDBOX_DUPLICATE_CALLBACK", default_value_t = 0.0)]
    pub duplicate_callback: f64,
    /// Fault: probability that a callback is delayed by --callback-delay-ms.
    #[arg(long, env = "GIRO_SANDBOX_DELAY_CALLBACK", default_value_t = 0.0)]
    pub delay_callback: f64,
    /// Extra wait of a delayed callback (ms; 0 means 5000).
    #[arg(long, env = "GIRO_SANDBOX_CALLBACK_DELAY_MS", default_value_t = 0)]
    pub callback_delay_ms: u64,
    /// Fault: probability (per order) that a callback is sent after the next one.
    #[arg(long, env = "GIRO_SANDBOX_REORDER_CALLBACKS", default_value_t = 0.0)]
    pub reorder_callbacks: f64,
    /// Fault: probability (per order) that the final result is reversed later.
    #[arg(long, env = "GIRO_SANDBOX_REVERSE_LATER", default_value_t = 0.0)]
    pub reverse_later: f64,
}

impl SandboxArgs {
    /// The library configuration these options describe.
    /// The engine's provider settings (`GIRO_*` names, as the adapters read them) that point it
    /// at `sandbox`'s simulators, with the credentials these arguments started them with.
    pub fn engine_settings(&self, sandbox: &crate::Sandbox) -> Vec<(&'static str, String)> {
        let mut settings = Vec::new();
        if let Some(url) = sandbox.killb_url() {
            settings.extend(crate::killb::engine::engine_settings(self, url));
        }
        if let Some(url) = sandbox.cashy_url() {
            settings.extend(crate::cashy::engine::engine_settings(self, url));
        }
        if let Some(url) = sandbox.a55_url() {
            settings.extend(crate::a55::engine::engine_settings(self, url));
        }
        settings
    }

    /// Tells the simulators that call back to one configured URL (KillB's registered webhook,
    /// A55's account default) to call the ingress at `public`, unless set already. Cashy is told
    /// with each payout (`notifyUrl`).
    pub fn call_back_to(&mut self, public: &str) {
        let public = public.trim_end_matches('/');
        self.killb_webhook_url
            .get_or_insert_with(|| format!("{public}/webhooks/killb"));
        self.a55_webhook_url
            .get_or_insert_with(|| format!("{public}/webhooks/a55"));
    }

    pub fn config(&self) -> SandboxConfig {
        let killb = (!self.no_killb).then(|| KillbConfig {
            bind: self.killb_addr,
            api_key: self.killb_api_key.clone(),
            webhook_url: self.killb_webhook_url.clone(),
            signature: self.killb_signature,
            token_ttl: Duration::from_millis(self.killb_token_ttl_ms),
            rate_limit: (self.killb_rate > 0).then_some(RateLimit {
                per_second: self.killb_rate,
                burst: self.killb_burst,
            }),
            accounts: vec![PrefundAccount {
                id: self.killb_account.clone(),
                currency: "COP".into(),
                network: None,
                amount: self.killb_balance,
            }],
            phased_statuses: self.killb_phased,
            ..KillbConfig::new(
                &self.killb_email,
                &self.killb_password,
                &self.killb_webhook_secret,
            )
        });
        let cashy = (!self.no_cashy).then(|| CashyConfig {
            bind: self.cashy_addr,
            require_public_notify_url: self.cashy_require_public_notify_url,
            amount_style: self.cashy_amounts,
            ..CashyConfig::new(vec![
                CashyMerchant {
                    ack: self.cashy_co_ack,
                    ..CashyMerchant::colombia(&self.cashy_co_merchant, &self.cashy_co_key)
                },
                CashyMerchant {
                    ack: self.cashy_tz_ack,
                    ..CashyMerchant::tanzania(&self.cashy_tz_merchant, &self.cashy_tz_key)
                },
            ])
        });
        let a55 = (!self.no_a55).then(|| A55Config {
            bind: self.a55_addr,
            webhook_url: self.a55_webhook_url.clone(),
            legacy_webhooks: self.a55_legacy_webhooks,
            token_ttl: Duration::from_secs(self.a55_token_ttl_secs),
            wallets: self.a55_wallets.clone(),
            ..A55Config::new(
                &self.a55_client_id,
                &self.a55_client_secret,
                &self.a55_webhook_secret,
            )
        });
        SandboxConfig {
            killb,
            cashy,
            a55,
            timing: Timing {
                time_scale: self.time_scale,
                step_delay: Duration::from_millis(self.step_delay_ms),
                reversal_delay: Duration::from_millis(self.reversal_delay_ms),
                callback_timeout: Duration::from_millis(self.callback_timeout_ms),
            },
            faults: FaultSettings {
                latency_ms: self.latency_ms,
                error_5xx: self.error_5xx,
                rate_limit: self.rate_limit,
                maintenance: self.maintenance,
                lose_response: self.lose_response,
                hang_response: self.hang_response,
                hang_ms: self.hang_ms,
                drop_callback: self.drop_callback,
                duplicate_callback: self.duplicate_callback,
                delay_callback: self.delay_callback,
                callback_delay_ms: self.callback_delay_ms,
                reorder_callbacks: self.reorder_callbacks,
                reverse_later: self.reverse_later,
            },
            seed: self.seed,
        }
    }
}

/// Runs the simulators until Ctrl-C.
pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let sandbox = Sandbox::start(args.config()).await?;
    for (name, url) in [
        ("KillB", sandbox.killb_url()),
        ("Cashy", sandbox.cashy_url()),
        ("A55", sandbox.a55_url()),
    ] {
        if let Some(url) = url {
            tracing::info!(provider = name, %url, "sandbox listening");
            println!("{name} sandbox listening on {url}");
        }
    }
    tokio::select! {
        signal = tokio::signal::ctrl_c() => signal?,
        () = sandbox.stopped() => {}
    }
    sandbox.shutdown();
    Ok(())
}
