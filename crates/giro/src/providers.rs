//! Provider instances from configuration. Credentials come from the environment or from files
//! (`<NAME>_FILE`), never from code; the defaults are the sandboxes' own credentials, so
//! `giro sandbox` and the engine work together out of the box.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use giro_domain::{ProviderId, Secret};
use giro_executor::PayoutProvider;
use giro_executor::providers::cashy::{CashyClient, CashyConfig, CashyCountry};
use giro_executor::providers::killb::{KillbClient, KillbConfig};
use giro_executor::providers::ratelimit::RateLimit;
use giro_ingress::{CashyHook, KillbHook};

/// Where the providers are and how Giro authenticates (flags, `GIRO_*` variables).
#[derive(Args, Clone, Debug)]
pub struct ProviderArgs {
    #[arg(long, env = "GIRO_KILLB_URL", default_value = "http://127.0.0.1:7101")]
    pub killb_url: String,
    #[arg(long, env = "GIRO_KILLB_EMAIL", default_value = "sandbox@giro.local")]
    pub killb_email: String,
    /// KillB password (or GIRO_KILLB_PASSWORD_FILE).
    #[arg(
        long,
        env = "GIRO_KILLB_PASSWORD",
        hide_env_values = true,
        default_value = "killb-sandbox-password"
    )]
    pub killb_password: String,
    #[arg(
        long,
        env = "GIRO_KILLB_PREFUND_ACCOUNT",
        default_value = "prefund-cop-001"
    )]
    pub killb_prefund_account: String,
    /// Client-side limit of KillB calls per second (KillB allows 50 in production, 100 in its
    /// sandbox); 0 sends as fast as asked. Bursts of twice the rate are allowed.
    #[arg(long, env = "GIRO_KILLB_RATE_LIMIT", default_value_t = 50)]
    pub killb_rate_limit: u32,
    /// KillB webhook secret (or GIRO_KILLB_WEBHOOK_SECRET_FILE).
    #[arg(
        long,
        env = "GIRO_KILLB_WEBHOOK_SECRET",
        hide_env_values = true,
        default_value = "killb-sandbox-webhook-secret"
    )]
    pub killb_webhook_secret: String,
    #[arg(long, env = "GIRO_CASHY_URL", default_value = "http://127.0.0.1:7102")]
    pub cashy_url: String,
    #[arg(long, env = "GIRO_CASHY_CO_MERCHANT", default_value = "100001")]
    pub cashy_co_merchant: String,
    /// Cashy Colombia API key (or GIRO_CASHY_CO_KEY_FILE).
    #[arg(
        long,
        env = "GIRO_CASHY_CO_KEY",
        hide_env_values = true,
        default_value = "cashy-co-sandbox-key"
    )]
    pub cashy_co_key: String,
    #[arg(long, env = "GIRO_CASHY_TZ_MERCHANT", default_value = "1002001")]
    pub cashy_tz_merchant: String,
    /// Cashy Tanzania API key (or GIRO_CASHY_TZ_KEY_FILE).
    #[arg(
        long,
        env = "GIRO_CASHY_TZ_KEY",
        hide_env_values = true,
        default_value = "cashy-tz-sandbox-key"
    )]
    pub cashy_tz_key: String,
    /// Public URL of the webhook ingress, for Cashy's notifyUrl.
    #[arg(
        long,
        env = "GIRO_INGRESS_PUBLIC_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    pub ingress_public_url: String,
    /// Time-out of one provider call.
    #[arg(long, env = "GIRO_PROVIDER_TIMEOUT", default_value = "20s", value_parser = crate::cli::parse_duration)]
    pub provider_timeout: Duration,
}

/// A secret from `<NAME>_FILE` when set, else the given value (from flag or `<NAME>`).
fn secret(name: &str, value: &str) -> anyhow::Result<Secret<String>> {
    match std::env::var(format!("{name}_FILE")) {
        Ok(path) => {
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("reading {name}_FILE"))?;
            Ok(Secret::new(text.trim().to_string()))
        }
        Err(_) => Ok(Secret::new(value.to_string())),
    }
}

fn pid(s: &str) -> anyhow::Result<ProviderId> {
    ProviderId::try_from(s.to_string()).map_err(|e| anyhow::anyhow!("provider id {s:?}: {e}"))
}

/// A payout provider instance: its id, its client, and whether it pays from a pre-funded balance.
pub struct Instance {
    pub id: ProviderId,
    pub client: Arc<dyn PayoutProvider>,
    pub prefunded: bool,
}

/// Parses only the provider settings, from `GIRO_*` variables and defaults.
#[derive(clap::Parser)]
struct FromEnv {
    #[command(flatten)]
    providers: ProviderArgs,
}

impl ProviderArgs {
    /// The settings from `GIRO_*` variables and defaults alone.
    pub fn from_env() -> Self {
        <FromEnv as clap::Parser>::parse_from(["giro"]).providers
    }

    /// Every payout provider instance of the default catalog.
    pub fn instances(&self) -> anyhow::Result<Vec<Instance>> {
        let mut killb = KillbConfig::new(
            self.killb_url.clone(),
            self.killb_email.clone(),
            secret("GIRO_KILLB_PASSWORD", &self.killb_password)?,
            self.killb_prefund_account.clone(),
            secret("GIRO_KILLB_WEBHOOK_SECRET", &self.killb_webhook_secret)?,
        );
        killb.timeout = self.provider_timeout;
        killb.rate_limit = (self.killb_rate_limit > 0).then(|| RateLimit {
            per_second: self.killb_rate_limit,
            burst: self.killb_rate_limit.saturating_mul(2),
        });
        let notify = format!(
            "{}/webhooks/cashy",
            self.ingress_public_url.trim_end_matches('/')
        );
        let cashy = |merchant: &str, key: Secret<String>, country| {
            let mut c = CashyConfig::new(
                self.cashy_url.clone(),
                merchant,
                key,
                country,
                notify.clone(),
            );
            c.timeout = self.provider_timeout;
            CashyClient::new(c).context("building the Cashy client")
        };
        Ok(vec![
            Instance {
                id: pid("killb")?,
                client: Arc::new(KillbClient::new(killb).context("building the KillB client")?),
                prefunded: true,
            },
            Instance {
                id: pid("cashy-co")?,
                client: Arc::new(cashy(
                    &self.cashy_co_merchant,
                    secret("GIRO_CASHY_CO_KEY", &self.cashy_co_key)?,
                    CashyCountry::Co,
                )?),
                prefunded: false,
            },
            Instance {
                id: pid("cashy-tz")?,
                client: Arc::new(cashy(
                    &self.cashy_tz_merchant,
                    secret("GIRO_CASHY_TZ_KEY", &self.cashy_tz_key)?,
                    CashyCountry::Tz,
                )?),
                prefunded: false,
            },
        ])
    }

    /// What the ingress verifies callbacks with.
    pub fn hooks(&self) -> anyhow::Result<(KillbHook, Vec<CashyHook>)> {
        let killb = KillbHook {
            provider: pid("killb")?,
            secret: secret("GIRO_KILLB_WEBHOOK_SECRET", &self.killb_webhook_secret)?,
        };
        let cashy = vec![
            CashyHook {
                provider: pid("cashy-co")?,
                merchant_id: self.cashy_co_merchant.clone(),
                api_key: secret("GIRO_CASHY_CO_KEY", &self.cashy_co_key)?,
                country: CashyCountry::Co,
            },
            CashyHook {
                provider: pid("cashy-tz")?,
                merchant_id: self.cashy_tz_merchant.clone(),
                api_key: secret("GIRO_CASHY_TZ_KEY", &self.cashy_tz_key)?,
                country: CashyCountry::Tz,
            },
        ];
        Ok((killb, cashy))
    }

    /// The same settings pointed at in-process sandboxes started from `sandbox`.
    pub fn for_sandbox(
        &self,
        sandbox: &giro_sandbox::Sandbox,
        args: &giro_sandbox::cli::SandboxArgs,
    ) -> Self {
        let mut s = self.clone();
        if let Some(url) = sandbox.killb_url() {
            s.killb_url = url;
        }
        if let Some(url) = sandbox.cashy_url() {
            s.cashy_url = url;
        }
        s.killb_email = args.killb_email.clone();
        s.killb_password = args.killb_password.clone();
        s.killb_prefund_account = args.killb_account.clone();
        s.killb_webhook_secret = args.killb_webhook_secret.clone();
        s.cashy_co_merchant = args.cashy_co_merchant.clone();
        s.cashy_co_key = args.cashy_co_key.clone();
        s.cashy_tz_merchant = args.cashy_tz_merchant.clone();
        s.cashy_tz_key = args.cashy_tz_key.clone();
        s
    }
}
