//! A55's start-up set-up ([`ProviderSetup`]): obtain an access token with the configured client
//! credentials, so that wrong ones stop the engine at start-up instead of failing every charge.
//!
//! The wallet (`GIRO_A55_WALLET`) is not checked here: A55 documents no call that reads a wallet,
//! and the only calls that name one either create a charge or act on an existing one. A wallet
//! A55 does not know is refused by the first charge (`errors.wallet.not_found`, a final refusal
//! naming `wallet_uuid`). Obtaining a token changes nothing at A55, so the check is idempotent.

use super::client::{A55Client, A55Error};
use crate::capability::{BoxFuture, ProviderSetup, SetupError};

impl ProviderSetup for A55Client {
    fn set_up(&self) -> BoxFuture<'_, Result<Vec<String>, SetupError>> {
        Box::pin(async move {
            match self.check_credentials().await {
                Ok(()) => Ok(vec![format!(
                    "a55: the client credentials of GIRO_A55_CLIENT_ID {:?} obtain an access token",
                    self.config().client_id
                )]),
                Err(e) => Err(setup_error(&e)),
            }
        })
    }
}

/// Refused when A55 judged the credentials (a 4xx from the token endpoint), unavailable when it
/// could not be asked.
fn setup_error(e: &A55Error) -> SetupError {
    match e {
        A55Error::Auth(_) | A55Error::Refused { .. } | A55Error::Invalid(_) => {
            SetupError::Refused(format!(
                "a55 refused the client credentials (GIRO_A55_CLIENT_ID, GIRO_A55_CLIENT_SECRET): {e}"
            ))
        }
        A55Error::NotSent(_)
        | A55Error::Token(_)
        | A55Error::RateLimited { .. }
        | A55Error::Lost(_)
        | A55Error::Server { .. }
        | A55Error::Malformed { .. } => SetupError::Unavailable(format!(
            "a55 could not be asked for an access token (GIRO_A55_URL, GIRO_A55_AUTH_URL): {e}"
        )),
    }
}
