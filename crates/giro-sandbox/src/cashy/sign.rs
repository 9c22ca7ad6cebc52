//! Cashy's `Sign`: 32 uppercase hex characters of MD5(raw JSON body bytes + apiKey).

use md5::{Digest, Md5};

/// The `Sign` header for `body` under `api_key`, for requests and callbacks alike.
pub fn cashy_sign(body: &[u8], api_key: &str) -> String {
    let mut hasher = Md5::new();
    hasher.update(body);
    hasher.update(api_key.as_bytes());
    hex::encode_upper(hasher.finalize())
}
