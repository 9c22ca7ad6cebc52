//! A55's error form: `{"status": "error", "message": [{code, source, description}]}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One entry of `message`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Problem {
    pub code: String,
    pub source: String,
    pub description: String,
}

/// A refused request.
#[derive(Debug, Clone)]
pub(crate) struct A55Error {
    pub status: StatusCode,
    pub problem: Problem,
}

impl A55Error {
    pub(crate) fn new(
        status: StatusCode,
        code: &str,
        source: &str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            problem: Problem {
                code: code.to_owned(),
                source: source.to_owned(),
                description: description.into(),
            },
        }
    }

    pub(crate) fn required(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "errors.field.required",
            field,
            format!("{field} is required"),
        )
    }

    pub(crate) fn invalid(field: &str, description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "errors.field.invalid",
            field,
            description,
        )
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "errors.unauthorized",
            "authorization",
            "Missing, invalid or expired bearer token",
        )
    }

    pub(crate) fn charge_not_found(uuid: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "errors.charge.not_found",
            "charge_uuid",
            format!("Charge {uuid} not found"),
        )
    }

    pub(crate) fn wallet_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "errors.wallet.not_found",
            "wallet_uuid",
            "Wallet not found",
        )
    }
}

#[derive(Serialize)]
struct Body<'a> {
    status: &'static str,
    message: [&'a Problem; 1],
}

impl IntoResponse for A55Error {
    fn into_response(self) -> Response {
        let body = Body {
            status: "error",
            message: [&self.problem],
        };
        (self.status, Json(body)).into_response()
    }
}
