//! Callbacks to `notifyUrl`, as the webhook ingress parses them.

use giro_domain::payout::{ProviderReport, ReportSource};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::answer::{Said, report};
use crate::json;

/// A callback to `notifyUrl`: the query data plus `nonceStr` and `payType`, signed like a request
/// (verify `Sign` over the raw bytes before parsing).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Callback {
    #[serde(default, deserialize_with = "json::opt_text")]
    pub merchant_id: Option<String>,
    #[serde(default)]
    pub mch_order_no: Option<String>,
    pub order_no: String,
    #[serde(default)]
    pub channel_order_no: Option<String>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub amount: Option<Decimal>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub fee: Option<Decimal>,
    pub order_status: String,
    #[serde(default)]
    pub completion_time: Option<String>,
    #[serde(default)]
    pub result_desc: Option<String>,
    #[serde(default, deserialize_with = "json::opt_text")]
    pub nonce_str: Option<String>,
    #[serde(default, deserialize_with = "json::opt_text")]
    pub pay_type: Option<String>,
}

impl Callback {
    /// Parses a callback body (after its `Sign` was verified on the same bytes).
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The announced status as a report (`source` Webhook); the same status polled gives the same
    /// `report_id`.
    pub fn report(&self) -> ProviderReport {
        let said = Said {
            order_no: &self.order_no,
            status: &self.order_status,
            result_desc: &self.result_desc,
            amount: self.amount,
            fee: self.fee,
            completion_time: &self.completion_time,
            channel_order_no: &self.channel_order_no,
        };
        report(said, ReportSource::Webhook)
    }
}
