//! The pre-fund account balances (`GET /api/v2/customers/balances`).

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::json;

/// One entry of `GET /api/v2/customers/balances`; `amount` is a string decimal.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    #[serde(default)]
    pub id: Option<String>,
    pub currency: String,
    #[serde(deserialize_with = "json::decimal")]
    pub amount: Decimal,
    pub account_id: String,
}
