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
/// The user accounts are linked to unless a registration names another (an umbrella user: its
/// accounts may name any holder). The engine's `GIRO_KILLB_USER_ID` defaults to it.
pub const USER_ID: &str = "user-giro-sandbox";
