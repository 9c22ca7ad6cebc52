//! KillB's webhook signature, `x-signature-sha256`. The public material gives two readings and
//! both are accepted: (a) the docs, lowercase hex HMAC-SHA256(secret, raw body); (b) the official
//! SDK, hex SHA-256(raw body + "_" + secret).

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-signature-sha256";

/// Whether `header` signs `body` (the raw bytes received) under `secret` in either reading.
/// Hex case and surrounding spaces are ignored; both readings are always computed and compared
/// in constant time, so the answer's timing says nothing about the signature.
pub fn verify_signature(secret: &str, body: &[u8], header: &str) -> bool {
    let Ok(given) = hex::decode(header.trim()) else {
        return false;
    };
    // Both readings are 32-byte digests; anything else (an empty header included) is not one.
    if given.len() != 32 {
        return false;
    }
    // HMAC takes keys of any length, so this cannot fail; if it ever did, (a) matches nothing.
    let hmac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map(|mut mac| {
            mac.update(body);
            mac.finalize().into_bytes().to_vec()
        })
        .unwrap_or_default();
    let mut sdk = Sha256::new();
    sdk.update(body);
    sdk.update(b"_");
    sdk.update(secret.as_bytes());
    let sdk = sdk.finalize().to_vec();
    bool::from(given.as_slice().ct_eq(&hmac) | given.as_slice().ct_eq(&sdk))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt-1","event":"PAYOUT","action":"UPDATE"}"#;

    #[test]
    fn both_readings_verify_and_nothing_else_does() {
        // echo -n '<body>' | openssl dgst -sha256 -hmac s3cret, and sha256sum of '<body>_s3cret'.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(BODY);
        let a = hex::encode(mac.finalize().into_bytes());
        let b = hex::encode(Sha256::digest([BODY, b"_s3cret"].concat()));
        assert!(verify_signature("s3cret", BODY, &a));
        assert!(verify_signature("s3cret", BODY, &b));
        assert!(verify_signature("s3cret", BODY, &a.to_uppercase()));
        assert!(!verify_signature("other", BODY, &a));
        assert!(!verify_signature("s3cret", b"{}", &b));
        assert!(!verify_signature("s3cret", BODY, "not hex"));
        assert!(!verify_signature("s3cret", BODY, ""));
        assert!(!verify_signature("s3cret", BODY, &a[..32]));
    }
}
