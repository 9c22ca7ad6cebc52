//! KillB's `x-signature-sha256`, in the two readings the public material gives.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Which reading of `x-signature-sha256` the sandbox signs with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum KillbSignature {
    /// (a) the docs: lowercase hex HMAC-SHA256(secret, raw body).
    #[default]
    HmacSha256,
    /// (b) the official SDK: lowercase hex SHA-256(raw body + "_" + secret).
    Sha256Underscore,
}

/// The header value for `body` under `scheme`.
pub fn killb_signature(scheme: KillbSignature, secret: &str, body: &[u8]) -> String {
    match scheme {
        KillbSignature::HmacSha256 => {
            // HMAC accepts keys of any length, so this cannot fail.
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        KillbSignature::Sha256Underscore => {
            let mut hasher = Sha256::new();
            hasher.update(body);
            hasher.update(b"_");
            hasher.update(secret.as_bytes());
            hex::encode(hasher.finalize())
        }
    }
}
