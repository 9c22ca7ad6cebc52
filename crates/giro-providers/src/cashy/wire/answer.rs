//! Cashy's answers: the `{code, msg, data}` envelope, and the `data` of `payOut` and
//! `payOutQuery` with the statuses they report to Giro.

use giro_domain::payout::{ProviderReport, ReportSource};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::cashy::status::CashyStatus;
use crate::json;
use crate::report::report_id;

/// Every answer: `{code, msg, data}`; only `code == 200` is success.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default, deserialize_with = "json::opt_text")]
    pub code: Option<String>,
    #[serde(default)]
    pub msg: Option<String>,
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
}

/// `data` of a `payOut` answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayOutData {
    #[serde(default, deserialize_with = "json::opt_text")]
    pub merchant_id: Option<String>,
    #[serde(default)]
    pub mch_order_no: Option<String>,
    pub order_no: String,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub amount: Option<Decimal>,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub fee: Option<Decimal>,
    pub order_status: String,
}

/// `data` of a `payOutQuery` answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderData {
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
    /// `yyyy-MM-dd HH:mm:ss`, in a time zone Cashy does not state.
    #[serde(default)]
    pub completion_time: Option<String>,
    #[serde(default)]
    pub result_desc: Option<String>,
}

/// A status Cashy reported about order `order_no`, as Giro's report from `source`.
pub(super) fn report(
    order_no: &str,
    status: &str,
    result_desc: &Option<String>,
    fee: Option<Decimal>,
    source: ReportSource,
) -> ProviderReport {
    ProviderReport {
        source,
        raw_status: status.to_string(),
        outcome: CashyStatus::parse(status).outcome(),
        report_id: report_id(order_no, status),
        provider_ref: Some(order_no.to_string()),
        reason: result_desc.clone().filter(|d| !d.trim().is_empty()),
        fee,
        reported_at: None,
    }
}

impl PayOutData {
    /// The status in the `payOut` answer as a report.
    pub fn report(&self) -> ProviderReport {
        report(
            &self.order_no,
            &self.order_status,
            &None,
            None,
            ReportSource::SubmitResponse,
        )
    }
}

impl OrderData {
    /// The queried status as a report (`source` Poll).
    pub fn report(&self) -> ProviderReport {
        let (status, desc) = (&self.order_status, &self.result_desc);
        report(&self.order_no, status, desc, self.fee, ReportSource::Poll)
    }
}
