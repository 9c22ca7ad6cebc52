//! The reply envelope of CONTRACT.md §1.

use giro_domain::{ErrorCode, Rejection};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{"ok": true, ...}` or `{"ok": false, "error": {"code", "message", "field"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Rejection>,
    /// The success fields (`order_id`, `status`, `duplicate`, …), flattened into the reply.
    #[serde(flatten)]
    pub body: Map<String, Value>,
}

impl Reply {
    pub fn success(body: Map<String, Value>) -> Self {
        Reply {
            ok: true,
            error: None,
            body,
        }
    }

    pub fn failure(rejection: Rejection) -> Self {
        Reply {
            ok: false,
            error: Some(rejection),
            body: Map::new(),
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Reply::failure(Rejection::new(ErrorCode::Unavailable, message))
    }

    /// The error code, if this is a failure.
    pub fn code(&self) -> Option<ErrorCode> {
        self.error.as_ref().map(|e| e.code)
    }

    /// A success field as a string.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.body.get(key).and_then(Value::as_str)
    }

    pub fn to_bytes(&self) -> bytes::Bytes {
        serde_json::to_vec(self)
            .unwrap_or_else(|_| b"{\"ok\":false}".to_vec())
            .into()
    }
}
