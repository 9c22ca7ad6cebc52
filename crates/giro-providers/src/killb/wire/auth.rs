//! Logging in and refreshing the session: the token requests and KillB's answer, whose `Debug`
//! masks the tokens.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::json;

/// `POST /api/v2/auth/login`.
#[derive(Serialize)]
pub struct LoginRequest<'a> {
    pub email: &'a str,
    pub password: &'a str,
}

/// `POST /api/v2/auth/refresh`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest<'a> {
    pub refresh_token: &'a str,
}

/// The answer to login and refresh. `expiresIn` is in **milliseconds**. Its `Debug` masks both
/// tokens.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub expires_in: Option<Decimal>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"***")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .finish()
    }
}
