//! KillB's JSON, as it sends it.

use serde::Serialize;

use crate::json::Number;

/// `POST /api/v2/auth/login` and `/refresh`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenOut {
    pub access_token: String,
    /// Milliseconds.
    pub expires_in: u128,
    pub refresh_token: String,
}

/// One entry of `GET /api/v2/customers/balances`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BalanceOut {
    pub id: String,
    pub currency: String,
    /// A string with two decimals, `"10000000.00"`.
    pub amount: String,
    pub account_id: String,
}

/// A pre-fund account.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PrefundOut {
    pub id: String,
    pub currency: String,
    pub network: Option<String>,
    pub status: &'static str,
    pub amount: String,
    pub created_at: String,
}

/// A payout.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PayoutOut {
    pub id: String,
    pub amount: Number,
    pub currency: String,
    pub status: String,
    pub external_id: String,
    pub pre_fund_account_id: String,
    pub beneficiary: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /api/v2/payouts`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PayoutPage {
    pub payouts: Vec<PayoutOut>,
    pub total_page: usize,
}

/// One bank of `GET /api/v2/banks`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BankOut {
    pub code: &'static str,
    pub company_name: &'static str,
    pub country_code: &'static str,
    pub trade_name: &'static str,
}

/// A registered webhook.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WebhookOut {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: String,
}

/// The webhook envelope (PAYOUT with a payout, ACCOUNT with an account).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope<'a, T> {
    pub id: &'a str,
    pub event: &'static str,
    pub action: &'static str,
    pub data: &'a T,
    pub created_at: &'a str,
    pub updated_at: &'a str,
    pub attempts: u32,
}
