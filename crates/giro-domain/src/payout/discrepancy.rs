//! What a provider reported that does not fit the order: a report naming another attempt, and a
//! figure (amount, currency, fee, status) that differs from the order's. Both are kept on the
//! order as events and move nothing: a person decides what they mean.

use serde::{Deserialize, Serialize};

use super::event::ProviderReport;

/// Why a report does not belong to the order's current attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Unmatched {
    /// It names an attempt Giro never made.
    NeverMade,
    /// It names an earlier attempt, which a later one replaced.
    Superseded,
    /// It names the current attempt but a provider reference other than the one the provider
    /// accepted that attempt under: a second payment at the provider for one attempt.
    OtherReference,
}

/// A provider report that names an attempt other than the order's current one. It is kept on the
/// order and moves nothing: a person decides what it means (an exception).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnmatchedReport {
    pub reason: Unmatched,
    /// The order's attempt when the report arrived.
    pub current_attempt: u32,
    /// A success reported on an attempt Giro had replaced, or under another reference: the
    /// beneficiary may have been paid twice.
    pub possible_double_payment: bool,
    pub report: ProviderReport,
}

/// What a discrepancy is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancyField {
    Amount,
    Currency,
    Fee,
    Status,
}

/// Where a discrepancy was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancySource {
    /// In a provider report about the order (webhook, poll or the submit response).
    Report,
    /// In a provider's statement file (`giro reconcile --statement`).
    Statement,
}

/// The provider's figure differs from the order's: an exception for a person. The status still
/// follows what the provider reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Discrepancy {
    pub source: DiscrepancySource,
    /// The report (or statement line) it was found in.
    pub reference: String,
    pub field: DiscrepancyField,
    /// The order's value.
    pub expected: String,
    /// The provider's value.
    pub reported: String,
}
