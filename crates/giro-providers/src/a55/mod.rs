//! A55: charges (pay-ins) through one endpoint for every method (seed 003, PROVIDERS.md §3).
//!
//! Not a payout provider: [`A55Client`] offers the charge operations (create, read, capture,
//! refund, cancel) as typed calls and is the [`crate::ChargeProvider`] the charge executor drives. The submission handle is sent as
//! `reference_external_id`; A55 has no idempotency key, so a creation whose answer was lost is
//! recognised by its webhook, never resent blindly.
//!
//! # `installment_value` is the charge's total
//!
//! Seed 003 contradicts itself: its field table calls `installment_value` "the amount of each
//! installment", while its example sends `installment_value: 150.00` with `installment_count: 3`
//! and gets back `local_currency: 150.00` with three installments of 50.00. The example is the
//! tie breaker: Giro sends the charge's total as `installment_value` and A55 splits it. The
//! domain (`ChargeRequested::total`), this client and the sandbox share that one reading: the
//! charge's amount, the amount a report must show as charged, and the refund ceiling are all the
//! total, never value × count. The other reading is refused, never paid:
//!
//! - a report (answer, poll or webhook) that shows the payer authorised or charged a
//!   `local_currency` other than the total (A55 read the value per installment) carries that
//!   amount ([`wire::Charge::report`]), and the domain does not record the charge as paid: one
//!   A55 still has fails with `amount_mismatch`, naming `local_currency`, and every such report
//!   is a `charge.discrepancy` (an exception for a person);
//! - a charge command with a per-installment field (`installment_value`, `installment_amount`) is
//!   refused naming it;
//! - a total that does not split into `installment_count` equal installments at the currency's
//!   precision at A55 (2 places, none for CLP and COP) is refused naming `installment_count`, by
//!   intake and again here before sending: A55 documents no rule for the remainder, and Giro does
//!   not let a provider round an amount (`150.00` in 3 is accepted, `100.00` in 3 is not).

//!
//! # Choices where the page is silent or ambiguous
//!
//! - **Capture** (public docs): `POST …/charge/capture/ {charge_uuid, wallet_uuid, amount?}` on a
//!   `pre_captured` charge; A55's answer is the charge, `confirmed` at the amount captured. Each
//!   attempt is claimed in Giro's log before it is sent; one whose answer was lost is resolved by
//!   reading the charge (still `pre_captured`: not done, the next attempt goes), never resent
//!   blindly. An authorisation never captured is not expired by Giro: it stays `authorized` until
//!   A55 reports it `canceled` (the issuer's hold lapsed), then `cancelled`.
//! - **Methods**: the page counts 11 but names six (`credit_card`, `debit_card`, `pix`, `boleto`,
//!   `applepay`, `googlepay`); no public A55 document found names the other five, so Giro sends
//!   only those six and refuses any other `method` naming the field (A55's own answer to an
//!   unknown one is `INVALID_TYPE_CHARGE`, a final refusal).
//! - **Wallet tokens**: the page says "pass the token data" without a field name; Giro sends the
//!   Apple Pay / Google Pay token object as `wallet_token`, for those two methods only, sealed in
//!   its events and never shown.
//! - **`device_info`** is required by A55 with 3-D Secure only host-to-host; Giro never sends
//!   card data, so it is optional, each of its twelve fields typed as the page types it.
//! - **`installment_count`**: the page states no upper bound and Giro sets none (1 or more).
//! - **Start-up** ([`crate::ProviderSetup`]): a token is obtained with the configured credentials
//!   (a 4xx refuses start-up naming `GIRO_A55_CLIENT_ID` and `GIRO_A55_CLIENT_SECRET`; no answer is
//!   "unavailable"). A55 documents no call that reads a wallet, so `GIRO_A55_WALLET` is checked by
//!   the first charge (`errors.wallet.not_found`, a final refusal naming `wallet_uuid`).
//! - **`errors.unexpected`** on a creation is retried with backoff (A55 creates nothing then); on
//!   an operation on an existing charge it is an unknown outcome, resolved by reading.

pub mod adapter;
mod client;
mod provider;
mod request;
mod setup;
pub mod sign;
pub mod status;
pub mod webhook;
pub mod wire;

use std::time::Duration;

use chrono::{DateTime, Utc};
use giro_domain::Secret;

pub use client::{A55Client, A55Error};
pub use sign::{MAX_AGE, SignatureError, verify_signature};
pub use status::A55Status;

/// How to reach one A55 wallet.
#[derive(Debug, Clone)]
pub struct A55Config {
    /// The API host (`https://core-manager.a55.tech`); `/api/v1/...` is appended.
    pub base_url: String,
    /// The OAuth2 host (`/oauth2/token` is appended); the API host when `None`.
    pub auth_url: Option<String>,
    pub client_id: String,
    pub client_secret: Secret<String>,
    /// OAuth2 scope, `api/readwrite`.
    pub scope: String,
    /// The wallet charges pay into (`wallet_uuid`).
    pub wallet_uuid: String,
    pub merchant_id: String,
    /// Where A55 posts this wallet's charge webhooks (`webhook_url`); the account default if `None`.
    pub webhook_url: Option<String>,
    /// The secret of `X-Webhook-Signature`, for [`A55Client::verify_webhook`].
    pub webhook_secret: Secret<String>,
    /// Bound of one HTTP call, connection included.
    pub timeout: Duration,
}

impl A55Config {
    /// A configuration with scope `api/readwrite`, the API host as OAuth2 host, the account's
    /// default webhook URL and a 30 s time-out.
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Secret<String>,
        wallet_uuid: impl Into<String>,
        merchant_id: impl Into<String>,
        webhook_secret: Secret<String>,
    ) -> Self {
        A55Config {
            base_url: base_url.into(),
            auth_url: None,
            client_id: client_id.into(),
            client_secret,
            scope: "api/readwrite".into(),
            wallet_uuid: wallet_uuid.into(),
            merchant_id: merchant_id.into(),
            webhook_url: None,
            webhook_secret,
            timeout: Duration::from_secs(30),
        }
    }
}

impl A55Client {
    /// Checks a signed webhook against the configured secret (see [`verify_signature`]), with
    /// A55's 300 s limit on the timestamp's age.
    pub fn verify_webhook(
        &self,
        timestamp: &str,
        body: &[u8],
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        let secret = self.config().webhook_secret.expose();
        verify_signature(secret, timestamp, body, signature, now, MAX_AGE)
    }
}
