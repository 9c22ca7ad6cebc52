//! A55 over HTTP: the OAuth2 client-credentials token (renewed before expiry and on a 401) and the
//! charge operations, with answers sorted by what they prove about the request.

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use giro_domain::Secret;
use giro_domain::charge::ChargeRequested;
use reqwest::header::CONTENT_TYPE;
use reqwest::{RequestBuilder, StatusCode, Url};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::DeserializeOwned;

use super::A55Config;
use super::wire::{
    CaptureRequest, Charge, CreateCharge, ErrorBody, RefundRequest, TokenResponse, Unsupported,
};
use crate::http::{self, Answer, BuildError, CallError};
use crate::token::{Token, TokenCache};

/// Token lifetime assumed when A55 does not say (`expires_in` missing; the docs say 3600).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// What went wrong with an A55 call. A charge creation is not idempotent at A55, so
/// [`A55Error::may_have_happened`] matters: such a charge can only be found again through its
/// webhook (which carries `reference_external_id`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum A55Error {
    /// Refused by Giro before sending (a fractional CLP/COP amount, a currency A55 lacks).
    #[error("not sent to A55: {0}")]
    Invalid(Unsupported),
    /// The request never left.
    #[error("A55 was not reached: {0}")]
    NotSent(String),
    /// No access token could be obtained, so the request itself was never sent.
    #[error("no A55 access token: {0}")]
    Token(Box<A55Error>),
    /// A55 refused the client credentials or the token (after a fresh one).
    #[error("A55 refused the credentials: {0}")]
    Auth(String),
    /// 429.
    #[error("A55 is rate limiting (HTTP 429)")]
    RateLimited { retry_after: Option<Duration> },
    /// A 4xx: A55 looked at the request and said no (`errors.charge.not_refundable`, …).
    #[error("A55 refused the request (HTTP {status}, {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// The request was sent and no answer came.
    #[error("A55's answer was lost: {0}")]
    Lost(String),
    /// 5xx (`errors.unexpected`: retry with backoff), perhaps after processing.
    #[error("A55 failed (HTTP {status}, {code}): {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    /// An answer that is not what A55 documents.
    #[error("A55's answer could not be read (HTTP {status}): {detail}")]
    Malformed { status: u16, detail: String },
}

impl A55Error {
    /// Whether A55 may have carried out the request despite the error.
    pub fn may_have_happened(&self) -> bool {
        matches!(
            self,
            A55Error::Lost(_) | A55Error::Server { .. } | A55Error::Malformed { .. }
        )
    }

    /// Whether the same request may succeed later (nothing was judged wrong with it).
    pub fn is_retryable(&self) -> bool {
        match self {
            A55Error::NotSent(_)
            | A55Error::Token(_)
            | A55Error::Auth(_)
            | A55Error::RateLimited { .. }
            | A55Error::Lost(_)
            | A55Error::Server { .. }
            | A55Error::Malformed { .. } => true,
            A55Error::Invalid(_) | A55Error::Refused { .. } => false,
        }
    }
}

impl From<CallError> for A55Error {
    fn from(e: CallError) -> Self {
        match e {
            CallError::NotSent(m) => A55Error::NotSent(m),
            CallError::Lost(m) => A55Error::Lost(m),
        }
    }
}

fn error_of(answer: &Answer) -> (String, String) {
    let body: ErrorBody = answer.json().unwrap_or_default();
    let (code, message) = match (&body.message, &body.error) {
        (Some(problems), _) => problems.summary(),
        (None, Some(error)) => (Some(error.clone()), error.clone()),
        (None, None) => (None, http::snippet(&answer.body)),
    };
    let code = code.unwrap_or_else(|| format!("http_{}", answer.status.as_u16()));
    (code, message)
}

fn read<T: DeserializeOwned>(answer: &Answer) -> Result<T, A55Error> {
    let status = answer.status.as_u16();
    match answer.status {
        s if s.is_success() => answer
            .json()
            .map_err(|detail| A55Error::Malformed { status, detail }),
        StatusCode::TOO_MANY_REQUESTS => Err(A55Error::RateLimited {
            retry_after: http::retry_after(&answer.headers, Utc::now().timestamp()),
        }),
        StatusCode::UNAUTHORIZED => Err(A55Error::Auth(error_of(answer).1)),
        s if s.is_client_error() => {
            let (code, message) = error_of(answer);
            Err(A55Error::Refused {
                status,
                code,
                message,
            })
        }
        s if s.is_server_error() => {
            let (code, message) = error_of(answer);
            Err(A55Error::Server {
                status,
                code,
                message,
            })
        }
        _ => Err(A55Error::Malformed {
            status,
            detail: http::snippet(&answer.body),
        }),
    }
}

/// An A55 client for one wallet. Cheap to share (`Arc`), safe to call concurrently.
#[derive(Debug)]
pub struct A55Client {
    config: A55Config,
    api: Url,
    auth: Url,
    http: reqwest::Client,
    tokens: TokenCache,
}

impl A55Client {
    /// A client for `config`; nothing is sent until the first call.
    pub fn new(config: A55Config) -> Result<Self, BuildError> {
        let api = http::base_url(&config.base_url)?;
        let auth = http::base_url(config.auth_url.as_deref().unwrap_or(&config.base_url))?;
        let http = http::client(config.timeout)?;
        Ok(A55Client {
            config,
            api,
            auth,
            http,
            tokens: TokenCache::default(),
        })
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &A55Config {
        &self.config
    }

    fn charge_url(&self, segments: &[&str]) -> Url {
        let mut path = vec!["api", "v1", "bank", "wallet", "charge"];
        path.extend_from_slice(segments);
        path.push("");
        http::endpoint(&self.api, &path)
    }

    async fn fetch_token(&self) -> Result<Token, A55Error> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.config.client_id.as_str()),
            ("client_secret", self.config.client_secret.expose().as_str()),
            ("scope", self.config.scope.as_str()),
        ];
        let request = self
            .http
            .post(http::endpoint(&self.auth, &["oauth2", "token"]))
            .form(&form);
        let answer = http::call("a55", request).await?;
        let token: TokenResponse = read(&answer)?;
        let lifetime = token
            .expires_in
            .and_then(|s| s.to_u64())
            .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
        Ok(Token::new(token.access_token, None, lifetime))
    }

    async fn token(&self) -> Result<Secret<String>, A55Error> {
        self.tokens
            .access(|_| self.fetch_token())
            .await
            .map_err(|e| A55Error::Token(Box::new(e)))
    }

    /// Sends a request built by `make` with a bearer token; on a 401 it fetches a new token and
    /// sends it once more (a 401 means the request was not processed).
    async fn authed<T: DeserializeOwned>(
        &self,
        make: impl Fn() -> RequestBuilder,
    ) -> Result<T, A55Error> {
        let token = self.token().await?;
        let answer = http::call("a55", make().bearer_auth(token.expose())).await?;
        if answer.status != StatusCode::UNAUTHORIZED {
            return read(&answer);
        }
        tracing::info!("A55 refused the access token; fetching a new one");
        self.tokens.forget(&token).await;
        let token = self.token().await?;
        read(&http::call("a55", make().bearer_auth(token.expose())).await?)
    }

    async fn post_json<T: DeserializeOwned>(
        &self,
        url: Url,
        body: &impl serde::Serialize,
    ) -> Result<T, A55Error> {
        let bytes = Bytes::from(
            serde_json::to_vec(body)
                .map_err(|e| A55Error::NotSent(format!("could not write the body: {e}")))?,
        );
        self.authed(|| {
            self.http
                .post(url.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone())
        })
        .await
    }

    /// Creates a charge for `charge` with `reference_external_id = handle`. Never carries card
    /// data. Its answer's status is not final: the webhook is the source of truth.
    pub async fn create_charge(
        &self,
        handle: &str,
        charge: &ChargeRequested,
    ) -> Result<Charge, A55Error> {
        let body = CreateCharge::new(&self.config, handle, charge).map_err(A55Error::Invalid)?;
        self.post_json(self.charge_url(&[]), &body).await
    }

    /// Reads a charge (`GET …/charge/{charge_uuid}/`), e.g. to confirm an unsigned webhook.
    pub async fn get_charge(&self, charge_uuid: &str) -> Result<Charge, A55Error> {
        let url = self.charge_url(&[charge_uuid]);
        self.authed(|| self.http.get(url.clone())).await
    }

    /// Refunds a paid or confirmed charge, wholly when `amount` is `None`.
    pub async fn refund(
        &self,
        charge_uuid: &str,
        amount: Option<Decimal>,
        reason: Option<&str>,
    ) -> Result<Charge, A55Error> {
        let wallet = self.config.wallet_uuid.as_str();
        let url = self.charge_url(&[charge_uuid, "refund", wallet]);
        self.post_json(url, &RefundRequest { amount, reason }).await
    }

    /// Captures an authorised charge (`pre_captured`, created with `capture: false`), wholly when
    /// `amount` is `None`. A55 refuses (4xx) a charge that is not authorised or an amount beyond
    /// the authorisation.
    pub async fn capture(
        &self,
        charge_uuid: &str,
        amount: Option<Decimal>,
    ) -> Result<Charge, A55Error> {
        let body = CaptureRequest {
            charge_uuid,
            wallet_uuid: &self.config.wallet_uuid,
            amount,
        };
        self.post_json(self.charge_url(&["capture"]), &body).await
    }

    /// Obtains a fresh access token with the configured client credentials, whatever the cache
    /// holds: the start-up check that A55 takes them.
    pub async fn check_credentials(&self) -> Result<(), A55Error> {
        self.fetch_token().await.map(|_| ())
    }

    /// Cancels a charge not yet paid (issued, pending, pre_captured). A55 answers 409 when it is
    /// already canceled or settled, 400 when it cannot be canceled.
    pub async fn cancel(&self, charge_uuid: &str) -> Result<Charge, A55Error> {
        let wallet = self.config.wallet_uuid.as_str();
        let url = self.charge_url(&[charge_uuid, "cancel", wallet]);
        self.authed(|| self.http.post(url.clone())).await
    }
}
