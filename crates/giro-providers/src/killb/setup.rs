//! KillB's start-up set-up ([`ProviderSetup`]), run at every engine start and refresh:
//!
//! 1. `GET /api/v2/customers/balances`: the credentials work (a 401 is
//!    [`SetupError::Refused`] naming `GIRO_KILLB_EMAIL`, `GIRO_KILLB_PASSWORD`,
//!    `GIRO_KILLB_API_KEY`) and `GIRO_KILLB_PREFUND_ACCOUNT` is one of the pre-fund accounts
//!    (else refused, naming the ones KillB has).
//! 2. `GET /api/v2/banks?countryCode=CO`: the list PSE `bankCode`s are checked against, replaced
//!    at every run. The engine publishes it ([`ProviderSetup::bank_codes`]) for intake, which
//!    checks the bank code of payouts routed to KillB and of beneficiary accounts against it.
//!    Until the first list arrives, Giro's own list of Colombian banks
//!    (`giro_domain::co_banks::CO_BANKS`) stands in, here and at intake.
//! 3. The PAYOUT and ACCOUNT webhook at `<GIRO_INGRESS_PUBLIC_URL>/webhooks/killb`: registered
//!    (`POST /api/v2/webhooks`) only when `GET /api/v2/webhooks` lists none at that URL for both
//!    events, so neither a restart nor a refresh registers it twice. Where KillB does not answer
//!    that list (404 or 405), it is registered once per process.
//!
//! A KillB that cannot be reached (or answers 5xx or 429) is [`SetupError::Unavailable`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use giro_domain::bank_lists::BankCodes;

use super::client::{KillbClient, KillbError};
use super::wire::RegisterWebhook;
use crate::capability::{BoxFuture, ProviderSetup, SetupError};

/// The events Giro's webhook listens to.
pub const WEBHOOK_EVENTS: [&str; 2] = ["PAYOUT", "ACCOUNT"];

/// What set-up learnt, kept by the client.
#[derive(Debug, Default)]
pub struct Learnt {
    banks: RwLock<Option<Arc<BankCodes>>>,
    /// Registered by this process where KillB has no list of registrations.
    registered_blind: AtomicBool,
}

impl Learnt {
    /// The bank codes of the last list read; `None` before the first.
    pub fn banks(&self) -> Option<Arc<BankCodes>> {
        self.banks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_banks(&self, codes: BankCodes) {
        *self.banks.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(codes));
    }
}

/// Why KillB set-up did not work, as the runtime acts on it.
fn setup_error(what: &str, e: KillbError) -> SetupError {
    let refused_credentials = |e: &KillbError| matches!(e, KillbError::Auth(_));
    match &e {
        KillbError::Auth(_) => SetupError::Refused(credentials(what, &e)),
        KillbError::Token(inner) if refused_credentials(inner) => {
            SetupError::Refused(credentials(what, &e))
        }
        KillbError::Token(inner) if matches!(**inner, KillbError::Refused { .. }) => {
            SetupError::Refused(credentials(what, &e))
        }
        KillbError::Refused { .. } => SetupError::Refused(format!("{what}: {e}")),
        _ => SetupError::Unavailable(format!("{what}: {e}")),
    }
}

fn credentials(what: &str, e: &KillbError) -> String {
    format!(
        "{what}: {e}; check GIRO_KILLB_EMAIL, GIRO_KILLB_PASSWORD (or GIRO_KILLB_PASSWORD_FILE) \
         and GIRO_KILLB_API_KEY (or GIRO_KILLB_API_KEY_FILE) against GIRO_KILLB_URL"
    )
}

impl KillbClient {
    /// Whether `code` (a PSE `bankCode` in KillB's form) is valid: in the last bank list read,
    /// or, before the first, in Giro's own list.
    ///
    /// Codes are compared by their number (`giro_domain::co_banks::number`): KillB's pages write
    /// one bank as `001` (page 000) and `0001` (page 002), so a list in either spelling accepts a
    /// code in the other.
    pub fn knows_bank(&self, code: &str) -> bool {
        match self.learnt.banks() {
            Some(codes) => codes.contains(code),
            None => BankCodes::built_in().contains(code),
        }
    }

    /// Set-up step 1: the credentials and the configured pre-fund account.
    async fn check_prefund(&self) -> Result<String, SetupError> {
        let wanted = &self.config().pre_fund_account_id;
        let balances = self
            .balances()
            .await
            .map_err(|e| setup_error("reading the pre-fund balances", e))?;
        match balances.iter().find(|b| &b.account_id == wanted) {
            Some(b) => Ok(format!(
                "pre-fund account {wanted} holds {} {}",
                b.amount, b.currency
            )),
            None => {
                let known: Vec<&str> = balances.iter().map(|b| b.account_id.as_str()).collect();
                Err(SetupError::Refused(format!(
                    "GIRO_KILLB_PREFUND_ACCOUNT={wanted} is not a KillB pre-fund account (KillB \
                     lists: {}); create one (`giro provider killb prefund-create \
                     currency=COP`, i.e. `POST /api/v2/customers/pre-fund/create`) or fix the \
                     variable",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )))
            }
        }
    }

    /// Set-up step 2: the Colombian bank list, replacing the one held.
    pub async fn refresh_banks(&self) -> Result<String, SetupError> {
        let banks = self
            .banks("CO")
            .await
            .map_err(|e| setup_error("reading the bank list", e))?;
        let codes = BankCodes::from_codes(banks.iter().map(|b| b.code.as_str()));
        let line = format!("{} Colombian banks listed", codes.len());
        self.learnt.set_banks(codes);
        Ok(line)
    }

    /// Set-up step 3: Giro's webhook, registered unless KillB already has it.
    pub async fn ensure_webhook(&self) -> Result<String, SetupError> {
        let url = self.config().webhook_url.clone();
        let listed = match self.webhooks().await {
            Ok(hooks) => Some(hooks),
            Err(KillbError::Refused {
                status: 404 | 405, ..
            }) => None,
            Err(e) => return Err(setup_error("listing the webhooks", e)),
        };
        let present = match &listed {
            Some(hooks) => WEBHOOK_EVENTS.iter().all(|event| {
                hooks
                    .iter()
                    .any(|h| h.url == url && h.events.iter().any(|e| e == event))
            }),
            None => self.learnt.registered_blind.load(Ordering::SeqCst),
        };
        if present {
            return Ok(format!("webhook {url} already registered"));
        }
        let body = RegisterWebhook {
            url: &url,
            secret: self.config().webhook_secret.expose(),
            events: &WEBHOOK_EVENTS,
        };
        let hook = self
            .register_webhook(&body)
            .await
            .map_err(|e| setup_error("registering the webhook", e))?;
        if listed.is_none() {
            self.learnt.registered_blind.store(true, Ordering::SeqCst);
        }
        Ok(format!(
            "webhook {url} registered for {} ({})",
            WEBHOOK_EVENTS.join(", "),
            hook.id.unwrap_or_default()
        ))
    }

    /// The whole set-up, in order; the first failure stops it.
    pub async fn set_up(&self) -> Result<Vec<String>, SetupError> {
        Ok(vec![
            self.check_prefund().await?,
            self.refresh_banks().await?,
            self.ensure_webhook().await?,
        ])
    }
}

/// The set-up hook of a shared client.
#[derive(Debug, Clone)]
pub struct KillbSetup(pub Arc<KillbClient>);

impl ProviderSetup for KillbSetup {
    fn set_up(&self) -> BoxFuture<'_, Result<Vec<String>, SetupError>> {
        Box::pin(self.0.set_up())
    }

    fn bank_codes(&self) -> Option<BankCodes> {
        self.0.learnt.banks().map(|codes| (*codes).clone())
    }
}
