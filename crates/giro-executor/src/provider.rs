//! The one shape every provider module has (STYLE.md: one folder per provider, one trait).
//! The runtime only ever sees these types; wire formats, signing and status mapping stay inside
//! each provider's folder.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use giro_domain::payout::{PayoutRequested, ProviderReport};
use giro_domain::{Currency, OrderId};
use rust_decimal::Decimal;

/// A boxed future, so providers can sit behind `dyn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The payout as a provider needs it for one attempt.
#[derive(Debug, Clone, Copy)]
pub struct PayoutOrder<'a> {
    pub id: OrderId,
    /// The attempt's idempotency handle (`SubmissionHandle` string): KillB `Idempotency-Key` and
    /// `externalId`, Cashy `mchOrderNo`. Sending the same handle twice never pays twice.
    pub handle: &'a str,
    pub request: &'a PayoutRequested,
    /// The provider's own id of the payout, once known.
    pub provider_ref: Option<&'a str>,
}

/// What a submission attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Submission {
    /// The provider has the payout.
    Accepted {
        provider_ref: Option<String>,
        raw_status: String,
        /// The status in the response, when it already says more than "received".
        report: Option<ProviderReport>,
    },
    /// The provider certainly did not take it (validation error, busy, rate limited, maintenance).
    Refused {
        code: String,
        message: String,
        /// Whether a later attempt may succeed.
        retryable: bool,
        /// How long the provider asked to wait (e.g. from `X-RateLimit-Reset`).
        retry_after: Option<Duration>,
    },
    /// It may or may not have reached the provider (time-out, dropped connection, 5xx, a
    /// duplicate-handle refusal): only a lookup may resolve it, never a blind resend.
    Unknown { reason: String },
}

/// What a provider says about a payout it was asked about.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// The provider has it; its current status as a report.
    Found(ProviderReport),
    /// The provider has no payout under this handle.
    NotFound,
    /// The provider could not be asked now.
    Failed {
        reason: String,
        retry_after: Option<Duration>,
    },
}

/// A payout provider (KillB, Cashy). Implementations are cheap to share (`Arc`) and safe to call
/// concurrently: token caches, rate limiting and connection pooling are theirs.
pub trait PayoutProvider: Send + Sync {
    /// Creates the payout under `order.handle`.
    fn submit<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Submission>;

    /// Asks for the payout by its handle (and provider reference when known).
    fn lookup<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Lookup>;

    /// The pre-funded balance payouts in `currency` are paid from, for providers that pay from
    /// one (KillB); `None` for providers that do not (Cashy).
    fn balance<'a>(&'a self, currency: Currency) -> BoxFuture<'a, Option<Result<Decimal, String>>>;
}
