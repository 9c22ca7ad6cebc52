//! The requests that carry no payout: `payOutQuery` (by id) and the calls that need only a
//! nonce.

use serde::Serialize;

/// `POST /api/payOutQuery`: at least one id; `orderNo` is preferred when known.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryRequest<'a> {
    pub mch_order_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_no: Option<&'a str>,
    pub nonce_str: String,
}

/// `POST /api/bankListQuery` (and any call that needs only a nonce).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NonceRequest {
    pub nonce_str: String,
}
