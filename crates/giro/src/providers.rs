//! The provider registry from configuration: every adapter of `giro_providers::ADAPTERS`, each
//! reading its `GIRO_*` variables (secrets also from `<NAME>_FILE`) with its sandbox's
//! credentials as defaults, so `giro sandbox` and the engine work together out of the box.

use std::sync::Arc;

use anyhow::Context as _;
use giro_providers::{Registry, Settings};

/// The registry of `settings`.
pub fn registry(settings: &Settings) -> anyhow::Result<Arc<Registry>> {
    Ok(Arc::new(
        Registry::from_settings(settings).context("configuring the providers")?,
    ))
}

/// Points `settings` at in-process sandboxes started from `sandbox` with `args` (their
/// addresses and the credentials they were started with).
pub fn for_sandbox(
    settings: &mut Settings,
    sandbox: &giro_sandbox::Sandbox,
    args: &giro_sandbox::cli::SandboxArgs,
) {
    if let Some(url) = sandbox.killb_url() {
        settings.set("GIRO_KILLB_URL", url);
    }
    if let Some(url) = sandbox.cashy_url() {
        settings.set("GIRO_CASHY_URL", url);
    }
    if let Some(url) = sandbox.a55_url() {
        settings.set("GIRO_A55_URL", url.clone());
        settings.set("GIRO_A55_AUTH_URL", url);
    }
    settings
        .set("GIRO_A55_CLIENT_ID", args.a55_client_id.clone())
        .set("GIRO_A55_CLIENT_SECRET", args.a55_client_secret.clone())
        .set("GIRO_A55_WEBHOOK_SECRET", args.a55_webhook_secret.clone())
        .set(
            "GIRO_A55_LEGACY_WEBHOOKS",
            args.a55_legacy_webhooks.to_string(),
        )
        .set("GIRO_KILLB_EMAIL", args.killb_email.clone())
        .set("GIRO_KILLB_PASSWORD", args.killb_password.clone())
        .set("GIRO_KILLB_PREFUND_ACCOUNT", args.killb_account.clone())
        .set(
            "GIRO_KILLB_WEBHOOK_SECRET",
            args.killb_webhook_secret.clone(),
        )
        .set("GIRO_CASHY_CO_MERCHANT", args.cashy_co_merchant.clone())
        .set("GIRO_CASHY_CO_KEY", args.cashy_co_key.clone())
        .set("GIRO_CASHY_TZ_MERCHANT", args.cashy_tz_merchant.clone())
        .set("GIRO_CASHY_TZ_KEY", args.cashy_tz_key.clone());
    if let Some(wallet) = args.a55_wallets.first() {
        settings.set("GIRO_A55_WALLET", wallet.clone());
    }
}
