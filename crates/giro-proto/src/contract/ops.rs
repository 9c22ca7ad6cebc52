//! Operator actions (docs/CONTRACT.md §1 "Operator actions"): the bodies people's tools send to
//! `giro.cmd.ops.*` with the header `Authorization: Bearer <token>`, and the reply. Parsed by
//! giro-intake's private `handlers::ops`; these types stand in for it here.

use giro_domain::OrderId;
use giro_domain::payout::{Evidence, PayoutStatus, ResolvedOutcome};
use schemars::JsonSchema;
use serde::Deserialize;

use super::replies::Reply;

/// `giro.cmd.ops.payout.resolve`: settle a payout whose outcome is unknown with what the
/// provider shows for it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.ops.payout.resolve")]
pub struct OpsResolve {
    pub order_id: OrderId,
    /// Why, for whoever reads the payout's history (required, at most 2000 characters).
    pub reason: OpsText,
    pub evidence: Evidence,
    pub outcome: ResolvedOutcome,
}

/// `giro.cmd.ops.payout.retry`, `.release` and `.cancel`: the payout and why.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Operator action on a payout")]
pub struct OpsBecause {
    pub order_id: OrderId,
    /// Why, for whoever reads the payout's history (required, at most 2000 characters).
    pub reason: OpsText,
}

/// `giro.cmd.ops.payout.approve`: an approver lets a payout waiting for approval go.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.ops.payout.approve")]
pub struct OpsApprove {
    pub order_id: OrderId,
    /// Why, when the approver says (at most 2000 characters).
    #[serde(default)]
    pub reason: Option<OpsText>,
}

/// `giro.cmd.ops.payout.note`: a note on the payout's timeline.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.ops.payout.note")]
pub struct OpsNote {
    pub order_id: OrderId,
    pub text: OpsText,
}

/// `giro.cmd.ops.dead_letter.replay`: hand an executor's dead letter back to its executor.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.ops.dead_letter.replay")]
pub struct OpsReplay {
    /// The dead letter's sequence in stream GIRO_EVENTS_DLQ (an executor's, about a payout).
    pub dead_letter: u64,
    pub reason: OpsText,
}

/// A required free text: not blank, at most 2000 characters.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(extend("minLength" = 1, "maxLength" = 2000, "pattern" = "\\S"))]
pub struct OpsText(pub String);

/// An operator action was carried out.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OpsDone {
    #[schemars(extend("const" = true))]
    pub ok: bool,
    pub order_id: OrderId,
    /// The payout's status after the action.
    pub status: PayoutStatus,
    /// Who acted: the verified token's `sub`.
    pub by: String,
    /// The event types the action appended.
    pub events: Vec<String>,
}

/// Reply to every `giro.cmd.ops.*`.
pub type OpsReply = Reply<OpsDone>;
