//! Cashy's answer envelope `{code, msg, data}`; only `code == 200` is success.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A refusal, named by Cashy's `msg` (`Sign_verify_error`, `Params_amount_error`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CashyError(pub String);

impl CashyError {
    pub(crate) fn msg(msg: &str) -> Self {
        Self(msg.to_owned())
    }

    /// `Params_<field>_Required`.
    pub(crate) fn required(field: &str) -> Self {
        Self(format!("Params_{field}_Required"))
    }

    /// `Params_<field>_error`.
    pub(crate) fn invalid(field: &str) -> Self {
        Self(format!("Params_{field}_error"))
    }

    fn code(&self) -> u16 {
        if self.0.starts_with("System_") {
            500
        } else {
            400
        }
    }
}

#[derive(Serialize)]
struct Envelope<T: Serialize> {
    code: u16,
    msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
}

/// `{"code":200,"msg":"SUCCESS","data":…}`.
pub(crate) fn success<T: Serialize>(data: T) -> Response {
    Json(Envelope {
        code: 200,
        msg: "SUCCESS".into(),
        data: Some(data),
    })
    .into_response()
}

impl IntoResponse for CashyError {
    /// Cashy refuses inside the envelope with HTTP 200; `code` and `msg` carry the refusal.
    fn into_response(self) -> Response {
        let envelope: Envelope<()> = Envelope {
            code: self.code(),
            msg: self.0,
            data: None,
        };
        (StatusCode::OK, Json(envelope)).into_response()
    }
}
