//! `giro.cmd.ops.*`: a person's actions on an order (CONTRACT.md §1 "Operator actions"). Each
//! needs a verified operator token with the `operator` role in the `Authorization` header; the
//! identity recorded is the token's, never a body field. Every request, allowed or refused, is
//! audited in `<stream>_AUDIT`.

use chrono::Utc;
use giro_auth::Role;
use giro_domain::payout::{
    DeadLetterRef, Evidence, OperatorAction, OperatorCommand, PayoutCommand, PayoutDecider,
    ResolvedOutcome,
};
use giro_domain::{ErrorCode, EventMeta, EventType, OrderId, OrderKind, Rejection, wire};
use giro_eventlog::{AuditOutcome, AuditRecord};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{about_order, executed, fields, with_correlation};
use crate::reply::Reply;
use crate::service::Intake;

/// The operator actions, each on `<prefix>.cmd.ops.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpsAction {
    Resolve,
    Retry,
    Release,
    Cancel,
    Note,
    ReplayDeadLetter,
    Approve,
    Reject,
}

impl OpsAction {
    /// The action's name: its subject below `<prefix>.cmd.ops.` and `<prefix>.audit.`.
    pub fn name(self) -> &'static str {
        match self {
            OpsAction::Resolve => "payout.resolve",
            OpsAction::Retry => "payout.retry",
            OpsAction::Release => "payout.release",
            OpsAction::Cancel => "payout.cancel",
            OpsAction::Note => "payout.note",
            OpsAction::ReplayDeadLetter => "dead_letter.replay",
            OpsAction::Approve => "payout.approve",
            OpsAction::Reject => "payout.reject",
        }
    }

    /// The role the action needs: deciding approvals is the approvers' (maker–checker).
    fn role(self) -> Role {
        match self {
            OpsAction::Approve | OpsAction::Reject => Role::Approver,
            _ => Role::Operator,
        }
    }
}

/// The operator who sent a command with a token (`payout.create` by a person), or none when a
/// service sent it without one. A token that does not verify is refused, never ignored.
pub(super) fn requester(
    intake: &Intake,
    message: &async_nats::Message,
) -> Result<Option<String>, Rejection> {
    let Some(header) = message
        .headers
        .as_ref()
        .and_then(|h| h.get(giro_auth::AUTHORIZATION_HEADER))
        .map(|v| v.as_str())
    else {
        return Ok(None);
    };
    let verifier = intake.operators.as_ref().ok_or_else(|| {
        Rejection::new(
            ErrorCode::Unauthorized,
            "a token came with the command but no operator keys are configured",
        )
    })?;
    let operator = verifier
        .require(Some(header), Role::Viewer)
        .map_err(|e| Rejection::new(e.code(), e.to_string()))?;
    Ok(Some(operator.id))
}

/// The header the executors' dead letters name their event's subject in.
const ORIGINAL_SUBJECT: &str = "Giro-Original-Subject";
const ORIGINAL_SEQUENCE: &str = "Giro-Original-Sequence";

/// Handles one operator request and audits it.
pub(super) async fn handle(
    intake: &Intake,
    action: OpsAction,
    message: &async_nats::Message,
    meta: EventMeta,
) -> Reply {
    let mut record = AuditRecord {
        at: Utc::now(),
        action: action.name().to_string(),
        operator: None,
        order_id: order_named(&message.payload),
        outcome: AuditOutcome::Refused,
        code: None,
        reason: None,
        events: vec![],
    };
    let result = act(intake, action, message, meta, &mut record).await;
    match &result {
        Ok(_) => record.outcome = AuditOutcome::Allowed,
        Err(r) => {
            record.code = Some(r.code.as_str().to_string());
            record.reason = Some(r.message.clone());
        }
    }
    if let Err(e) = intake.audit.append(&record).await {
        tracing::error!(error = %e, action = action.name(), "could not audit an operator action");
    }
    result.unwrap_or_else(Reply::failure)
}

async fn act(
    intake: &Intake,
    action: OpsAction,
    message: &async_nats::Message,
    meta: EventMeta,
    record: &mut AuditRecord,
) -> Result<Reply, Rejection> {
    let header = message
        .headers
        .as_ref()
        .and_then(|h| h.get(giro_auth::AUTHORIZATION_HEADER))
        .map(|v| v.as_str());
    let verifier = intake.operators.as_ref().ok_or_else(|| {
        Rejection::new(
            ErrorCode::Unauthorized,
            "no operator keys are configured (GIRO_OPERATOR_KEYS_FILE): operator actions are off",
        )
    })?;
    let operator = verifier.require(header, action.role()).map_err(|e| {
        record.operator = e.operator().map(str::to_string);
        Rejection::new(e.code(), e.to_string())
    })?;
    record.operator = Some(operator.id.clone());
    let (id, action) = parse(intake, action, &message.payload).await?;
    record.order_id = Some(id.to_string());
    record.reason = Some(reason_of(&action).to_string());
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let command = PayoutCommand::Operator(OperatorCommand {
        by: operator.id.clone(),
        action: action.clone(),
    });
    let meta = with_correlation(meta, id);
    let done = executed(
        intake
            .log
            .execute::<PayoutDecider>(id, &command, &meta, false)
            .await,
    )
    .map_err(about_order)?;
    record.events = done
        .appended
        .iter()
        .map(|e| e.event.event_type().to_string())
        .collect();
    if let OperatorAction::ReplayDeadLetter { dead_letter, .. } = &action {
        forget_dead_letter(intake, dead_letter.sequence).await;
    }
    let status = done.order.state.as_ref().map(|p| p.status.as_str());
    Ok(Reply::success(fields(json!({
        "order_id": id,
        "status": status,
        "by": operator.id,
        "events": record.events,
    }))))
}

fn reason_of(action: &OperatorAction) -> &str {
    match action {
        OperatorAction::Resolve { reason, .. }
        | OperatorAction::Retry { reason }
        | OperatorAction::Release { reason }
        | OperatorAction::Cancel { reason }
        | OperatorAction::ReplayDeadLetter { reason, .. } => reason,
        OperatorAction::Note { text } => text,
        OperatorAction::Approve { reason } => reason.as_deref().unwrap_or(""),
        OperatorAction::Reject { reason } => reason,
    }
}

/// The order a body names, read leniently, so that even a refused request's audit row says which
/// order it was about.
fn order_named(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value.get("order_id")?.as_str().map(str::to_string)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resolve {
    order_id: String,
    reason: String,
    evidence: Evidence,
    outcome: ResolvedOutcome,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Because {
    order_id: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Approve {
    order_id: String,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Note {
    order_id: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replay {
    /// The dead letter's sequence in `<stream>_DLQ`.
    dead_letter: u64,
    reason: String,
}

fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Rejection> {
    wire::typed(Value::Object(wire::parse_object(bytes)?), "")
}

fn order_id(text: &str) -> Result<OrderId, Rejection> {
    text.parse()
        .map_err(|_| Rejection::at(ErrorCode::InvalidField, "order_id", "must be a UUID"))
}

async fn parse(
    intake: &Intake,
    action: OpsAction,
    bytes: &[u8],
) -> Result<(OrderId, OperatorAction), Rejection> {
    let because = |bytes: &[u8]| -> Result<(OrderId, String), Rejection> {
        let b: Because = body(bytes)?;
        Ok((order_id(&b.order_id)?, b.reason))
    };
    Ok(match action {
        OpsAction::Resolve => {
            let r: Resolve = body(bytes)?;
            let action = OperatorAction::Resolve {
                reason: r.reason,
                evidence: r.evidence,
                outcome: r.outcome,
            };
            (order_id(&r.order_id)?, action)
        }
        OpsAction::Retry => {
            let (id, reason) = because(bytes)?;
            (id, OperatorAction::Retry { reason })
        }
        OpsAction::Release => {
            let (id, reason) = because(bytes)?;
            (id, OperatorAction::Release { reason })
        }
        OpsAction::Cancel => {
            let (id, reason) = because(bytes)?;
            (id, OperatorAction::Cancel { reason })
        }
        OpsAction::Approve => {
            let a: Approve = body(bytes)?;
            let action = OperatorAction::Approve { reason: a.reason };
            (order_id(&a.order_id)?, action)
        }
        OpsAction::Reject => {
            let (id, reason) = because(bytes)?;
            (id, OperatorAction::Reject { reason })
        }
        OpsAction::Note => {
            let n: Note = body(bytes)?;
            (
                order_id(&n.order_id)?,
                OperatorAction::Note { text: n.text },
            )
        }
        OpsAction::ReplayDeadLetter => {
            let r: Replay = body(bytes)?;
            let (id, dead_letter) = dead_letter(intake, r.dead_letter).await?;
            let action = OperatorAction::ReplayDeadLetter {
                reason: r.reason,
                dead_letter,
            };
            (id, action)
        }
    })
}

/// Reads an executor's dead letter and the payout it is about. Only executors' dead letters name
/// an order's event (`Giro-Original-Subject`); the event recorded on the order wakes the executor,
/// which carries on from the order's state, as a redelivery of the original would.
async fn dead_letter(
    intake: &Intake,
    sequence: u64,
) -> Result<(OrderId, DeadLetterRef), Rejection> {
    let config = intake.log.config();
    let missing = || {
        Rejection::at(
            ErrorCode::NotFound,
            "dead_letter",
            format!("no dead letter at sequence {sequence}"),
        )
    };
    let stream = intake
        .log
        .context()
        .get_stream(config.dead_letter_stream())
        .await
        .map_err(|e| Rejection::new(ErrorCode::Unavailable, e.to_string()))?;
    let message = stream.direct_get(sequence).await.map_err(|e| {
        use async_nats::jetstream::stream::DirectGetErrorKind;
        match e.kind() {
            DirectGetErrorKind::NotFound => missing(),
            _ => Rejection::new(ErrorCode::Unavailable, e.to_string()),
        }
    })?;
    let executors = format!("{}.dlq.executor.", config.prefix);
    if !message.subject.starts_with(&executors) {
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            "dead_letter",
            format!(
                "is on {}; only executors' dead letters ({executors}*) are replayed this way",
                message.subject
            ),
        ));
    }
    let header = |name: &str| message.headers.get(name).map(|v| v.as_str().to_string());
    let payouts = format!("{}.evt.{}.", config.prefix, OrderKind::Payout.as_str());
    let id = header(ORIGINAL_SUBJECT)
        .and_then(|s| s.strip_prefix(&payouts).and_then(|id| id.parse().ok()))
        .ok_or_else(|| {
            Rejection::at(
                ErrorCode::InvalidField,
                "dead_letter",
                "is not about a payout's event",
            )
        })?;
    let reference = DeadLetterRef {
        sequence,
        subject: message.subject.to_string(),
        original_sequence: header(ORIGINAL_SEQUENCE).and_then(|s| s.parse().ok()),
    };
    Ok((id, reference))
}

/// A replayed dead letter leaves `<stream>_DLQ` (its record is `payout.dead_letter_replayed`), so
/// the stream lists only what still waits for a person. Failing to remove it is harmless: a second
/// replay records a second event and wakes the executor again.
async fn forget_dead_letter(intake: &Intake, sequence: u64) {
    let name = intake.log.config().dead_letter_stream();
    let removed = match intake.log.context().get_stream(&name).await {
        Ok(stream) => stream
            .delete_message(sequence)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = removed {
        tracing::warn!(error = %e, sequence, "could not remove a replayed dead letter");
    }
}
