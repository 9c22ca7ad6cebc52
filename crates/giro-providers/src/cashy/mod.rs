//! Cashy: payout gateway for Colombia (COP bank accounts and e-wallets, seed 001) and Tanzania
//! (TZS mobile wallets, seed 004), PROVIDERS.md §2. One client per merchant, i.e. per country.
//!
//! The submission handle is the `mchOrderNo`. Cashy refuses a `mchOrderNo` it has seen instead of
//! returning the original order, so that refusal is an unknown outcome (the original may exist)
//! which a `payOutQuery` by `mchOrderNo` resolves.
//!
//! Choices where the pages are ambiguous or silent (also in `crates/giro-sandbox/README.md`):
//! - `notifyUrl` is `GIRO_INGRESS_PUBLIC_URL/webhooks/cashy` and must be http(s) on a host name:
//!   an IP address (or the bare name `localhost`) stops start-up ([`setup`]), naming
//!   `GIRO_INGRESS_PUBLIC_URL`. Development uses `http://giro.localhost:<port>`, which the sandbox
//!   resolves without DNS.
//! - Each merchant has its own base URL (`GIRO_CASHY_CO_URL`, `GIRO_CASHY_TZ_URL`, falling back to
//!   `GIRO_CASHY_URL`): the two pages each say `baseUrl` without saying it is the same.
//! - Start-up ([`CashySetup`]): `getBalance` proves merchant and key, `bankListQuery` is read
//!   again and replaces the list held. Before the first read (a set-up Cashy could not answer),
//!   the first payout that needs the list reads it; a Colombian payout whose list cannot be read
//!   is refused retryably, never sent without its `bankId`.
//! - Tanzania's `bankId`: seed 004's table omits it and its example sends it. Giro sends the
//!   operator's id when it knows one (`GIRO_CASHY_TZ_BANK_IDS`, else the list), and none
//!   otherwise.
//! - `remark` is the configured text with Spanish accents removed and other non-ASCII dropped, at
//!   most 32 characters; `accountName` is clipped to 32 (CO) / 64 (TZ), optional `phone`/`email`
//!   longer than their columns (32; email 64 in TZ) are left out, a required account number or
//!   document longer than 32 is refused before sending.
//! - Queries send `mchOrderNo` always and `orderNo` when known (preferred by the pages).
//! - Amounts and fees are read as JSON numbers or strings, `fee` may be null, `completionTime`
//!   (`yyyy-MM-dd HH:mm:ss`, zone unstated) is kept as written.
//! - Callbacks: `MerchantId` picks the merchant, `Sign` is verified over the raw bytes; a body
//!   `merchantId` differing from the header is logged, not refused (seed 004's own example
//!   differs). The answer is `SUCCESS` (CO) or `{"status":"SUCCESS"}` (TZ) with HTTP 200.
//!   Reversals (SUCCESS→FAIL, FAIL→SUCCESS) are reports of their own status, applied by the
//!   payout's decider.

pub mod adapter;
mod client;
pub mod setup;
pub mod sign;
pub mod status;
pub mod webhook;
pub mod wire;

use std::time::Duration;

use giro_domain::rail::{PayoutBeneficiary, TzOperator};
use giro_domain::{Currency, Secret};
use rust_decimal::Decimal;

pub use client::{CashyClient, CashyError};
pub use setup::{CashySetup, SetupNames, notify_url_problem};
pub use sign::{sign, verify_sign};
pub use status::CashyStatus;

use crate::capability::{
    BoxFuture, Lookup, PayoutOrder, PayoutProvider, Refusal, RefusalKind, Submission,
};
use wire::{OrderData, PayOutData, PayOutRequest};

/// Cashy's refusal of a `mchOrderNo` it already has (and of a malformed one; Giro's handles are
/// always well formed, so for Giro it means a duplicate).
const DUPLICATE_ORDER: &str = "Params_mchOrderNo_error";
/// `payOutQuery`'s answer for an order it does not have.
const UNKNOWN_ORDER: [&str; 2] = ["Params_orderNo_error", "Params_mchOrderNo_error"];

/// The country of a Cashy merchant: its currency, rules and callback acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CashyCountry {
    /// Colombia: COP, bank accounts and e-wallets.
    Co,
    /// Tanzania: TZS, mobile wallets.
    Tz,
}

impl CashyCountry {
    /// The currency the merchant pays in.
    pub fn currency(self) -> Currency {
        match self {
            CashyCountry::Co => Currency::COP,
            CashyCountry::Tz => Currency::TZS,
        }
    }

    /// The body that acknowledges a callback with HTTP 200, in each seed's form: `SUCCESS`
    /// (seed 001) and `{"status":"SUCCESS"}` (seed 004).
    pub fn callback_ack(self) -> &'static str {
        match self {
            CashyCountry::Co => "SUCCESS",
            CashyCountry::Tz => r#"{"status":"SUCCESS"}"#,
        }
    }
}

/// How to reach one Cashy merchant.
#[derive(Debug, Clone)]
pub struct CashyConfig {
    /// The gateway's `baseUrl`; `/api/...` is appended.
    pub base_url: String,
    /// The numeric `MerchantId`.
    pub merchant_id: String,
    /// The key appended to bodies before hashing them into `Sign` (and that signs callbacks).
    pub api_key: Secret<String>,
    pub country: CashyCountry,
    /// Where Cashy posts results (`notifyUrl`): http(s) on a public domain name.
    pub notify_url: String,
    /// Order remark: ASCII, at most 32 characters (other characters are dropped).
    pub remark: String,
    /// Bound of one HTTP call, connection included.
    pub timeout: Duration,
    /// The provider instance this merchant is (`cashy-co`, `cashy-tz`): the `provider` label of
    /// its calls' metrics, so that the two merchants' calls are told apart.
    pub instance: String,
    /// Tanzania: the `bankId` of each operator, when configured (`GIRO_CASHY_TZ_BANK_IDS`);
    /// otherwise it is read from `bankListQuery`.
    pub tz_bank_ids: Vec<(TzOperator, i64)>,
}

impl CashyConfig {
    /// A configuration with the remark `giro payout` and a 30 s time-out.
    pub fn new(
        base_url: impl Into<String>,
        merchant_id: impl Into<String>,
        api_key: Secret<String>,
        country: CashyCountry,
        notify_url: impl Into<String>,
    ) -> Self {
        CashyConfig {
            base_url: base_url.into(),
            merchant_id: merchant_id.into(),
            api_key,
            country,
            notify_url: notify_url.into(),
            remark: "giro payout".into(),
            timeout: Duration::from_secs(30),
            instance: match country {
                CashyCountry::Co => "cashy-co",
                CashyCountry::Tz => "cashy-tz",
            }
            .into(),
            tz_bank_ids: Vec::new(),
        }
    }
}

/// Cashy's refusal of a payout its merchant balance cannot cover.
const BALANCE_SHORT: &str = "Balance_not_enough";

fn refused(code: &str, message: String, kind: RefusalKind) -> Submission {
    Submission::Refused(Refusal::new(kind, code, message))
}

/// Cashy's refusal `msg` in its envelope, judged: a short balance waits for funds, anything else
/// is final.
fn judged(msg: String, message: String) -> Submission {
    let kind = if msg == BALANCE_SHORT {
        RefusalKind::InsufficientFunds
    } else {
        RefusalKind::Final
    };
    refused(&msg, message, kind)
}

/// Cashy is busy or in maintenance: "come back later", with its wait.
fn busy(msg: String, message: String, retry_after: std::time::Duration) -> Submission {
    refused(&msg, message, RefusalKind::ComeBackAfter(Some(retry_after)))
}

impl CashyClient {
    /// Whether `header` (`Sign`) signs a callback `body` under the merchant's key.
    pub fn verify_callback(&self, body: &[u8], header: &str) -> bool {
        verify_sign(body, self.config().api_key.expose(), header)
    }

    async fn submit_payout(&self, order: PayoutOrder<'_>) -> Submission {
        let config = self.config();
        let bank_id = match (config.country, &order.request.beneficiary) {
            (CashyCountry::Co, PayoutBeneficiary::CoBank(account)) => {
                match self.bank_id(&account.bank_code).await {
                    Ok(Some(id)) => Some(id),
                    Ok(None) => {
                        let message =
                            format!("Cashy lists no bank with code {}", account.bank_code);
                        return refused("bank_not_supported", message, RefusalKind::Final);
                    }
                    Err(e) => return bank_list_failure(e),
                }
            }
            (CashyCountry::Tz, PayoutBeneficiary::TzMobile(wallet)) => {
                self.tz_bank_id(wallet.operator).await
            }
            _ => None,
        };
        let body = match PayOutRequest::new(config, order, bank_id, client::nonce()) {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(order_id = %order.id, error = %e, "payout cannot be sent to Cashy");
                return refused("unsupported_beneficiary", e.to_string(), RefusalKind::Final);
            }
        };
        tracing::debug!(
            order_id = %order.id, handle = order.handle,
            beneficiary = %order.request.beneficiary.masked(), "submitting payout to Cashy"
        );
        let submission = submission(order.handle, self.pay_out(&body).await);
        match &submission {
            Submission::Accepted {
                provider_ref,
                raw_status,
                ..
            } => tracing::info!(
                order_id = %order.id, handle = order.handle,
                provider_ref = provider_ref.as_deref().unwrap_or_default(), %raw_status,
                "Cashy accepted the payout"
            ),
            other => tracing::warn!(order_id = %order.id, handle = order.handle, outcome = ?other,
                "Cashy did not accept the payout"),
        }
        submission
    }
}

/// The payout was not sent because the bank list could not be read. A refusal in Cashy's envelope
/// (`Sign_verify_error`, …) is final, as it would be for the payout itself.
fn bank_list_failure(e: CashyError) -> Submission {
    match e {
        CashyError::Refused { msg } => {
            let message = format!("Cashy refused the bank list query: {msg}");
            refused(&msg, message, RefusalKind::Final)
        }
        CashyError::Busy { msg, retry_after } => {
            let message = format!("Cashy is not taking requests now ({msg})");
            busy(msg, message, retry_after)
        }
        other => refused(
            "bank_list_unavailable",
            other.to_string(),
            RefusalKind::Retryable,
        ),
    }
}

/// What a `payOut` call came to.
fn submission(handle: &str, result: Result<PayOutData, CashyError>) -> Submission {
    match result {
        Ok(data) => Submission::Accepted {
            report: (!CashyStatus::parse(&data.order_status).is_initial())
                .then(|| Box::new(data.report())),
            provider_ref: Some(data.order_no),
            raw_status: data.order_status,
        },
        Err(CashyError::Refused { msg }) if msg == DUPLICATE_ORDER => {
            Submission::Refused(Refusal::unknown(format!(
                "Cashy refused mchOrderNo {handle} as already used ({msg}): the original order may exist"
            )))
        }
        Err(CashyError::Refused { msg }) => {
            let message = format!("Cashy refused the payout: {msg}");
            judged(msg, message)
        }
        Err(CashyError::Busy { msg, retry_after }) => {
            let message = format!("Cashy is not taking payouts now ({msg})");
            busy(msg, message, retry_after)
        }
        Err(e) if e.may_have_happened() => Submission::Refused(Refusal::unknown(e.to_string())),
        // Not sent, or an HTTP error outside Cashy's envelope: the payout itself was not judged.
        Err(e @ CashyError::Http { status: 429, .. }) => {
            refused("http_429", e.to_string(), RefusalKind::ComeBackAfter(None))
        }
        Err(e @ CashyError::Http { status, .. }) => refused(
            &format!("http_{status}"),
            e.to_string(),
            RefusalKind::Retryable,
        ),
        Err(e) => refused("not_sent", e.to_string(), RefusalKind::Retryable),
    }
}

/// What a `payOutQuery` call came to.
fn lookup(result: Result<OrderData, CashyError>) -> Lookup {
    match result {
        Ok(data) => Lookup::Found(data.report()),
        Err(CashyError::Refused { msg }) if UNKNOWN_ORDER.contains(&msg.as_str()) => {
            Lookup::NotFound
        }
        Err(CashyError::Busy { msg, retry_after }) => Lookup::Failed {
            reason: format!("Cashy is not taking queries now ({msg})"),
            retry_after: Some(retry_after),
        },
        Err(e) => Lookup::Failed {
            reason: e.to_string(),
            retry_after: None,
        },
    }
}

impl PayoutProvider for CashyClient {
    fn submit<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Submission> {
        Box::pin(self.submit_payout(order))
    }

    fn lookup<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Lookup> {
        Box::pin(async move { lookup(self.query(order.handle, order.provider_ref).await) })
    }

    /// Cashy pays from the merchant's own balance (`getBalance`), which Giro reads for the
    /// treasury view but does not reserve against (the instance is not pre-funded). A merchant
    /// holds its country's currency only.
    fn balance<'a>(&'a self, currency: Currency) -> BoxFuture<'a, Option<Result<Decimal, String>>> {
        Box::pin(async move {
            if currency != self.config().country.currency() {
                return None;
            }
            Some(
                self.get_balance()
                    .await
                    .map(|b| b.balance)
                    .map_err(|e| e.to_string()),
            )
        })
    }
}
