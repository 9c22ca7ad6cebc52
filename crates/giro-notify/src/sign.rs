//! The webhook signature (CONTRACT.md §4, "Webhooks out"): HMAC-SHA256, keyed with the
//! subscription's secret, over `<unix timestamp>.<raw body>`, sent as
//! `Giro-Signature: t=<unix timestamp>,v1=<lowercase hex>`. The timestamp is signed so a receiver
//! can refuse an old message replayed by someone else.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The `Giro-Signature` header's value for `body` sent at `timestamp` (Unix seconds).
pub fn signature_header(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        unreachable!("HMAC-SHA256 accepts keys of every length")
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_timestamp_and_the_body() {
        let header = signature_header(b"Jefe", 0, b"what do ya want for nothing?");
        let (t, v1) = header.split_once(",v1=").unwrap();
        assert_eq!(t, "t=0");
        assert_eq!(v1.len(), 64);
        assert_ne!(
            header,
            signature_header(b"Jefe", 1, b"what do ya want for nothing?")
        );
        assert_ne!(
            header,
            signature_header(b"Jefe", 0, b"what do ya want for nothing!")
        );
        assert_ne!(
            header,
            signature_header(b"Jeff", 0, b"what do ya want for nothing?")
        );
    }
}
