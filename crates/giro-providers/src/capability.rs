//! The one shape every provider module has (STYLE.md: one folder per provider, one trait).
//! The runtime only ever sees these types; wire formats, signing and status mapping stay inside
//! each provider's folder.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use giro_domain::bank_lists::BankCodes;
use giro_domain::beneficiary::{AccountChanges, BeneficiaryRegistered, BeneficiaryStatus};
use giro_domain::charge::{ChargeReport, ChargeRequested, PaymentDetails};
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

/// Why a provider did not take (or may not have taken) a request, as the one kind the executor
/// acts on, with the provider's own code and reason. Each provider module maps every wire error
/// to exactly one kind; nothing outside the provider's folder reads a provider's codes or text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    /// The provider's code (or Giro's, when the request never reached it: `not_sent`).
    pub code: String,
    /// The provider's reason, for people.
    pub message: String,
}

/// What a refusal means for the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Judged and refused for good (validation, compliance): another attempt cannot succeed.
    Final,
    /// Certainly not taken, and a later attempt may succeed (not sent, a 5xx before processing).
    Retryable,
    /// Certainly not taken: the provider asked to come back later (busy, maintenance, rate
    /// limited), after this long when it said.
    ComeBackAfter(Option<Duration>),
    /// Certainly not taken: the balance the provider pays from is short; wait for funds.
    InsufficientFunds,
    /// It may or may not have reached the provider (time-out, dropped connection, 5xx after
    /// sending, a duplicate-handle refusal): only a lookup may resolve it, never a blind resend.
    OutcomeUnknown,
}

impl Refusal {
    pub fn new(kind: RefusalKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Refusal {
            kind,
            code: code.into(),
            message: message.into(),
        }
    }

    /// An outcome that only a lookup may resolve.
    pub fn unknown(reason: impl Into<String>) -> Self {
        Refusal::new(RefusalKind::OutcomeUnknown, "outcome_unknown", reason)
    }
}

/// What a submission attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Submission {
    /// The provider has the payout.
    Accepted {
        provider_ref: Option<String>,
        raw_status: String,
        /// The status in the response, when it already says more than "received" (boxed: a
        /// report is large beside a refusal).
        report: Option<Box<ProviderReport>>,
    },
    /// The provider did not take it, or may not have (see [`RefusalKind`]).
    Refused(Refusal),
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

    /// The balance payouts in `currency` are paid from, for providers with a balance API (KillB's
    /// pre-fund, Cashy's merchant balance); `None` for those without one. Only pre-funded
    /// instances reserve against it; every reading feeds the treasury view.
    fn balance<'a>(&'a self, currency: Currency) -> BoxFuture<'a, Option<Result<Decimal, String>>>;
}

/// The charge as a provider needs it: its current attempt's handle (A55 `reference_external_id`)
/// and the provider's id of it once known.
#[derive(Debug, Clone, Copy)]
pub struct ChargeOrder<'a> {
    pub id: OrderId,
    pub handle: &'a str,
    pub request: &'a ChargeRequested,
    pub charge_uuid: Option<&'a str>,
}

/// A charge as the provider shows it: how the payer pays, and its status as a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargeView {
    pub charge_uuid: String,
    pub raw_status: String,
    pub payment: PaymentDetails,
    pub report: ChargeReport,
}

/// What a charge creation came to. As for payouts, an unknown outcome is resolved by asking the
/// provider (or, when its id is not known, by its webhook), never by sending again.
#[derive(Debug, Clone, PartialEq)]
pub enum ChargeSubmission {
    Accepted(Box<ChargeView>),
    Refused(Refusal),
}

/// What an operation on an existing charge (cancel, refund, read) came to.
#[derive(Debug, Clone, PartialEq)]
pub enum ChargeOperation {
    /// Done (or read): the charge as the provider now has it.
    Done(Box<ChargeView>),
    /// Not done: refused for good (`not cancellable`, `not refundable`, not found), certainly not
    /// done and worth trying again (retryable, come back later), or perhaps done (unknown: read
    /// the charge before trying again).
    Refused(Refusal),
}

/// A charge (pay-in) provider (A55). Cheap to share and safe to call concurrently.
pub trait ChargeProvider: Send + Sync {
    /// Creates the charge under `order.handle`.
    fn create<'a>(&'a self, order: ChargeOrder<'a>) -> BoxFuture<'a, ChargeSubmission>;
    /// Reads the charge by the provider's id.
    fn read<'a>(&'a self, charge_uuid: &'a str) -> BoxFuture<'a, ChargeOperation>;
    /// Cancels a charge the payer has not paid.
    fn cancel<'a>(&'a self, charge_uuid: &'a str) -> BoxFuture<'a, ChargeOperation>;
    /// Captures an authorised charge: `amount` of it, all of it when `None`.
    fn capture<'a>(
        &'a self,
        charge_uuid: &'a str,
        amount: Option<Decimal>,
    ) -> BoxFuture<'a, ChargeOperation>;
    /// Gives `amount` (all that is left when `None`) back to the payer.
    fn refund<'a>(
        &'a self,
        charge_uuid: &'a str,
        amount: Option<Decimal>,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, ChargeOperation>;
}

/// What the provider says of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountAnswer {
    /// The provider has the account, in this status.
    Account {
        provider_ref: String,
        status: BeneficiaryStatus,
    },
    /// The provider looked at the account and refused it (a validation Giro's own missed).
    Refused { reason: String },
    /// The provider could not be asked now; try again later.
    Failed {
        reason: String,
        retry_after: Option<Duration>,
    },
}

/// A provider that keeps beneficiary accounts (KillB).
pub trait AccountProvider: Send + Sync {
    /// Creates (or finds, by `id` as its external id) the account of `registration`.
    fn create_account<'a>(
        &'a self,
        id: OrderId,
        registration: &'a BeneficiaryRegistered,
    ) -> BoxFuture<'a, AccountAnswer>;

    /// Reads the account the provider knows as `provider_ref`.
    fn read_account<'a>(&'a self, provider_ref: &'a str) -> BoxFuture<'a, AccountAnswer>;

    /// Sends new values of some updatable fields of the account `provider_ref`; the answer is the
    /// account's status afterwards (often PENDING again while the provider verifies it). Sending
    /// the same values again is harmless.
    fn update_account<'a>(
        &'a self,
        provider_ref: &'a str,
        changes: &'a AccountChanges,
    ) -> BoxFuture<'a, AccountAnswer>;

    /// Deletes the account `provider_ref`; `Account` (INACTIVE) when it is deleted. Not
    /// idempotent on every provider: after an unknown outcome, read the account before sending
    /// it again.
    fn delete_account<'a>(&'a self, provider_ref: &'a str) -> BoxFuture<'a, AccountAnswer>;
}

/// Why a provider instance's start-up set-up did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// The provider refused Giro's credentials or configuration (wrong password or key, an
    /// account that does not exist): running would only fail later, so start-up stops here.
    #[error("{0}")]
    Refused(String),
    /// The provider could not be asked now (unreachable, a server error, a time-out): the
    /// set-up is tried again later and the engine starts meanwhile.
    #[error("{0}")]
    Unavailable(String),
}

/// What a person would otherwise set up by hand at a provider before Giro can work with it:
/// registering Giro's webhooks, reading the bank list, checking that the configured accounts
/// exist. It runs when the engine starts and again at every refresh (`GIRO_PROVIDER_SETUP_EVERY`),
/// so it must be idempotent: a webhook already registered is left as it is, a bank list read
/// again replaces the one held.
pub trait ProviderSetup: Send + Sync {
    /// Does the set-up; on success, one line per thing checked or done, for the log.
    fn set_up(&self) -> BoxFuture<'_, Result<Vec<String>, SetupError>>;

    /// The Colombian bank codes the provider listed at the last set-up (KillB's
    /// `GET /api/v2/banks`, Cashy's `bankListQuery`), which the engine publishes for intake to
    /// check payouts and accounts against; `None` before the first list, or for a provider
    /// without one.
    fn bank_codes(&self) -> Option<BankCodes> {
        None
    }
}
