//! The credentials `giro sandbox` starts the A55 simulator with unless told otherwise (the
//! engine's A55 adapter has the same defaults, so the two work together out of the box).

/// OAuth2 client id.
pub const CLIENT_ID: &str = "giro-sandbox";
/// OAuth2 client secret.
pub const CLIENT_SECRET: &str = "a55-sandbox-client-secret";
/// Webhook signing secret.
pub const WEBHOOK_SECRET: &str = "a55-sandbox-webhook-secret";
/// The wallet that exists (the seed's).
pub const WALLET: &str = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
