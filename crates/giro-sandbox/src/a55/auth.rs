//! A55's OAuth2 client-credentials token endpoint and bearer checks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::time::Instant;

use super::errors::A55Error;
use super::state::A55;
use crate::secret::same;

/// Issued access tokens and their expiry.
#[derive(Debug, Default)]
pub(crate) struct Tokens(Mutex<HashMap<String, Instant>>);

#[derive(Serialize)]
struct TokenOut {
    access_token: String,
    expires_in: u64,
    token_type: &'static str,
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(serde_json::json!({ "error": error }))).into_response()
}

/// `POST /oauth2/token` with form fields grant_type, client_id, client_secret, scope.
pub(crate) async fn token(
    State(a55): State<Arc<A55>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let fields: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "client_credentials" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let config = &a55.config;
    if !(same(field("client_id"), &config.client_id)
        && same(field("client_secret"), &config.client_secret))
    {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if fields
        .get("scope")
        .is_some_and(|scope| scope.split(' ').any(|s| s != "api/readwrite"))
    {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope");
    }
    let access_token = format!("a55_{}", a55.common.random.uuid().simple());
    a55.tokens
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(access_token.clone(), Instant::now() + config.token_ttl);
    Json(TokenOut {
        access_token,
        expires_in: config.token_ttl.as_secs(),
        token_type: "Bearer",
    })
    .into_response()
}

/// Refuses requests without a live bearer token.
pub(crate) async fn require_token(
    State(a55): State<Arc<A55>>,
    request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let live = token.is_some_and(|token| {
        let tokens = a55.tokens.0.lock().unwrap_or_else(PoisonError::into_inner);
        tokens
            .get(token)
            .is_some_and(|expiry| Instant::now() < *expiry)
    });
    if live {
        next.run(request).await
    } else {
        A55Error::unauthorized().into_response()
    }
}
