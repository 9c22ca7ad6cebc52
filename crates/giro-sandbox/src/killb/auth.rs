//! KillB's login: access tokens that really expire, refresh tokens, and the optional API key.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::errors::KillbError;
use super::wire::TokenOut;
use crate::random::Random;

/// Issued tokens and when each stops working.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    issued: Mutex<Issued>,
}

#[derive(Debug, Default)]
struct Issued {
    access: HashMap<String, Instant>,
    refresh: HashMap<String, Instant>,
}

impl Tokens {
    /// A fresh access/refresh pair.
    pub(crate) fn issue(
        &self,
        random: &Random,
        access_ttl: Duration,
        refresh_ttl: Duration,
    ) -> TokenOut {
        let access = format!("kb_at_{}", random.uuid().simple());
        let refresh = format!("kb_rt_{}", random.uuid().simple());
        let now = Instant::now();
        let mut issued = self.issued.lock().unwrap_or_else(PoisonError::into_inner);
        issued.access.insert(access.clone(), now + access_ttl);
        issued.refresh.insert(refresh.clone(), now + refresh_ttl);
        TokenOut {
            access_token: access,
            expires_in: access_ttl.as_millis(),
            refresh_token: refresh,
        }
    }

    /// Spends a refresh token (each works once).
    pub(crate) fn redeem_refresh(&self, token: &str) -> Result<(), KillbError> {
        let mut issued = self.issued.lock().unwrap_or_else(PoisonError::into_inner);
        match issued.refresh.remove(token) {
            Some(expiry) if Instant::now() < expiry => Ok(()),
            Some(_) => Err(KillbError::unauthorized("Refresh token expired")),
            None => Err(KillbError::unauthorized("Invalid refresh token")),
        }
    }

    /// Checks an `Authorization` header value.
    pub(crate) fn check_bearer(&self, header: Option<&str>) -> Result<(), KillbError> {
        let token = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| KillbError::unauthorized("Missing bearer token"))?;
        let issued = self.issued.lock().unwrap_or_else(PoisonError::into_inner);
        match issued.access.get(token) {
            Some(expiry) if Instant::now() < *expiry => Ok(()),
            Some(_) => Err(KillbError::unauthorized("Token expired")),
            None => Err(KillbError::unauthorized("Invalid token")),
        }
    }
}
