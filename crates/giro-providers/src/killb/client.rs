//! KillB over HTTP: the token cache (login, refresh before expiry, login again on a 401), the
//! rate limiter, `x-api-key`, and answers sorted by what they prove about the request.

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use giro_domain::Secret;
use reqwest::header::CONTENT_TYPE;
use reqwest::{RequestBuilder, StatusCode, Url};
use rust_decimal::prelude::ToPrimitive;
use serde::de::DeserializeOwned;

use super::KillbConfig;
use super::wire::{
    Balance, CreatePayout, ErrorBody, LoginRequest, Payout, RefreshRequest, TokenResponse,
};
use crate::http::{self, Answer, BuildError, CallError};
use crate::ratelimit::RateLimiter;
use crate::token::{Token, TokenCache};

/// Token lifetime assumed when KillB does not say (`expiresIn` missing).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// What went wrong with a KillB call, sorted by what it proves: [`KillbError::may_have_happened`]
/// tells whether the request may have been processed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KillbError {
    /// The request never left (connection refused, DNS, connect time-out).
    #[error("KillB was not reached: {0}")]
    NotSent(String),
    /// No access token could be obtained, so the request itself was never sent.
    #[error("no KillB access token: {0}")]
    Token(Box<KillbError>),
    /// KillB refused the credentials or the token (401 after a fresh login).
    #[error("KillB refused the credentials: {0}")]
    Auth(String),
    /// 429, with KillB's hint of when to come back.
    #[error("KillB is rate limiting (HTTP 429)")]
    RateLimited { retry_after: Option<Duration> },
    /// A 4xx other than 401 and 429: KillB looked at the request and said no.
    #[error("KillB refused the request (HTTP {status}, {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// The request was sent and no answer came (time-out, connection closed).
    #[error("KillB's answer was lost: {0}")]
    Lost(String),
    /// 5xx: KillB failed, perhaps after processing.
    #[error("KillB failed (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    /// An answer that is not what KillB documents.
    #[error("KillB's answer could not be read (HTTP {status}): {detail}")]
    Malformed { status: u16, detail: String },
}

impl KillbError {
    /// Whether KillB may have processed the request despite the error (so a payout may exist).
    pub fn may_have_happened(&self) -> bool {
        matches!(
            self,
            KillbError::Lost(_) | KillbError::Server { .. } | KillbError::Malformed { .. }
        )
    }

    /// How long KillB asked to wait, when it rate limited the request or the login before it.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            KillbError::RateLimited { retry_after } => *retry_after,
            KillbError::Token(inner) => inner.retry_after(),
            _ => None,
        }
    }
}

impl From<CallError> for KillbError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::NotSent(m) => KillbError::NotSent(m),
            CallError::Lost(m) => KillbError::Lost(m),
        }
    }
}

/// A KillB client for one pre-fund account. Cheap to share (`Arc`), safe to call concurrently.
#[derive(Debug)]
pub struct KillbClient {
    config: KillbConfig,
    base: Url,
    http: reqwest::Client,
    tokens: TokenCache,
    limiter: Option<RateLimiter>,
    /// What set-up learnt and keeps: the bank list, the webhook registration.
    pub(super) learnt: super::setup::Learnt,
}

fn error_of(answer: &Answer) -> (String, String) {
    let body: ErrorBody = answer.json().unwrap_or_default();
    let code = body
        .error_code
        .unwrap_or_else(|| format!("http_{}", answer.status.as_u16()));
    let message = body
        .message
        .map(|m| m.joined())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| http::snippet(&answer.body));
    (code, message)
}

/// Sorts an answer: 2xx is read as `T`, everything else becomes the error it proves.
fn read<T: DeserializeOwned>(answer: &Answer) -> Result<T, KillbError> {
    let status = answer.status.as_u16();
    match answer.status {
        s if s.is_success() => answer
            .json()
            .map_err(|detail| KillbError::Malformed { status, detail }),
        StatusCode::TOO_MANY_REQUESTS => Err(KillbError::RateLimited {
            retry_after: http::retry_after(&answer.headers, Utc::now().timestamp()),
        }),
        StatusCode::UNAUTHORIZED => Err(KillbError::Auth(error_of(answer).1)),
        s if s.is_client_error() => {
            let (code, message) = error_of(answer);
            Err(KillbError::Refused {
                status,
                code,
                message,
            })
        }
        s if s.is_server_error() => Err(KillbError::Server {
            status,
            message: error_of(answer).1,
        }),
        _ => Err(KillbError::Malformed {
            status,
            detail: http::snippet(&answer.body),
        }),
    }
}

impl KillbClient {
    /// A client for `config`; nothing is sent until the first call.
    pub fn new(config: KillbConfig) -> Result<Self, BuildError> {
        let base = http::base_url(&config.base_url)?;
        let http = http::client(config.timeout)?;
        let limiter = config.rate_limit.map(RateLimiter::new);
        Ok(KillbClient {
            config,
            base,
            http,
            tokens: TokenCache::default(),
            limiter,
            learnt: super::setup::Learnt::default(),
        })
    }

    /// The pooled HTTP client.
    pub(super) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &KillbConfig {
        &self.config
    }

    pub(super) fn url(&self, segments: &[&str]) -> Url {
        let mut path = vec!["api", "v2"];
        path.extend_from_slice(segments);
        http::endpoint(&self.base, &path)
    }

    /// Sends one request under the rate limit, with `x-api-key` when configured.
    async fn send(&self, request: RequestBuilder) -> Result<Answer, KillbError> {
        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
        let request = match &self.config.api_key {
            Some(key) => request.header("x-api-key", key.expose()),
            None => request,
        };
        Ok(http::call("killb", request).await?)
    }

    fn issue(answer: &Answer) -> Result<Token, KillbError> {
        let tokens: TokenResponse = read(answer)?;
        let lifetime = tokens
            .expires_in
            .and_then(|ms| ms.to_u64())
            .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_millis);
        Ok(Token::new(
            tokens.access_token,
            tokens.refresh_token,
            lifetime,
        ))
    }

    async fn login(&self) -> Result<Token, KillbError> {
        let body = LoginRequest {
            email: &self.config.email,
            password: self.config.password.expose(),
        };
        let answer = self
            .send(self.http.post(self.url(&["auth", "login"])).json(&body))
            .await?;
        Self::issue(&answer)
    }

    async fn renew(&self, refresh: Option<Secret<String>>) -> Result<Token, KillbError> {
        if let Some(refresh) = refresh {
            let body = RefreshRequest {
                refresh_token: refresh.expose(),
            };
            let request = self.http.post(self.url(&["auth", "refresh"])).json(&body);
            match self.send(request).await {
                Ok(answer) => match Self::issue(&answer) {
                    Ok(token) => return Ok(token),
                    Err(e) => tracing::info!(error = %e, "KillB token refresh refused; logging in"),
                },
                Err(e) => tracing::info!(error = %e, "KillB token refresh failed; logging in"),
            }
        }
        self.login().await
    }

    async fn token(&self) -> Result<Secret<String>, KillbError> {
        self.tokens
            .access(|refresh| self.renew(refresh))
            .await
            .map_err(|e| KillbError::Token(Box::new(e)))
    }

    /// Sends an authenticated request built by `make`; on a 401 it logs in again and sends it
    /// once more (a 401 means the request was not processed).
    pub(super) async fn authed<T: DeserializeOwned>(
        &self,
        make: impl Fn() -> RequestBuilder,
    ) -> Result<T, KillbError> {
        self.authed_with(make, read).await
    }

    /// As [`Self::authed`], for calls whose answer body is not read (any 2xx will do).
    pub(super) async fn authed_done(
        &self,
        make: impl Fn() -> RequestBuilder,
    ) -> Result<(), KillbError> {
        self.authed_with(make, |answer| match read::<serde_json::Value>(answer) {
            Err(KillbError::Malformed { status, .. }) if (200..300).contains(&status) => Ok(()),
            other => other.map(drop),
        })
        .await
    }

    async fn authed_with<T>(
        &self,
        make: impl Fn() -> RequestBuilder,
        reader: impl Fn(&Answer) -> Result<T, KillbError>,
    ) -> Result<T, KillbError> {
        let token = self.token().await?;
        let answer = self.send(make().bearer_auth(token.expose())).await?;
        if answer.status != StatusCode::UNAUTHORIZED {
            return reader(&answer);
        }
        tracing::info!("KillB refused the access token; logging in again");
        self.tokens.forget(&token).await;
        let token = self.token().await?;
        let answer = self.send(make().bearer_auth(token.expose())).await?;
        reader(&answer)
    }

    /// The JSON `body` as bytes, for a request that may be sent twice (after a 401).
    pub(super) fn body_of(body: &impl serde::Serialize) -> Result<Bytes, KillbError> {
        serde_json::to_vec(body)
            .map(Bytes::from)
            .map_err(|e| KillbError::NotSent(format!("could not write the request body: {e}")))
    }

    /// `POST /api/v2/payouts` with `Idempotency-Key: <handle>`: KillB answers a repeated key with
    /// the original payout, never a second one.
    pub async fn create_payout(
        &self,
        handle: &str,
        body: &CreatePayout<'_>,
    ) -> Result<Payout, KillbError> {
        let bytes =
            Bytes::from(serde_json::to_vec(body).map_err(|e| {
                KillbError::NotSent(format!("could not write the payout body: {e}"))
            })?);
        let url = self.url(&["payouts"]);
        self.authed(|| {
            self.http
                .post(url.clone())
                .header("Idempotency-Key", handle)
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone())
        })
        .await
    }

    /// `GET /api/v2/payouts/{id}`.
    pub async fn payout(&self, id: &str) -> Result<Payout, KillbError> {
        let url = self.url(&["payouts", id]);
        self.authed(|| self.http.get(url.clone())).await
    }

    /// `GET /api/v2/customers/balances`.
    pub async fn balances(&self) -> Result<Vec<Balance>, KillbError> {
        let url = self.url(&["customers", "balances"]);
        self.authed(|| self.http.get(url.clone())).await
    }
}
