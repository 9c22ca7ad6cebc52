//! A55's webhook signature (newer docs): `X-Webhook-Signature` = hex HMAC-SHA256(secret,
//! `"<X-Webhook-Timestamp>." + raw body`), with timestamps older than 300 s rejected. Older
//! webhooks are unsigned and must be confirmed by reading the charge.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Webhook-Signature";
/// The header carrying the unix time (seconds) the webhook was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Webhook-Timestamp";
/// How old (or how far ahead of this clock) a signed webhook may be.
pub const MAX_AGE: Duration = Duration::from_secs(300);

/// Why a webhook's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("X-Webhook-Timestamp {0:?} is not a unix time in seconds")]
    Timestamp(String),
    #[error("the webhook was signed {age_secs} s away from now; at most {max_secs} s is accepted")]
    Stale { age_secs: u64, max_secs: u64 },
    #[error("X-Webhook-Signature does not sign this body and timestamp")]
    Mismatch,
}

/// Checks a signed webhook: `timestamp` and `header` as received, `body` the raw bytes, `now`
/// this clock. The HMAC is compared in constant time; a timestamp more than `max_age` away from
/// `now` (either way) is refused, so a captured webhook cannot be replayed later.
pub fn verify_signature(
    secret: &str,
    timestamp: &str,
    body: &[u8],
    header: &str,
    now: DateTime<Utc>,
    max_age: Duration,
) -> Result<(), SignatureError> {
    let timestamp = timestamp.trim();
    let signed_at: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::Timestamp(timestamp.to_string()))?;
    let age_secs = now.timestamp().abs_diff(signed_at);
    if age_secs > max_age.as_secs() {
        return Err(SignatureError::Stale {
            age_secs,
            max_secs: max_age.as_secs(),
        });
    }
    let given = hex::decode(header.trim()).map_err(|_| SignatureError::Mismatch)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn fresh_signed_webhooks_pass_the_rest_do_not() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let body = br#"{"charge_uuid":"c1","status":"paid"}"#;
        let good = signature("s", "1700000000", body);
        assert_eq!(
            verify_signature("s", "1700000000", body, &good, now, MAX_AGE),
            Ok(())
        );
        let late = now + chrono::Duration::seconds(301);
        assert!(matches!(
            verify_signature("s", "1700000000", body, &good, late, MAX_AGE),
            Err(SignatureError::Stale { age_secs: 301, .. })
        ));
        let early = now - chrono::Duration::seconds(301);
        assert!(verify_signature("s", "1700000000", body, &good, early, MAX_AGE).is_err());
        assert_eq!(
            verify_signature("s", "1700000001", body, &good, now, MAX_AGE),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("x", "1700000000", body, &good, now, MAX_AGE),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify_signature("s", "soon", body, &good, now, MAX_AGE),
            Err(SignatureError::Timestamp(_))
        ));
        assert_eq!(
            verify_signature("s", "1700000000", body, "zz", now, MAX_AGE),
            Err(SignatureError::Mismatch)
        );
    }
}
