//! The credentials `giro sandbox` starts the KillB simulator with unless told otherwise (the
//! engine's KillB adapter has the same defaults, so the two work together out of the box).

/// Login email.
pub const EMAIL: &str = "sandbox@giro.local";
/// Login password.
pub const PASSWORD: &str = "killb-sandbox-password";
/// Secret of the pre-registered webhook.
pub const WEBHOOK_SECRET: &str = "killb-sandbox-webhook-secret";
/// The COP pre-fund account created at start.
pub const ACCOUNT: &str = "prefund-cop-001";
