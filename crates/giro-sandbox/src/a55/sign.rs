//! A55's webhook signature: hex HMAC-SHA256(secret, "<X-Webhook-Timestamp>." + raw body).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The `X-Webhook-Signature` value for `body` sent with `X-Webhook-Timestamp: timestamp`.
pub fn a55_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}
