//! KillB's error shape: `{errorCode, message: [...], statusCode, arguments: [{key, value}]}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error as KillB answers it.
#[derive(Debug, Clone)]
pub(crate) struct KillbError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    error_code: &'a str,
    message: [&'a str; 1],
    status_code: String,
    arguments: Vec<Argument<'a>>,
}

#[derive(Serialize)]
struct Argument<'a> {
    key: &'static str,
    value: &'a str,
}

impl KillbError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A 400 naming the offending field.
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(StatusCode::BAD_REQUEST, "VALIDATION.0001", message)
        }
    }

    pub(crate) fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "AUTH.0001", message)
    }

    pub(crate) fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
}

impl IntoResponse for KillbError {
    fn into_response(self) -> Response {
        let body = Body {
            error_code: self.code,
            message: [&self.message],
            status_code: self.status.as_u16().to_string(),
            arguments: self
                .field
                .as_deref()
                .map(|value| Argument {
                    key: "field",
                    value,
                })
                .into_iter()
                .collect(),
        };
        (self.status, axum::Json(body)).into_response()
    }
}
