//! Signature helpers against vectors computed outside this code, with coreutils and OpenSSL:
//!
//! ```sh
//! B='{"amount":60000,"mchOrderNo":"ORD-1"}'
//! printf '%s' "${B}cashy-co-sandbox-key" | md5sum                          # Cashy (then uppercase)
//! printf '%s' "$B" | openssl dgst -sha256 -hmac killb-secret              # KillB reading (a)
//! printf '%s' "${B}_killb-secret" | sha256sum                             # KillB reading (b)
//! printf '%s' "1732000000.${B}" | openssl dgst -sha256 -hmac a55-secret   # A55
//! printf '%s' '{"a":1}KEY' | md5sum
//! ```

use giro_sandbox::a55::a55_signature;
use giro_sandbox::cashy::cashy_sign;
use giro_sandbox::killb::{KillbSignature, killb_signature};

const BODY: &[u8] = br#"{"amount":60000,"mchOrderNo":"ORD-1"}"#;

#[test]
fn cashy_sign_is_uppercase_md5_of_body_and_key() {
    assert_eq!(
        cashy_sign(BODY, "cashy-co-sandbox-key"),
        "05D95432A43C7226C5E8E4E15438F267"
    );
    assert_eq!(
        cashy_sign(br#"{"a":1}"#, "KEY"),
        "8FD8E4E4EC44360361290CA3F32D5019"
    );
}

#[test]
fn killb_reading_a_is_hmac_sha256_hex() {
    assert_eq!(
        killb_signature(KillbSignature::HmacSha256, "killb-secret", BODY),
        "2c0b5d3fb35a59c9b18b938c31ae92a1f4dca79f663876c97272e7252006bbf9"
    );
}

#[test]
fn killb_reading_b_is_sha256_of_body_underscore_secret() {
    assert_eq!(
        killb_signature(KillbSignature::Sha256Underscore, "killb-secret", BODY),
        "7ce37286a88f291d6f58cca52d4659788bb64b33a1f506d47bd95a0c9341fbaa"
    );
}

#[test]
fn a55_signature_covers_timestamp_dot_body() {
    assert_eq!(
        a55_signature("a55-secret", 1_732_000_000, BODY),
        "23614e2996f620f594895f3be95e6f0543b890bb042f4d529fdff9f6d27c49e6"
    );
}
