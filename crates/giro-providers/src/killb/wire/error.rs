//! KillB's error body, whose echoed arguments are masked in `Debug`.

use std::fmt;

use serde::Deserialize;

use crate::http::mask_text;

/// `{errorCode, message: [...], statusCode, arguments: [{key, value}]}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub message: Option<Messages>,
    #[serde(default)]
    pub status_code: Option<serde_json::Value>,
    #[serde(default)]
    pub arguments: Vec<Argument>,
}

/// `message` is a list in the docs; a single string is accepted too.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Messages {
    Many(Vec<String>),
    One(String),
}

impl Messages {
    /// The messages on one line.
    pub fn joined(&self) -> String {
        match self {
            Messages::Many(list) => list.join("; "),
            Messages::One(one) => one.clone(),
        }
    }
}

/// One `{key, value}` of `arguments`. The value may echo the request: its `Debug` is masked.
#[derive(Deserialize)]
pub struct Argument {
    pub key: String,
    #[serde(default)]
    pub value: serde_json::Value,
}

impl fmt::Debug for Argument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Argument")
            .field("key", &self.key)
            .field("value", &mask_text(&self.value.to_string()))
            .finish()
    }
}
