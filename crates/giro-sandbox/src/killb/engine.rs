//! What the engine needs to talk to this simulator when it runs in-process: its address and the
//! credentials it was started with, under the `GIRO_KILLB_*` names the KillB adapter reads.

use crate::cli::SandboxArgs;

/// The engine settings pointing the KillB adapter at the simulator on `url`.
pub(crate) fn engine_settings(args: &SandboxArgs, url: String) -> Vec<(&'static str, String)> {
    vec![
        ("GIRO_KILLB_URL", url),
        ("GIRO_KILLB_EMAIL", args.killb_email.clone()),
        ("GIRO_KILLB_PASSWORD", args.killb_password.clone()),
        ("GIRO_KILLB_PREFUND_ACCOUNT", args.killb_account.clone()),
        (
            "GIRO_KILLB_WEBHOOK_SECRET",
            args.killb_webhook_secret.clone(),
        ),
    ]
}
