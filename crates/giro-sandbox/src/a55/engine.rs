//! What the engine needs to talk to this simulator when it runs in-process: its address (API and
//! OAuth2 host) and the credentials it was started with, under the `GIRO_A55_*` names the A55
//! adapter reads.

use super::args::A55Args;

/// The engine settings pointing the A55 adapter at the simulator on `url`.
pub(crate) fn engine_settings(args: &A55Args, url: String) -> Vec<(&'static str, String)> {
    let mut settings = vec![
        ("GIRO_A55_URL", url.clone()),
        ("GIRO_A55_AUTH_URL", url),
        ("GIRO_A55_CLIENT_ID", args.a55_client_id.clone()),
        ("GIRO_A55_CLIENT_SECRET", args.a55_client_secret.clone()),
        ("GIRO_A55_WEBHOOK_SECRET", args.a55_webhook_secret.clone()),
        (
            "GIRO_A55_LEGACY_WEBHOOKS",
            args.a55_legacy_webhooks.to_string(),
        ),
    ];
    if let Some(wallet) = args.a55_wallets.first() {
        settings.push(("GIRO_A55_WALLET", wallet.clone()));
    }
    settings
}
