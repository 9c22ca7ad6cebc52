//! What the engine needs to talk to this simulator when it runs in-process: its address and the
//! credentials it was started with, under the `GIRO_KILLB_*` names the KillB adapter reads.

use super::args::KillbArgs;

/// The engine settings pointing the KillB adapter at the simulator on `url`.
pub(crate) fn engine_settings(args: &KillbArgs, url: String) -> Vec<(&'static str, String)> {
    let mut settings = vec![
        ("GIRO_KILLB_URL", url),
        ("GIRO_KILLB_EMAIL", args.killb_email.clone()),
        ("GIRO_KILLB_PASSWORD", args.killb_password.clone()),
        ("GIRO_KILLB_PREFUND_ACCOUNT", args.killb_account.clone()),
        (
            "GIRO_KILLB_WEBHOOK_SECRET",
            args.killb_webhook_secret.clone(),
        ),
    ];
    if let Some(key) = &args.killb_api_key {
        settings.push(("GIRO_KILLB_API_KEY", key.clone()));
    }
    settings.push(("GIRO_KILLB_USER_ID", super::defaults::USER_ID.into()));
    if args.for_load {
        // The simulator does not rate-limit a load run, so neither does the client.
        settings.push(("GIRO_KILLB_RATE_LIMIT", "0".into()));
    }
    settings
}
