//! Cashy's answers: the `{code, msg, data}` envelope, the `data` of `payOut` and `payOutQuery`
//! with the statuses they report to Giro, and the `data` of `getBalance`.

use giro_domain::payout::{ProviderReport, ReportSource, ReportedAmount};
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

/// `data` of a `getBalance` answer (public docs): the merchant's available `balance` and the
/// amount held for payouts in flight (`unBalance`), numbers or strings like every Cashy amount.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceData {
    #[serde(default, deserialize_with = "json::opt_text")]
    pub mch_id: Option<String>,
    #[serde(deserialize_with = "json::decimal")]
    pub balance: Decimal,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub un_balance: Option<Decimal>,
}

/// What Cashy says about one order, in any of its answers and callbacks.
pub(super) struct Said<'a> {
    pub order_no: &'a str,
    pub status: &'a str,
    pub result_desc: &'a Option<String>,
    pub amount: Option<Decimal>,
    pub fee: Option<Decimal>,
    pub completion_time: &'a Option<String>,
    pub channel_order_no: &'a Option<String>,
}

/// A status Cashy reported about an order, as Giro's report from `source`. Cashy states no
/// currency (one per merchant account) and writes `completionTime` without a time zone; both are
/// kept as written. Empty strings are absent values.
pub(super) fn report(said: Said<'_>, source: ReportSource) -> ProviderReport {
    let text = |v: &Option<String>| v.clone().filter(|d| !d.trim().is_empty());
    let mut report = ProviderReport::new(
        source,
        said.status,
        CashyStatus::parse(said.status).outcome(),
        report_id(said.order_no, said.status),
    );
    report.provider_ref = Some(said.order_no.to_string());
    report.reason = text(said.result_desc);
    report.fee = said.fee;
    report.amount = said.amount.map(|amount| ReportedAmount {
        amount,
        currency: None,
    });
    report.completed_at = text(said.completion_time);
    report.channel_ref = text(said.channel_order_no);
    report
}

impl PayOutData {
    /// The status in the `payOut` answer as a report.
    pub fn report(&self) -> ProviderReport {
        let said = Said {
            order_no: &self.order_no,
            status: &self.order_status,
            result_desc: &None,
            amount: self.amount,
            fee: self.fee,
            completion_time: &None,
            channel_order_no: &None,
        };
        report(said, ReportSource::SubmitResponse)
    }
}

impl OrderData {
    /// The queried status as a report (`source` Poll).
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
        report(said, ReportSource::Poll)
    }
}
