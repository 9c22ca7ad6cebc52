//! One handler per command: parse, decide through the event log, reply.
//!
//! This module holds the endpoints, the dispatch and what every handler shares (log failures,
//! correlation, the order reply); the handlers are in `payout`, `batch` (payout batches),
//! `charge`, `beneficiary` and `order` (the query).

mod batch;
mod beneficiary;
mod charge;
mod ops;
mod order;
mod payout;
mod privacy;

use giro_domain::{Decider, ErrorCode, EventMeta, OrderId, Rejection, wire};
use giro_eventlog::{Error as LogError, ExecuteError, Executed};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::reply::Reply;
use crate::service::Intake;
use beneficiary::{register_beneficiary, remove_beneficiary, update_beneficiary};
use charge::{cancel_charge, capture_charge, create_charge, refund_charge};
use ops::OpsAction;
use order::get_order;
use payout::{cancel_payout, create_payout};

/// The service's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    PayoutCreate,
    PayoutCancel,
    PayoutBatchCreate,
    PayoutBatchAddItems,
    PayoutBatchCancel,
    ChargeCreate,
    ChargeCancel,
    ChargeRefund,
    ChargeCapture,
    BeneficiaryRegister,
    BeneficiaryUpdate,
    BeneficiaryRemove,
    PrivacyErase,
    OrderGet,
    /// A person's action (`cmd.ops.*`), with the operator's token.
    Ops(OpsAction),
}

impl Command {
    pub const ALL: [Command; 22] = [
        Command::PayoutCreate,
        Command::PayoutCancel,
        Command::PayoutBatchCreate,
        Command::PayoutBatchAddItems,
        Command::PayoutBatchCancel,
        Command::ChargeCreate,
        Command::ChargeCancel,
        Command::ChargeRefund,
        Command::ChargeCapture,
        Command::BeneficiaryRegister,
        Command::BeneficiaryUpdate,
        Command::BeneficiaryRemove,
        Command::PrivacyErase,
        Command::OrderGet,
        Command::Ops(OpsAction::Resolve),
        Command::Ops(OpsAction::Retry),
        Command::Ops(OpsAction::Release),
        Command::Ops(OpsAction::Cancel),
        Command::Ops(OpsAction::Note),
        Command::Ops(OpsAction::ReplayDeadLetter),
        Command::Ops(OpsAction::Approve),
        Command::Ops(OpsAction::Reject),
    ];

    /// The subject below the prefix.
    pub fn subject(self) -> &'static str {
        match self {
            Command::PayoutCreate => "cmd.payout.create",
            Command::PayoutCancel => "cmd.payout.cancel",
            Command::PayoutBatchCreate => "cmd.payout_batch.create",
            Command::PayoutBatchAddItems => "cmd.payout_batch.add_items",
            Command::PayoutBatchCancel => "cmd.payout_batch.cancel",
            Command::ChargeCreate => "cmd.charge.create",
            Command::ChargeCancel => "cmd.charge.cancel",
            Command::ChargeRefund => "cmd.charge.refund",
            Command::ChargeCapture => "cmd.charge.capture",
            Command::BeneficiaryRegister => "cmd.beneficiary.register",
            Command::BeneficiaryUpdate => "cmd.beneficiary.update",
            Command::BeneficiaryRemove => "cmd.beneficiary.remove",
            Command::PrivacyErase => "cmd.privacy.erase",
            Command::OrderGet => "query.order.get",
            Command::Ops(OpsAction::Resolve) => "cmd.ops.payout.resolve",
            Command::Ops(OpsAction::Retry) => "cmd.ops.payout.retry",
            Command::Ops(OpsAction::Release) => "cmd.ops.payout.release",
            Command::Ops(OpsAction::Cancel) => "cmd.ops.payout.cancel",
            Command::Ops(OpsAction::Note) => "cmd.ops.payout.note",
            Command::Ops(OpsAction::ReplayDeadLetter) => "cmd.ops.dead_letter.replay",
            Command::Ops(OpsAction::Approve) => "cmd.ops.payout.approve",
            Command::Ops(OpsAction::Reject) => "cmd.ops.payout.reject",
        }
    }

    /// The service-API endpoint name.
    pub fn endpoint_name(self) -> &'static str {
        match self {
            Command::PayoutCreate => "payout-create",
            Command::PayoutCancel => "payout-cancel",
            Command::PayoutBatchCreate => "payout-batch-create",
            Command::PayoutBatchAddItems => "payout-batch-add-items",
            Command::PayoutBatchCancel => "payout-batch-cancel",
            Command::ChargeCreate => "charge-create",
            Command::ChargeCancel => "charge-cancel",
            Command::ChargeRefund => "charge-refund",
            Command::ChargeCapture => "charge-capture",
            Command::BeneficiaryRegister => "beneficiary-register",
            Command::BeneficiaryUpdate => "beneficiary-update",
            Command::BeneficiaryRemove => "beneficiary-remove",
            Command::PrivacyErase => "privacy-erase",
            Command::OrderGet => "order-get",
            Command::Ops(OpsAction::Resolve) => "ops-payout-resolve",
            Command::Ops(OpsAction::Retry) => "ops-payout-retry",
            Command::Ops(OpsAction::Release) => "ops-payout-release",
            Command::Ops(OpsAction::Cancel) => "ops-payout-cancel",
            Command::Ops(OpsAction::Note) => "ops-payout-note",
            Command::Ops(OpsAction::ReplayDeadLetter) => "ops-dead-letter-replay",
            Command::Ops(OpsAction::Approve) => "ops-payout-approve",
            Command::Ops(OpsAction::Reject) => "ops-payout-reject",
        }
    }
}

/// Handles one request; never panics on any body.
pub async fn handle(intake: &Intake, command: Command, message: &async_nats::Message) -> Reply {
    let meta = EventMeta {
        correlation_id: message
            .headers
            .as_ref()
            .and_then(|h| h.get("Giro-Correlation-Id"))
            .map(|v| v.as_str().to_string())
            .unwrap_or_default(),
        causation_id: None,
    };
    let body = &message.payload;
    let result = match command {
        Command::PayoutCreate => match ops::requester(intake, message) {
            Ok(requester) => create_payout(intake, body, meta, requester).await,
            Err(refused) => Err(refused),
        },
        Command::PayoutCancel => cancel_payout(intake, body, meta).await,
        Command::PayoutBatchCreate => Ok(batch::create_batch(intake, body, meta).await),
        Command::PayoutBatchAddItems => Ok(batch::add_items(intake, body, meta).await),
        Command::PayoutBatchCancel => batch::cancel_batch(intake, body, meta).await,
        Command::ChargeCreate => create_charge(intake, body, meta).await,
        Command::ChargeCancel => cancel_charge(intake, body, meta).await,
        Command::ChargeRefund => refund_charge(intake, body, meta).await,
        Command::ChargeCapture => capture_charge(intake, body, meta).await,
        Command::BeneficiaryRegister => register_beneficiary(intake, body, meta).await,
        Command::BeneficiaryUpdate => update_beneficiary(intake, body, meta).await,
        Command::BeneficiaryRemove => remove_beneficiary(intake, body, meta).await,
        Command::PrivacyErase => privacy::erase(intake, body, meta).await,
        Command::OrderGet => get_order(intake, body).await,
        Command::Ops(action) => return ops::handle(intake, action, message, meta).await,
    };
    result.unwrap_or_else(Reply::failure)
}

pub(super) fn log_failure(e: LogError) -> Rejection {
    match &e {
        LogError::Corrupt { .. } => tracing::error!(error = %e, "event log corrupt"),
        _ => tracing::warn!(error = %e, "event log unavailable"),
    }
    Rejection::new(ErrorCode::Unavailable, e.to_string())
}

pub(super) fn executed<D: Decider>(
    r: Result<Executed<D>, ExecuteError>,
) -> Result<Executed<D>, Rejection> {
    r.map_err(|e| match e {
        ExecuteError::Rejected(r) => r,
        ExecuteError::Log(e) => log_failure(e),
    })
}

/// A refusal about the order a command names (no such order, or one that can no longer be
/// cancelled) points at `order_id`, as `giro.query.order.get` does for an unknown order.
pub(super) fn about_order(r: Rejection) -> Rejection {
    match r.code {
        ErrorCode::NotFound | ErrorCode::NotCancellable if r.field.is_none() => Rejection {
            field: Some("order_id".to_string()),
            ..r
        },
        _ => r,
    }
}

pub(super) fn with_correlation(mut meta: EventMeta, id: OrderId) -> EventMeta {
    if meta.correlation_id.is_empty() {
        meta.correlation_id = id.to_string();
    }
    meta
}

/// The reply to a command on an order: its id, its status after the command, and whether the
/// command was a repeat that appended nothing.
pub(super) fn order_reply<D: Decider>(
    id: OrderId,
    done: &Executed<D>,
    status: impl Serialize,
) -> Reply {
    Reply::success(fields(json!({
        "order_id": id,
        "status": status,
        "duplicate": done.appended.is_empty(),
    })))
}

pub(super) fn fields(pairs: Value) -> Map<String, Value> {
    match pairs {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderRef {
    order_id: String,
    #[serde(default)]
    reason: Option<String>,
}

pub(super) fn parse_order_ref(body: &[u8]) -> Result<(OrderId, Option<String>), Rejection> {
    let r: OrderRef = wire::typed(Value::Object(wire::parse_object(body)?), "")?;
    let id = r
        .order_id
        .parse()
        .map_err(|_| Rejection::at(ErrorCode::InvalidField, "order_id", "must be a UUID"))?;
    Ok((id, r.reason))
}
