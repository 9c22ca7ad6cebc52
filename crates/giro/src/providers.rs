//! Provider instances from configuration. Credentials come from the environment or from files
//! (`<NAME>_FILE`), never from code; the defaults are the sandboxes' own credentials, so
//! `giro sandbox` and the engine work together out of the box.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use giro_domain::{ProviderId, Secret};
use giro_ingress::{A55Hook, CashyHook, KillbHook};
use giro_providers::PayoutProvider;
use giro_providers::a55::{A55Client, A55Config};
use giro_providers::cashy::{CashyClient, CashyConfig, CashyCountry};
use giro_providers::killb::{KillbClient, KillbConfig};
use giro_providers::ratelimit::RateLimit;

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
    /// A55's API host.
    #[arg(long, env = "GIRO_A55_URL", default_value = "http://127.0.0.1:7103")]
    pub a55_url: String,
    /// A55's OAuth2 host, when not the API host.
    #[arg(long, env = "GIRO_A55_AUTH_URL")]
    pub a55_auth_url: Option<String>,
    #[arg(long, env = "GIRO_A55_CLIENT_ID", default_value = "giro-sandbox")]
    pub a55_client_id: String,
    /// A55 OAuth2 client secret (or GIRO_A55_CLIENT_SECRET_FILE).
    #[arg(
        long,
        env = "GIRO_A55_CLIENT_SECRET",
        hide_env_values = true,
        default_value = "a55-sandbox-client-secret"
    )]
    pub a55_client_secret: String,
    /// The A55 wallet charges pay into.
    #[arg(
        long,
        env = "GIRO_A55_WALLET",
        default_value = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
    )]
    pub a55_wallet: String,
    #[arg(
        long,
        env = "GIRO_A55_MERCHANT_ID",
        default_value = "11111111-1111-1111-1111-111111111111"
    )]
    pub a55_merchant_id: String,
    /// Secret of A55's X-Webhook-Signature (or GIRO_A55_WEBHOOK_SECRET_FILE).
    #[arg(
        long,
        env = "GIRO_A55_WEBHOOK_SECRET",
        hide_env_values = true,
        default_value = "a55-sandbox-webhook-secret"
    )]
    pub a55_webhook_secret: String,
    /// Accept A55's older unsigned webhooks, each confirmed by reading the charge from A55.
    #[arg(long, env = "GIRO_A55_LEGACY_WEBHOOKS")]
    pub a55_legacy_webhooks: bool,
    /// Public URL of the webhook ingress, for Cashy's notifyUrl and A55's webhook_url.
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

    /// A KillB client with these settings (its own token cache and rate limiter).
    pub fn killb(&self) -> anyhow::Result<KillbClient> {
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
        KillbClient::new(killb).context("building the KillB client")
    }

    /// Every payout provider instance of the default catalog, KillB's through `killb` (which
    /// `giro up` shares with the beneficiary accounts, so both stay under one rate limit).
    pub fn instances(&self, killb: Arc<KillbClient>) -> anyhow::Result<Vec<Instance>> {
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
                client: killb,
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

    /// The A55 client of the charge executor (and of the ingress, for unsigned webhooks).
    pub fn a55(&self) -> anyhow::Result<Arc<A55Client>> {
        let mut config = A55Config::new(
            self.a55_url.clone(),
            self.a55_client_id.clone(),
            secret("GIRO_A55_CLIENT_SECRET", &self.a55_client_secret)?,
            self.a55_wallet.clone(),
            self.a55_merchant_id.clone(),
            secret("GIRO_A55_WEBHOOK_SECRET", &self.a55_webhook_secret)?,
        );
        config.auth_url.clone_from(&self.a55_auth_url);
        config.webhook_url = Some(format!(
            "{}/webhooks/a55",
            self.ingress_public_url.trim_end_matches('/')
        ));
        config.timeout = self.provider_timeout;
        Ok(Arc::new(
            A55Client::new(config).context("building the A55 client")?,
        ))
    }

    /// What the ingress verifies A55's webhooks with.
    pub fn a55_hook(&self) -> anyhow::Result<A55Hook> {
        Ok(A55Hook {
            provider: pid("a55")?,
            secret: secret("GIRO_A55_WEBHOOK_SECRET", &self.a55_webhook_secret)?,
            legacy: if self.a55_legacy_webhooks {
                Some(self.a55()?)
            } else {
                None
            },
        })
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
        if let Some(url) = sandbox.a55_url() {
            s.a55_url = url;
            s.a55_auth_url = None;
        }
        s.a55_client_id = args.a55_client_id.clone();
        s.a55_client_secret = args.a55_client_secret.clone();
        s.a55_webhook_secret = args.a55_webhook_secret.clone();
        s.a55_legacy_webhooks = args.a55_legacy_webhooks;
        if let Some(wallet) = args.a55_wallets.first() {
            s.a55_wallet = wallet.clone();
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
