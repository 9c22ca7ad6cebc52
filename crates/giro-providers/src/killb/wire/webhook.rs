//! Webhooks as KillB posts them: the envelope, its raw `data` kept until the event names it.

use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::account::Account;
use super::payout::Payout;

/// A webhook as KillB posts it: `{id, event: "PAYOUT", action: CREATE|UPDATE|DELETE, data,
/// createdAt, updatedAt, attempts}`. `data` is kept raw until the event says what it is; an
/// ACCOUNT's carries the holder's details, so `Debug` shows only its length.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEnvelope {
    pub id: String,
    pub event: String,
    #[serde(default)]
    pub action: Option<String>,
    pub data: Box<RawValue>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub attempts: Option<u32>,
}

impl fmt::Debug for WebhookEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookEnvelope")
            .field("id", &self.id)
            .field("event", &self.event)
            .field("action", &self.action)
            .field("data", &format_args!("<{} bytes>", self.data.get().len()))
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl WebhookEnvelope {
    /// Parses a webhook body (verify its signature first, on the same bytes).
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// `data` as a payout, for `event == "PAYOUT"`.
    pub fn payout(&self) -> Result<Payout, serde_json::Error> {
        serde_json::from_str(self.data.get())
    }

    /// `data` as a beneficiary account, for `event == "ACCOUNT"`.
    pub fn account(&self) -> Result<Account, serde_json::Error> {
        serde_json::from_str(self.data.get())
    }
}
