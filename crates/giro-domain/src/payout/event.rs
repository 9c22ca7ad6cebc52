//! Payout events (CONTRACT.md §2). Each variant's serde name is its public event type.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::attempts::{ProviderWaitAnnounced, Resent};
use crate::envelope::EventType;
use crate::ids::{IdempotencyKey, OrderId, ProviderId};
use crate::money::Money;
pub use crate::privacy::PersonalDataErased;
use crate::rail::PayoutBeneficiary;

pub use super::discrepancy::{
    Discrepancy, DiscrepancyField, DiscrepancySource, Unmatched, UnmatchedReport,
};
pub use super::operator::{
    DeadLetterRef, DeadLetterReplayed, Evidence, NoteAdded, OutcomeResolved, Released,
    ResolvedOutcome, Retried,
};

/// Everything that can happen to a payout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "data")]
pub enum PayoutEvent {
    #[serde(rename = "payout.requested")]
    Requested(Arc<PayoutRequested>),
    #[serde(rename = "payout.held")]
    Held(Held),
    #[serde(rename = "payout.became_due")]
    BecameDue(BecameDue),
    #[serde(rename = "payout.submission_started")]
    SubmissionStarted(SubmissionStarted),
    #[serde(rename = "payout.submitted")]
    Submitted(Submitted),
    #[serde(rename = "payout.submission_failed")]
    SubmissionFailed(SubmissionFailed),
    #[serde(rename = "payout.outcome_unknown")]
    OutcomeUnknown(OutcomeUnknown),
    #[serde(rename = "payout.provider_wait_announced")]
    ProviderWaitAnnounced(ProviderWaitAnnounced),
    #[serde(rename = "payout.resent")]
    Resent(Resent),
    #[serde(rename = "payout.provider_status")]
    ProviderStatus(ProviderReport),
    #[serde(rename = "payout.succeeded")]
    Succeeded(Succeeded),
    #[serde(rename = "payout.failed")]
    Failed(Failure),
    #[serde(rename = "payout.reversed")]
    Reversed(Failure),
    #[serde(rename = "payout.refunded")]
    Refunded(Refunded),
    #[serde(rename = "payout.cancelled")]
    Cancelled(Cancelled),
    #[serde(rename = "payout.report_unmatched")]
    ReportUnmatched(UnmatchedReport),
    #[serde(rename = "payout.discrepancy")]
    Discrepancy(Discrepancy),
    #[serde(rename = "payout.personal_data_erased")]
    PersonalDataErased(PersonalDataErased),
    #[serde(rename = "payout.approved")]
    Approved(crate::approvals::Approved),
    #[serde(rename = "payout.approval_rejected")]
    ApprovalRejected(crate::approvals::ApprovalRejected),
    #[serde(rename = "payout.approval_expired")]
    ApprovalExpired(crate::approvals::ApprovalExpired),
    #[serde(rename = "payout.rerouted")]
    Rerouted(super::failover::Rerouted),
    #[serde(rename = "payout.outcome_resolved")]
    OutcomeResolved(OutcomeResolved),
    #[serde(rename = "payout.retried")]
    Retried(Retried),
    #[serde(rename = "payout.released")]
    Released(Released),
    #[serde(rename = "payout.dead_letter_replayed")]
    DeadLetterReplayed(DeadLetterReplayed),
    #[serde(rename = "payout.note_added")]
    NoteAdded(NoteAdded),
}

impl EventType for PayoutEvent {
    fn event_type(&self) -> &'static str {
        match self {
            PayoutEvent::Requested(_) => "payout.requested",
            PayoutEvent::Held(_) => "payout.held",
            PayoutEvent::BecameDue(_) => "payout.became_due",
            PayoutEvent::SubmissionStarted(_) => "payout.submission_started",
            PayoutEvent::Submitted(_) => "payout.submitted",
            PayoutEvent::SubmissionFailed(_) => "payout.submission_failed",
            PayoutEvent::OutcomeUnknown(_) => "payout.outcome_unknown",
            PayoutEvent::ProviderWaitAnnounced(_) => "payout.provider_wait_announced",
            PayoutEvent::Resent(_) => "payout.resent",
            PayoutEvent::ProviderStatus(_) => "payout.provider_status",
            PayoutEvent::Succeeded(_) => "payout.succeeded",
            PayoutEvent::Failed(_) => "payout.failed",
            PayoutEvent::Reversed(_) => "payout.reversed",
            PayoutEvent::Refunded(_) => "payout.refunded",
            PayoutEvent::Cancelled(_) => "payout.cancelled",
            PayoutEvent::ReportUnmatched(_) => "payout.report_unmatched",
            PayoutEvent::Discrepancy(_) => "payout.discrepancy",
            PayoutEvent::PersonalDataErased(_) => "payout.personal_data_erased",
            PayoutEvent::Approved(_) => "payout.approved",
            PayoutEvent::ApprovalRejected(_) => "payout.approval_rejected",
            PayoutEvent::ApprovalExpired(_) => "payout.approval_expired",
            PayoutEvent::Rerouted(_) => "payout.rerouted",
            PayoutEvent::OutcomeResolved(_) => "payout.outcome_resolved",
            PayoutEvent::Retried(_) => "payout.retried",
            PayoutEvent::Released(_) => "payout.released",
            PayoutEvent::DeadLetterReplayed(_) => "payout.dead_letter_replayed",
            PayoutEvent::NoteAdded(_) => "payout.note_added",
        }
    }

    fn is_failure(&self) -> bool {
        matches!(
            self,
            PayoutEvent::SubmissionFailed(_) | PayoutEvent::Failed(_)
        )
    }
}

impl PayoutEvent {
    /// Whether the event's whole point is a status change: one the transition table forbids
    /// marks a corrupt log, and `evolve` and the read models then apply nothing of it.
    pub fn moves_status(&self) -> bool {
        matches!(
            self,
            PayoutEvent::Held(_)
                | PayoutEvent::BecameDue(_)
                | PayoutEvent::SubmissionStarted(_)
                | PayoutEvent::Succeeded(_)
                | PayoutEvent::Failed(_)
                | PayoutEvent::Reversed(_)
                | PayoutEvent::Refunded(_)
                | PayoutEvent::Cancelled(_)
                | PayoutEvent::Approved(_)
                | PayoutEvent::ApprovalRejected(_)
                | PayoutEvent::ApprovalExpired(_)
                | PayoutEvent::Retried(_)
                | PayoutEvent::Released(_)
        )
    }

    /// The event's data with personal fields masked: what timelines, logs and query replies show.
    pub fn masked_data(&self) -> Value {
        match self {
            PayoutEvent::Requested(r) => {
                let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("beneficiary".into(), r.beneficiary.masked());
                }
                v
            }
            other => match serde_json::to_value(other) {
                Ok(Value::Object(mut obj)) => obj.remove("data").unwrap_or(Value::Null),
                _ => Value::Null,
            },
        }
    }
}

/// An accepted payout order, with everything the executor needs to submit it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PayoutRequested {
    pub idempotency_key: IdempotencyKey,
    /// SHA-256 of the caller's request, canonicalised: a repeat with another body is a conflict.
    pub fingerprint: String,
    pub provider: ProviderId,
    #[serde(flatten)]
    pub money: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub beneficiary: PayoutBeneficiary,
    /// The registered beneficiary the details were taken from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary_id: Option<OrderId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// How routing chose `provider` when the caller named none: the rule and its candidates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<crate::routing::RouteDecision>,
    /// When the caller wants the payout made (`execute_at`): until then it is `scheduled`, and
    /// no provider sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execute_at: Option<DateTime<Utc>>,
    /// Set when an approval rule or velocity limit caught the payout: it is `pending_approval`
    /// until an approver decides (see [`crate::approvals`]). Not part of the fingerprint: the same
    /// request repeated is the same payout whatever the policy says now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<crate::approvals::ApprovalRequired>,
    /// The payout batch (`giro.cmd.payout_batch.create`) the payout is an item of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<OrderId>,
}

/// A scheduled payout's time came: from here on it is made like any requested payout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BecameDue {
    /// The `execute_at` it was scheduled for.
    pub execute_at: DateTime<Utc>,
}

/// Waiting for funds (KillB pre-fund balance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Held {
    pub reason: String,
}

/// The claim of one executor on one submission attempt; appended before the provider is called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SubmissionStarted {
    pub attempt: u32,
    /// The provider idempotency handle of this attempt (see `SubmissionHandle`).
    pub handle: String,
}

/// The provider accepted the attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Submitted {
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_status: Option<String>,
}

/// The provider definitely did not take the attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SubmissionFailed {
    pub attempt: u32,
    pub code: String,
    pub message: String,
    /// Whether another attempt may be made (busy, maintenance, rate limited, 5xx before sending).
    pub retryable: bool,
}

/// The attempt may or may not have reached the provider; only a query may resolve it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OutcomeUnknown {
    pub attempt: u32,
    pub reason: String,
}

/// Where a provider report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportSource {
    Webhook,
    Poll,
    SubmitResponse,
}

/// What a provider status means for the payout. Statuses a provider adds later, that Giro does not
/// know, are `Unknown`: recorded, never acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportedOutcome {
    InFlight,
    Succeeded,
    Failed,
    Refunded,
    Unknown,
}

/// One provider report (webhook or poll), with the provider's raw status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProviderReport {
    pub source: ReportSource,
    pub raw_status: String,
    pub outcome: ReportedOutcome,
    /// The provider's identity for this report; a report seen before is not recorded again.
    pub report_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::DecimalString>")
    )]
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_decimal")]
    pub fee: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_at: Option<DateTime<Utc>>,
    /// The attempt the report names (read from the submission handle it carries, or the attempt a
    /// poll asked about); `None` when it names none, taken as the current attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// The amount and currency the provider says it moved, as it wrote them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<ReportedAmount>,
    /// When the provider says the payout completed, as it wrote it (Cashy `completionTime`,
    /// `yyyy-MM-dd HH:mm:ss` in a time zone its pages do not state; KillB `updatedAt` of a final
    /// status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// The reference of the payment in the bank or wallet network (Cashy `channelOrderNo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_ref: Option<String>,
}

impl ProviderReport {
    /// The amount the report says the provider moved, when it states one in `currency` (or names
    /// no currency, as Cashy does: one per merchant account).
    pub fn amount_in(&self, currency: crate::money::Currency) -> Option<Decimal> {
        let reported = self.amount.as_ref()?;
        let same = reported
            .currency
            .as_deref()
            .is_none_or(|c| c.trim().eq_ignore_ascii_case(currency.code()));
        (same && reported.amount > Decimal::ZERO).then_some(reported.amount)
    }

    /// A report with only what every provider says: its status, what it means, and its id. The
    /// optional facts are set field by field.
    pub fn new(
        source: ReportSource,
        raw_status: impl Into<String>,
        outcome: ReportedOutcome,
        report_id: impl Into<String>,
    ) -> ProviderReport {
        ProviderReport {
            source,
            raw_status: raw_status.into(),
            outcome,
            report_id: report_id.into(),
            provider_ref: None,
            reason: None,
            fee: None,
            reported_at: None,
            attempt: None,
            amount: None,
            completed_at: None,
            channel_ref: None,
        }
    }
}

/// An amount as a provider reported it: exact, and in the currency it named, kept as written so
/// that a currency Giro does not move is still seen and compared. `None` when the provider does
/// not state one (Cashy: one currency per merchant account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReportedAmount {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::DecimalString"))]
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// The money arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Succeeded {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<crate::schema::DecimalString>")
    )]
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_decimal")]
    pub fee: Option<Decimal>,
}

/// Why a payout failed, or why a success was reversed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Failure {
    pub code: String,
    pub message: String,
}

/// The provider returned the money to the pre-fund balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Refunded {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Cancelled before it reached a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Cancelled {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The operator who cancelled it (`giro.cmd.ops.payout.cancel`); absent when the caller that
    /// created it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// Optional decimals as strings, like every amount in Giro.
mod opt_decimal {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| Decimal::from_str_exact(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}
