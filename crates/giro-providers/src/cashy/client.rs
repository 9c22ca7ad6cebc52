//! Cashy over HTTP: every call is a signed JSON POST answered with `{code, msg, data}`; answers are
//! sorted by what they prove about the request. The bank list is cached.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use giro_domain::bank_lists::BankCodes;
use giro_domain::rail::TzOperator;
use rand::RngExt;
use rand::distr::Alphanumeric;
use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::sign::{SIGN_HEADER, sign};
use super::wire::{
    BalanceData, Bank, Envelope, NonceRequest, OrderData, PayOutData, PayOutRequest, QueryRequest,
};
use super::{CashyConfig, CashyCountry};
use crate::http::{self, Answer, BuildError, CallError};

/// Cashy gives no hint of how long to wait: Giro's choices for `System_busy` and maintenance.
const BUSY_RETRY_AFTER: Duration = Duration::from_secs(2);
const MAINTENANCE_RETRY_AFTER: Duration = Duration::from_secs(60);
/// A cached bank list is used this long; a bank missing from a list older than the recheck
/// interval triggers one refetch.
const BANKS_TTL: Duration = Duration::from_secs(6 * 3600);
const BANKS_RECHECK: Duration = Duration::from_secs(600);

/// What went wrong with a Cashy call; [`CashyError::may_have_happened`] tells whether the request
/// may have been processed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CashyError {
    /// The request never left.
    #[error("Cashy was not reached: {0}")]
    NotSent(String),
    /// `System_busy`, `System_Maintenance` (or HTTP 429): nothing was processed.
    #[error("Cashy is not taking requests now ({msg})")]
    Busy { msg: String, retry_after: Duration },
    /// A refusal in the envelope (`Params_amount_error`, `Sign_verify_error`, …): the `msg`.
    #[error("Cashy refused the request: {msg}")]
    Refused { msg: String },
    /// An HTTP error status without Cashy's envelope (a front end, a wrong base URL).
    #[error("Cashy answered HTTP {status}: {detail}")]
    Http { status: u16, detail: String },
    /// The request was sent and no answer came.
    #[error("Cashy's answer was lost: {0}")]
    Lost(String),
    /// `System_error` or an HTTP 5xx: Cashy failed, perhaps after processing.
    #[error("Cashy failed: {0}")]
    Server(String),
    /// An answer that is not what Cashy documents.
    #[error("Cashy's answer could not be read: {0}")]
    Malformed(String),
}

impl CashyError {
    /// Whether Cashy may have processed the request despite the error.
    pub fn may_have_happened(&self) -> bool {
        matches!(
            self,
            CashyError::Lost(_) | CashyError::Server(_) | CashyError::Malformed(_)
        )
    }
}

impl From<CallError> for CashyError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::NotSent(m) => CashyError::NotSent(m),
            CallError::Lost(m) => CashyError::Lost(m),
        }
    }
}

/// A random `nonceStr` (16 letters and digits).
pub(super) fn nonce() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

/// Sorts an answer: the envelope's `code == 200` is read as `T`, the rest becomes the error it
/// proves.
fn read<T: DeserializeOwned>(answer: &Answer) -> Result<T, CashyError> {
    let status = answer.status;
    let envelope = answer.json::<Envelope>();
    if status.is_server_error() {
        let msg = envelope.ok().and_then(|e| e.msg);
        return Err(CashyError::Server(format!(
            "HTTP {}{}",
            status.as_u16(),
            msg.map(|m| format!(" {m}")).unwrap_or_default()
        )));
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(CashyError::Busy {
            msg: "http_429".into(),
            retry_after: http::retry_after(&answer.headers, Utc::now().timestamp())
                .unwrap_or(BUSY_RETRY_AFTER),
        });
    }
    if !status.is_success() {
        return Err(CashyError::Http {
            status: status.as_u16(),
            detail: http::snippet(&answer.body),
        });
    }
    let envelope = envelope.map_err(CashyError::Malformed)?;
    let msg = envelope.msg.clone().unwrap_or_default();
    if envelope.code.as_deref() == Some("200") {
        let data = envelope
            .data
            .ok_or_else(|| CashyError::Malformed("success without data".into()))?;
        return serde_json::from_str(data.get()).map_err(|e| {
            CashyError::Malformed(format!("{e} in {}", http::snippet(data.get().as_bytes())))
        });
    }
    let code_500 = envelope.code.as_deref().is_some_and(|c| c.starts_with('5'));
    match msg.as_str() {
        "System_busy" => Err(CashyError::Busy {
            msg,
            retry_after: BUSY_RETRY_AFTER,
        }),
        "System_Maintenance" => Err(CashyError::Busy {
            msg,
            retry_after: MAINTENANCE_RETRY_AFTER,
        }),
        "System_error" => Err(CashyError::Server(msg)),
        _ if code_500 => Err(CashyError::Server(msg)),
        "" => Err(CashyError::Refused {
            msg: format!("code_{}", envelope.code.unwrap_or_default()),
        }),
        _ => Err(CashyError::Refused { msg }),
    }
}

/// A client for one Cashy merchant (one country). Cheap to share (`Arc`), safe to call
/// concurrently.
#[derive(Debug)]
pub struct CashyClient {
    config: CashyConfig,
    base: Url,
    http: reqwest::Client,
    banks: Mutex<Option<(Instant, Arc<Vec<Bank>>)>>,
    /// The Colombian bank codes of the last list read (a Colombian merchant's only), for the
    /// engine to publish to intake.
    co_codes: std::sync::RwLock<Option<BankCodes>>,
}

impl CashyClient {
    /// A client for `config`; nothing is sent until the first call.
    pub fn new(config: CashyConfig) -> Result<Self, BuildError> {
        let base = http::base_url(&config.base_url)?;
        let http = http::client(config.timeout)?;
        Ok(CashyClient {
            config,
            base,
            http,
            banks: Mutex::new(None),
            co_codes: std::sync::RwLock::new(None),
        })
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &CashyConfig {
        &self.config
    }

    /// POSTs `body` signed, and reads the answer.
    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, CashyError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| CashyError::NotSent(format!("could not write the body: {e}")))?;
        let signature = sign(&bytes, self.config.api_key.expose());
        let request = self
            .http
            .post(http::endpoint(&self.base, &["api", path]))
            .header("MerchantId", &self.config.merchant_id)
            .header(SIGN_HEADER, signature)
            .header(CONTENT_TYPE, "application/json")
            .body(bytes);
        read(&http::call(&self.config.instance, request).await?)
    }

    /// `POST /api/payOut`. A `mchOrderNo` Cashy has seen is refused (`Params_mchOrderNo_error`),
    /// never paid twice.
    pub async fn pay_out(&self, body: &PayOutRequest<'_>) -> Result<PayOutData, CashyError> {
        self.post("payOut", body).await
    }

    /// `POST /api/payOutQuery` by `mchOrderNo`, and by `orderNo` when known.
    pub async fn query(
        &self,
        mch_order_no: &str,
        order_no: Option<&str>,
    ) -> Result<OrderData, CashyError> {
        let body = QueryRequest {
            mch_order_no,
            order_no,
            nonce_str: nonce(),
        };
        self.post("payOutQuery", &body).await
    }

    /// `POST /api/getBalance`: the merchant's balance (in its country's currency).
    pub async fn get_balance(&self) -> Result<BalanceData, CashyError> {
        self.post("getBalance", &NonceRequest { nonce_str: nonce() })
            .await
    }

    /// `POST /api/bankListQuery`, cached for hours.
    pub async fn banks(&self) -> Result<Arc<Vec<Bank>>, CashyError> {
        let mut cache = self.banks.lock().await;
        if let Some((at, banks)) = cache.as_ref()
            && at.elapsed() < BANKS_TTL
        {
            return Ok(Arc::clone(banks));
        }
        self.fetch_banks(&mut cache).await
    }

    async fn fetch_banks(
        &self,
        cache: &mut Option<(Instant, Arc<Vec<Bank>>)>,
    ) -> Result<Arc<Vec<Bank>>, CashyError> {
        let banks: Vec<Bank> = self
            .post("bankListQuery", &NonceRequest { nonce_str: nonce() })
            .await?;
        if self.config.country == CashyCountry::Co {
            let codes = BankCodes::from_codes(banks.iter().filter_map(Bank::co_code));
            *self
                .co_codes
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(codes);
        }
        let banks = Arc::new(banks);
        *cache = Some((Instant::now(), Arc::clone(&banks)));
        Ok(banks)
    }

    /// The Colombian bank codes Cashy listed last (`bankListQuery`), by their ACH code; `None`
    /// before the first list, and for a Tanzanian merchant.
    pub fn bank_codes(&self) -> Option<BankCodes> {
        self.co_codes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// `POST /api/bankListQuery` now, replacing the list held (the start-up set-up's refresh).
    pub async fn refresh_banks(&self) -> Result<Arc<Vec<Bank>>, CashyError> {
        let mut cache = self.banks.lock().await;
        self.fetch_banks(&mut cache).await
    }

    /// The `bankId` to send with a Tanzanian payout to `operator`'s wallets: the configured one
    /// (`GIRO_CASHY_TZ_BANK_IDS`), else the listed operator (`bankListQuery`), else none (seed
    /// 004's table does not ask for one; its example sends one). A list that cannot be read now
    /// leaves it out rather than holding the payout.
    pub async fn tz_bank_id(&self, operator: TzOperator) -> Option<i64> {
        if let Some((_, id)) = self.config.tz_bank_ids.iter().find(|(o, _)| *o == operator) {
            return Some(*id);
        }
        match self.banks().await {
            Ok(banks) => banks
                .iter()
                .filter(|b| b.is_tz_operator(operator))
                .find_map(|b| b.bank_id.as_deref().and_then(|id| id.parse::<i64>().ok())),
            Err(e) => {
                tracing::warn!(instance = %self.config.instance, error = %e,
                    "Cashy bank list unavailable: payout sent without bankId");
                None
            }
        }
    }

    /// Cashy's `bankId` of the Colombian bank Giro knows as `code`; `None` when Cashy does not
    /// list it (after one refetch of a list older than ten minutes).
    pub async fn bank_id(&self, code: &str) -> Result<Option<i64>, CashyError> {
        let find = |banks: &[Bank]| {
            banks
                .iter()
                .filter(|b| b.is_co_bank(code))
                .find_map(|b| b.bank_id.as_deref().and_then(|id| id.parse::<i64>().ok()))
        };
        let banks = self.banks().await?;
        if let Some(id) = find(&banks) {
            return Ok(Some(id));
        }
        let mut cache = self.banks.lock().await;
        if cache
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < BANKS_RECHECK)
        {
            return Ok(None);
        }
        let banks = self.fetch_banks(&mut cache).await?;
        Ok(find(&banks))
    }
}
