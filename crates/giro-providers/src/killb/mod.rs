//! KillB: payouts from a pre-funded account (seeds 000 and 002, PROVIDERS.md §1).
//!
//! The submission handle is both the `Idempotency-Key` header and the `externalId`, so a resend
//! under the same handle returns the original payout and a lost answer is found again by
//! `GET /api/v2/payouts?externalId=<handle>` (every page of it: `page`, `limit`, `totalPage`).
//!
//! Administrative actions ([`admin`], `giro provider killb <action>`): `prefund-create`.
//!
//! Set-up ([`setup`]) checks the credentials and `GIRO_KILLB_PREFUND_ACCOUNT` against the balances,
//! reads the bank list and registers the PAYOUT + ACCOUNT webhook once. Where the pages are
//! ambiguous (also in `crates/giro-sandbox/README.md`, KillB section):
//! - a company beneficiary (`companyName`) is sent with `lastName` when Giro has one and without
//!   otherwise: page 000's "firstName or companyName, lastName" reads both ways;
//! - every account is linked to a user (seed 002): the registration's `user_id`, else
//!   `GIRO_KILLB_USER_ID`; KillB refusing a holder who is not the user makes the beneficiary
//!   REJECTED with KillB's reason;
//! - accounts are read through the documented search (`?ids=`), not `GET /api/v2/accounts/{id}`;
//! - `giro.cmd.beneficiary.update` is sent as `PATCH /api/v2/accounts/{id}` with Giro's
//!   snake_case fields in KillB's camelCase (`account_number` → `accountNumber`, `clabe_type` →
//!   `clabeType`, bank codes in KillB's list form); the status KillB answers (often PENDING) is
//!   recorded. `giro.cmd.beneficiary.remove` is `DELETE /api/v2/accounts/{id}`, sent only after a
//!   read shows the account still there: an account INACTIVE or no longer listed counts as
//!   deleted (the page does not say whether a deleted account stays listed);
//! - PSE bank codes are checked against the list last read at set-up, which the engine also
//!   publishes for intake; before the first read, against Giro's own list
//!   (`giro_domain::co_banks::CO_BANKS`);
//! - the webhook is registered when `GET /api/v2/webhooks` lists none at Giro's URL for both
//!   events; where KillB has no such list, once per process.

pub mod adapter;
pub mod admin;
mod api;
mod client;
pub mod setup;
pub mod sign;
pub mod status;
pub mod webhook;
pub mod wire;

use std::time::Duration;

use giro_domain::payout::ReportSource;
use giro_domain::{Currency, Secret};
use rust_decimal::Decimal;

pub use client::{KillbClient, KillbError};
pub use setup::KillbSetup;
pub use sign::verify_signature;
pub use status::KillbStatus;

use crate::capability::{
    BoxFuture, Lookup, PayoutOrder, PayoutProvider, Refusal, RefusalKind, Submission,
};
use crate::ratelimit::RateLimit;
use wire::{CreatePayout, Payout};

/// KillB's production rate limit (public docs): 50 requests a second, bursts of 100.
pub const PRODUCTION_RATE: RateLimit = RateLimit {
    per_second: 50,
    burst: 100,
};

/// KillB's sandbox rate limit (public docs): 100 requests a second, bursts of 200.
pub const SANDBOX_RATE: RateLimit = RateLimit {
    per_second: 100,
    burst: 200,
};

/// The user accounts are linked to by default: the KillB sandbox's umbrella user.
pub const DEFAULT_USER_ID: &str = "user-giro-sandbox";

/// How to reach one KillB account.
#[derive(Debug, Clone)]
pub struct KillbConfig {
    /// `https://sandbox.killb.app` or the production host; `/api/v2/...` is appended.
    pub base_url: String,
    pub email: String,
    pub password: Secret<String>,
    /// Sent as `x-api-key` when set (the official SDK sends it).
    pub api_key: Option<Secret<String>>,
    /// The pre-fund account payouts are paid from (`preFundAccountId`, `accountId` in balances).
    pub pre_fund_account_id: String,
    /// The secret of the PAYOUT webhook, for [`KillbClient::verify_webhook`] and its registration.
    pub webhook_secret: Secret<String>,
    /// Where KillB is told to post PAYOUT and ACCOUNT webhooks (`<ingress>/webhooks/killb`).
    pub webhook_url: String,
    /// The KillB user accounts are linked to when a registration names none (seed 002: every
    /// account is linked to a user).
    pub user_id: String,
    /// Bound of one HTTP call, connection included.
    pub timeout: Duration,
    /// Client-side rate limit; `None` sends as fast as asked.
    pub rate_limit: Option<RateLimit>,
}

impl KillbConfig {
    /// A configuration with KillB's production rate limit and a 30 s time-out.
    pub fn new(
        base_url: impl Into<String>,
        email: impl Into<String>,
        password: Secret<String>,
        pre_fund_account_id: impl Into<String>,
        webhook_secret: Secret<String>,
    ) -> Self {
        KillbConfig {
            base_url: base_url.into(),
            email: email.into(),
            password,
            api_key: None,
            pre_fund_account_id: pre_fund_account_id.into(),
            webhook_secret,
            webhook_url: format!(
                "{}/webhooks/killb",
                crate::settings::DEFAULT_INGRESS_PUBLIC_URL
            ),
            user_id: DEFAULT_USER_ID.to_string(),
            timeout: Duration::from_secs(30),
            rate_limit: Some(PRODUCTION_RATE),
        }
    }
}

impl KillbClient {
    /// Whether `header` (`x-signature-sha256`) signs `body` under the configured webhook secret,
    /// in either of KillB's two readings.
    pub fn verify_webhook(&self, body: &[u8], header: &str) -> bool {
        verify_signature(self.config().webhook_secret.expose(), body, header)
    }

    async fn submit_payout(&self, order: PayoutOrder<'_>) -> Submission {
        let config = self.config();
        let body = match CreatePayout::new(&config.pre_fund_account_id, order.handle, order.request)
        {
            Ok(body) => match body.unknown_bank(|code| self.knows_bank(code)) {
                None => body,
                Some(e) => return final_refusal(&order, &e),
            },
            Err(e) => return final_refusal(&order, &e),
        };
        tracing::debug!(
            order_id = %order.id, handle = order.handle,
            beneficiary = %order.request.beneficiary.masked(), "submitting payout to KillB"
        );
        let result = self.create_payout(order.handle, &body).await;
        let submission = submission(result);
        match &submission {
            Submission::Accepted {
                provider_ref,
                raw_status,
                ..
            } => tracing::info!(
                order_id = %order.id, handle = order.handle,
                provider_ref = provider_ref.as_deref().unwrap_or_default(), %raw_status,
                "KillB accepted the payout"
            ),
            other => tracing::warn!(order_id = %order.id, handle = order.handle, outcome = ?other,
                "KillB did not accept the payout"),
        }
        submission
    }

    async fn lookup_payout(&self, order: PayoutOrder<'_>) -> Lookup {
        let found = match order.provider_ref {
            Some(id) => self.payout(id).await,
            None => match self.payouts_by_external_id(order.handle).await {
                Ok(payouts) => {
                    if payouts.len() > 1 {
                        tracing::warn!(order_id = %order.id, handle = order.handle,
                            count = payouts.len(), "KillB holds several payouts for one handle");
                    }
                    match payouts.into_iter().next() {
                        Some(payout) => Ok(payout),
                        None => return Lookup::NotFound,
                    }
                }
                Err(e) => Err(e),
            },
        };
        lookup(found)
    }

    async fn prefund_balance(&self, currency: Currency) -> Result<Decimal, String> {
        let wanted = &self.config().pre_fund_account_id;
        let balances = self.balances().await.map_err(|e| e.to_string())?;
        let entry = balances
            .into_iter()
            .find(|b| &b.account_id == wanted)
            .ok_or_else(|| format!("KillB lists no balance for pre-fund account {wanted}"))?;
        if !entry.currency.eq_ignore_ascii_case(currency.code()) {
            return Err(format!(
                "pre-fund account {wanted} holds {}, not {currency}",
                entry.currency
            ));
        }
        Ok(entry.amount)
    }
}

/// A payout that cannot be sent to KillB at all.
fn final_refusal(order: &PayoutOrder<'_>, e: &wire::Unsupported) -> Submission {
    tracing::warn!(order_id = %order.id, error = %e, "payout cannot be sent to KillB");
    Submission::Refused(Refusal::new(
        RefusalKind::Final,
        "unsupported_beneficiary",
        e.to_string(),
    ))
}

/// What a create call came to.
fn submission(result: Result<Payout, KillbError>) -> Submission {
    match result {
        Ok(payout) => {
            let status = payout.status();
            Submission::Accepted {
                report: (!status.is_initial())
                    .then(|| Box::new(payout.report(ReportSource::SubmitResponse))),
                provider_ref: Some(payout.id),
                raw_status: payout.status,
            }
        }
        // KillB documents no 409; by the usual Idempotency-Key convention it is a request with the
        // same key still in progress, so the original may exist.
        Err(KillbError::Refused {
            status: 409,
            code,
            message,
        }) => Submission::Refused(Refusal::unknown(format!(
            "KillB reports a conflict ({code}): {message}"
        ))),
        Err(KillbError::Refused { code, message, .. }) => {
            let kind = if code.starts_with(INSUFFICIENT_BALANCE) {
                RefusalKind::InsufficientFunds
            } else {
                RefusalKind::Final
            };
            Submission::Refused(Refusal::new(kind, code, message))
        }
        Err(e) if e.may_have_happened() => Submission::Refused(Refusal::unknown(e.to_string())),
        // Nothing reached KillB's payout endpoint: a later attempt may succeed.
        Err(e) => Submission::Refused(not_taken(&e)),
    }
}

/// KillB's error codes for a pre-fund balance that cannot cover the payout (`BALANCE.0001`).
const INSUFFICIENT_BALANCE: &str = "BALANCE.";

/// A request that never reached KillB's payout endpoint: retryable, or "come back later" when
/// KillB rate-limited it (with `X-RateLimit-Reset`'s wait).
fn not_taken(e: &KillbError) -> Refusal {
    let rate_limited = |inner: &KillbError| matches!(inner, KillbError::RateLimited { .. });
    let code = match e {
        KillbError::RateLimited { .. } => "rate_limited",
        KillbError::Token(inner) if rate_limited(inner) => "rate_limited",
        KillbError::Token(inner) => match **inner {
            KillbError::NotSent(_) | KillbError::Lost(_) => "not_sent",
            _ => "auth_failed",
        },
        KillbError::Auth(_) => "auth_failed",
        _ => "not_sent",
    };
    let kind = match (code, e.retry_after()) {
        ("rate_limited", wait) => RefusalKind::ComeBackAfter(wait),
        (_, Some(wait)) => RefusalKind::ComeBackAfter(Some(wait)),
        _ => RefusalKind::Retryable,
    };
    Refusal::new(kind, code, e.to_string())
}

impl crate::capability::AccountProvider for KillbClient {
    fn create_account<'a>(
        &'a self,
        id: giro_domain::OrderId,
        registration: &'a giro_domain::beneficiary::BeneficiaryRegistered,
    ) -> BoxFuture<'a, crate::capability::AccountAnswer> {
        Box::pin(async move {
            let user = registration
                .user_id
                .as_deref()
                .unwrap_or(&self.config().user_id);
            let body = wire::account_body(&id.to_string(), user, registration);
            if let Some(code) = body.pointer("/data/bankCode").and_then(|c| c.as_str())
                && !self.knows_bank(code)
            {
                return crate::capability::AccountAnswer::Refused {
                    reason: format!(
                        "data.bank_code: {code:?} is not in KillB's bank list (GET /api/v2/banks)"
                    ),
                };
            }
            account_answer(self.post_account(&body).await)
        })
    }

    fn read_account<'a>(
        &'a self,
        provider_ref: &'a str,
    ) -> BoxFuture<'a, crate::capability::AccountAnswer> {
        Box::pin(async move { account_answer(self.account(provider_ref).await) })
    }

    fn update_account<'a>(
        &'a self,
        provider_ref: &'a str,
        changes: &'a giro_domain::beneficiary::AccountChanges,
    ) -> BoxFuture<'a, crate::capability::AccountAnswer> {
        Box::pin(async move {
            let data = wire::account_patch(changes);
            if let Some(code) = data.get("bankCode").and_then(|c| c.as_str())
                && !self.knows_bank(code)
            {
                return crate::capability::AccountAnswer::Refused {
                    reason: format!(
                        "data.bank_code: {code:?} is not in KillB's bank list (GET /api/v2/banks)"
                    ),
                };
            }
            account_answer(KillbClient::update_account(self, provider_ref, &data).await)
        })
    }

    fn delete_account<'a>(
        &'a self,
        provider_ref: &'a str,
    ) -> BoxFuture<'a, crate::capability::AccountAnswer> {
        Box::pin(async move {
            match KillbClient::delete_account(self, provider_ref).await {
                Ok(()) => crate::capability::AccountAnswer::Account {
                    provider_ref: provider_ref.to_string(),
                    status: giro_domain::beneficiary::BeneficiaryStatus::Inactive,
                },
                Err(e) => account_answer(Err(e)),
            }
        })
    }
}

/// What an accounts call came to. A creation is idempotent by `externalId`, so anything but a
/// refusal is simply tried again.
fn account_answer(result: Result<wire::Account, KillbError>) -> crate::capability::AccountAnswer {
    use crate::capability::AccountAnswer;
    match result {
        Ok(account) => match account.beneficiary_status() {
            Some(status) => AccountAnswer::Account {
                provider_ref: account.id,
                status,
            },
            None => AccountAnswer::Failed {
                reason: format!("unknown KillB account status {:?}", account.status),
                retry_after: None,
            },
        },
        Err(KillbError::Refused { code, message, .. }) => AccountAnswer::Refused {
            reason: format!("{code}: {message}"),
        },
        Err(e) => AccountAnswer::Failed {
            retry_after: e.retry_after(),
            reason: e.to_string(),
        },
    }
}

/// What a lookup call came to.
fn lookup(result: Result<Payout, KillbError>) -> Lookup {
    match result {
        Ok(payout) => Lookup::Found(payout.report(ReportSource::Poll)),
        Err(KillbError::Refused { status: 404, .. }) => Lookup::NotFound,
        Err(e) => Lookup::Failed {
            reason: e.to_string(),
            retry_after: e.retry_after(),
        },
    }
}

impl PayoutProvider for KillbClient {
    fn submit<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Submission> {
        Box::pin(self.submit_payout(order))
    }

    fn lookup<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Lookup> {
        Box::pin(self.lookup_payout(order))
    }

    fn balance<'a>(&'a self, currency: Currency) -> BoxFuture<'a, Option<Result<Decimal, String>>> {
        Box::pin(async move { Some(self.prefund_balance(currency).await) })
    }
}
