//! What set-up and operations exchange with KillB besides payouts and accounts: the bank list
//! (`GET /api/v2/banks`), webhook registrations (`POST /api/v2/webhooks`), pre-fund accounts
//! (`POST /api/v2/customers/pre-fund/create`).

use serde::{Deserialize, Serialize};

/// One bank of `GET /api/v2/banks?countryCode=CO`: `code` is what a PSE `bankCode` must be.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bank {
    pub code: String,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub country_code: Option<String>,
    #[serde(default)]
    pub trade_name: Option<String>,
}

/// `POST /api/v2/webhooks {url, secret, events}`. The secret is masked in `Debug`.
#[derive(Serialize)]
pub struct RegisterWebhook<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a [&'a str],
}

impl std::fmt::Debug for RegisterWebhook<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterWebhook")
            .field("url", &self.url)
            .field("secret", &"***")
            .field("events", &self.events)
            .finish()
    }
}

/// A webhook registration as KillB answers it (its secret is never read back).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    #[serde(default)]
    pub id: Option<String>,
    pub url: String,
    #[serde(default)]
    pub events: Vec<String>,
}

/// `POST /api/v2/customers/pre-fund/create {currency: COP|USD|USDC|USDT, network}`.
#[derive(Debug, Serialize)]
pub struct CreatePrefund<'a> {
    pub currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<&'a str>,
}

/// A pre-fund account as KillB answers its creation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prefund {
    pub id: String,
    pub currency: String,
    #[serde(default)]
    pub network: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// The filters of `GET /api/v2/payouts` (seed 000: `status`, `externalId`, `page`, `limit`;
/// public docs: `id`), answered as `{payouts, totalPage}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayoutQuery {
    pub status: Option<String>,
    pub external_id: Option<String>,
    pub id: Option<String>,
    /// From 1; KillB's default is 1.
    pub page: u32,
    /// KillB's default is 20.
    pub limit: u32,
}

impl PayoutQuery {
    /// The first page of 20, unfiltered.
    pub fn new() -> Self {
        PayoutQuery {
            page: 1,
            limit: 20,
            ..PayoutQuery::default()
        }
    }

    /// The query string pairs.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("page", self.page.max(1).to_string()),
            ("limit", self.limit.max(1).to_string()),
        ];
        let optional = [
            ("status", &self.status),
            ("externalId", &self.external_id),
            ("id", &self.id),
        ];
        pairs.extend(
            optional
                .into_iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (k, v.clone()))),
        );
        pairs
    }
}

/// The filters of `GET /api/v2/accounts` (seed 002: `ids`, `userId`, `type`, `accountNumber`,
/// `address`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountQuery {
    pub ids: Vec<String>,
    pub user_id: Option<String>,
    pub account_type: Option<String>,
    pub account_number: Option<String>,
    pub address: Option<String>,
}

impl AccountQuery {
    /// The query string pairs (`ids` comma separated).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if !self.ids.is_empty() {
            pairs.push(("ids", self.ids.join(",")));
        }
        let optional = [
            ("userId", &self.user_id),
            ("type", &self.account_type),
            ("accountNumber", &self.account_number),
            ("address", &self.address),
        ];
        pairs.extend(
            optional
                .into_iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (k, v.clone()))),
        );
        pairs
    }
}
