//! The merchants `giro sandbox` starts the Cashy simulator with unless told otherwise (the
//! engine's Cashy adapter has the same defaults, so the two work together out of the box).

/// The Colombian `MerchantId`.
pub const CO_MERCHANT: &str = "100001";
/// The Colombian API key.
pub const CO_KEY: &str = "cashy-co-sandbox-key";
/// The Tanzanian `MerchantId`.
pub const TZ_MERCHANT: &str = "1002001";
/// The Tanzanian API key.
pub const TZ_KEY: &str = "cashy-tz-sandbox-key";
