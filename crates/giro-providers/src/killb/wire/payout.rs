//! Payouts as KillB returns them (create, get, list, webhook `data`) and what they report to
//! Giro.

use chrono::{DateTime, Utc};
use giro_domain::payout::{ProviderReport, ReportSource, ReportedAmount, ReportedOutcome};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::json;
use crate::killb::status::KillbStatus;
use crate::report::report_id;

/// A payout as KillB returns it (create, get, list, webhook `data`). The beneficiary is not read:
/// Giro has it already, and personal data is not kept where it is not needed.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payout {
    pub id: String,
    pub status: String,
    #[serde(default, deserialize_with = "json::opt_decimal")]
    pub amount: Option<Decimal>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub pre_fund_account_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl Payout {
    /// The status, parsed (unknown ones included).
    pub fn status(&self) -> KillbStatus {
        KillbStatus::parse(&self.status)
    }

    /// The payout's current status as a report from `source`; a poll and a webhook of the same
    /// status give the same `report_id`.
    pub fn report(&self, source: ReportSource) -> ProviderReport {
        let status = self.status();
        let mut report = ProviderReport::new(
            source,
            self.status.clone(),
            status.outcome(),
            report_id(&self.id, &self.status),
        );
        report.provider_ref = Some(self.id.clone());
        report.reason = status.explanation().map(str::to_string);
        report.reported_at = self
            .updated_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        report.amount = self.amount.map(|amount| ReportedAmount {
            amount,
            currency: self.currency.clone(),
        });
        if status.outcome() == ReportedOutcome::Succeeded {
            report.completed_at.clone_from(&self.updated_at);
        }
        report
    }
}

/// `GET /api/v2/payouts?...`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutPage {
    #[serde(default)]
    pub payouts: Vec<Payout>,
    #[serde(default)]
    pub total_page: Option<u64>,
}
