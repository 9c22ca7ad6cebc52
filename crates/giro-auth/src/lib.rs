//! Who may act on Giro by hand (CONTRACT.md §1 "Operators").
//!
//! An operator presents a bearer token: a JWT signed with EdDSA (Ed25519) or ES256 by whoever
//! issues Giro's operator identities, verified here locally against the public keys configured in
//! a JWK Set file (`GIRO_OPERATOR_KEYS_FILE`), with its expiry, and its issuer and audience when
//! configured. Its `sub` is the identity every operator event records; its `roles` say what the
//! operator may do ([`Role`]). Intake checks it on `giro.cmd.ops.*` (header `Authorization`), the
//! projection on its query API and console. On a developer machine `giro up` makes development keys
//! ([`dev`]) and prints a token per role.

pub mod dev;
mod verify;

pub use giro_domain::operator::{Operator, Role};
pub use verify::{AuthConfig, Verifier};

/// The header a token travels in, over HTTP and in NATS message headers alike:
/// `Authorization: Bearer <token>`.
pub const AUTHORIZATION_HEADER: &str = "Authorization";

/// Why an operator was not let through. [`AuthError::code`] is the public error code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("no operator token: send `Authorization: Bearer <token>`")]
    Missing,
    #[error("the Authorization header is not `Bearer <token>`")]
    NotBearer,
    #[error("the operator token was refused: {0}")]
    Invalid(String),
    #[error("operator {operator} lacks the {needed} role")]
    Forbidden { operator: String, needed: Role },
}

impl AuthError {
    /// `unauthorized` (no valid token) or `forbidden` (a valid token without the role).
    pub fn code(&self) -> giro_domain::ErrorCode {
        match self {
            AuthError::Forbidden { .. } => giro_domain::ErrorCode::Forbidden,
            _ => giro_domain::ErrorCode::Unauthorized,
        }
    }

    /// The identity the refusal is about, when the token was good enough to name one.
    pub fn operator(&self) -> Option<&str> {
        match self {
            AuthError::Forbidden { operator, .. } => Some(operator),
            _ => None,
        }
    }
}

/// Setting up verification or development keys failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read operator keys {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("operator keys {path}: {message}")]
    Keys { path: String, message: String },
    #[error("cannot sign a token: {0}")]
    Sign(String),
}
