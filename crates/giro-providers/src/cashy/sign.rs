//! Cashy's `Sign`: 32 uppercase hex characters of MD5(raw JSON body bytes + apiKey), with no field
//! sorting. Requests and callbacks are signed the same way, with the same key.

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// The header that carries the signature, on requests and callbacks.
pub const SIGN_HEADER: &str = "Sign";

/// The `Sign` of `body` (the exact bytes sent) under `api_key`.
pub fn sign(body: &[u8], api_key: &str) -> String {
    let mut md5 = Md5::new();
    md5.update(body);
    md5.update(api_key.as_bytes());
    hex::encode_upper(md5.finalize())
}

/// Whether `header` is the `Sign` of `body` (the raw bytes received) under `api_key`, compared in
/// constant time. Hex case and surrounding spaces are ignored.
pub fn verify_sign(body: &[u8], api_key: &str, header: &str) -> bool {
    let expected = sign(body, api_key);
    let given = header.trim().to_ascii_uppercase();
    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"mchOrderNo":"G0abc01","nonceStr":"n1"}"#;

    #[test]
    fn matches_md5sum() {
        // printf '%s' '{"mchOrderNo":"G0abc01","nonceStr":"n1"}cashy-co-sandbox-key' | md5sum
        let expected = "11E2D255F82B1E04187021BF8406C773";
        assert_eq!(sign(BODY, "cashy-co-sandbox-key"), expected);
        assert!(verify_sign(BODY, "cashy-co-sandbox-key", expected));
        assert!(verify_sign(
            BODY,
            "cashy-co-sandbox-key",
            &expected.to_lowercase()
        ));
    }

    #[test]
    fn anything_else_fails() {
        let good = sign(BODY, "k");
        assert!(!verify_sign(BODY, "other", &good));
        assert!(!verify_sign(
            br#"{"mchOrderNo":"G0abc02","nonceStr":"n1"}"#,
            "k",
            &good
        ));
        assert!(!verify_sign(BODY, "k", ""));
        assert!(!verify_sign(BODY, "k", &good[..31]));
    }
}
