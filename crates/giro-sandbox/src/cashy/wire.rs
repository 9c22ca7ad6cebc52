//! Cashy's JSON, as it sends it.

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::json::Number;

/// `data` of a `payOut` answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedData {
    pub merchant_id: String,
    pub mch_order_no: String,
    pub order_no: String,
    pub amount: Amount,
    pub fee: Amount,
    pub order_status: &'static str,
}

/// `data` of a `payOutQuery` answer; with `nonceStr` and `payType` set it is the callback body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderData {
    pub merchant_id: String,
    pub mch_order_no: String,
    pub order_no: String,
    pub channel_order_no: String,
    pub amount: Amount,
    pub fee: Option<Amount>,
    pub order_status: &'static str,
    pub completion_time: Option<String>,
    pub result_desc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_str: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_type: Option<&'static str>,
}

/// `data` of a `getBalance` answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BalanceData {
    pub mch_id: String,
    pub balance: Amount,
    pub un_balance: Amount,
}

/// A decimal written either as a JSON number or as a JSON string, as Cashy does from one
/// message to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Amount {
    /// `60000.00`
    Number(Decimal),
    /// `"60000"`
    Text(Decimal),
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Number(value) => Number(*value).serialize(serializer),
            Self::Text(value) => serializer.serialize_str(&value.to_string()),
        }
    }
}
