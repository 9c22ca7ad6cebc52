//! Why a command was refused. Rejections are values, not errors: intake turns them into replies
//! (CONTRACT.md §1), with the offending field's path.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The public error codes of CONTRACT.md §1. Callers match on these strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidJson,
    MissingField,
    InvalidField,
    UnsupportedCurrency,
    AmountOutOfRange,
    InvalidAmountPrecision,
    InvalidBeneficiary,
    UnknownProvider,
    NoRoute,
    CardDataNotAccepted,
    IdempotencyConflict,
    NotFound,
    NotCancellable,
    /// A command that does not fit the order's current state (e.g. submitting twice).
    InvalidState,
    Unavailable,
    /// No operator token, or one that does not verify (`giro.cmd.ops.*`, the query API).
    Unauthorized,
    /// The caller may not do this: a verified operator without the role the action needs, an
    /// approver deciding the approval of a payout they requested.
    Forbidden,
}

impl ErrorCode {
    /// The NATS service-API error code (`Nats-Service-Error-Code`), HTTP-like: 400 bad input,
    /// 404 unknown order, 409 conflict, 503 retry later.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::NotFound => 404,
            ErrorCode::IdempotencyConflict
            | ErrorCode::NotCancellable
            | ErrorCode::InvalidState => 409,
            ErrorCode::Unavailable => 503,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            _ => 400,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::UnsupportedCurrency => "unsupported_currency",
            ErrorCode::AmountOutOfRange => "amount_out_of_range",
            ErrorCode::InvalidAmountPrecision => "invalid_amount_precision",
            ErrorCode::InvalidBeneficiary => "invalid_beneficiary",
            ErrorCode::UnknownProvider => "unknown_provider",
            ErrorCode::NoRoute => "no_route",
            ErrorCode::CardDataNotAccepted => "card_data_not_accepted",
            ErrorCode::IdempotencyConflict => "idempotency_conflict",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NotCancellable => "not_cancellable",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused command: what was wrong, where, and what was expected. Messages never quote personal
/// data in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Rejection {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Rejection {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Rejection {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn at(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        Rejection {
            code,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// Prefixes the field path, so nested validators can report paths relative to themselves.
    pub fn under(mut self, parent: &str) -> Self {
        self.field = Some(match self.field {
            Some(f) if !f.is_empty() => format!("{parent}.{f}"),
            _ => parent.to_string(),
        });
        self
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} at {}: {}", self.code, field, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for Rejection {}
