//! One handler per command: parse, decide through the event log, reply.

use giro_domain::beneficiary::{self, BeneficiaryDecider, BeneficiaryStatus};
use giro_domain::charge::{self, ChargeCommand, ChargeDecider};
use giro_domain::payout::{self, BeneficiarySource, PayoutCommand, PayoutDecider};
use giro_domain::{Decider, ErrorCode, EventMeta, OrderId, Rejection, wire};
use giro_eventlog::{Error as LogError, ExecuteError, Executed, Loaded};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::reply::Reply;
use crate::service::Intake;

/// The service's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    PayoutCreate,
    PayoutCancel,
    ChargeCreate,
    ChargeCancel,
    ChargeRefund,
    BeneficiaryRegister,
    OrderGet,
}

impl Command {
    pub const ALL: [Command; 7] = [
        Command::PayoutCreate,
        Command::PayoutCancel,
        Command::ChargeCreate,
        Command::ChargeCancel,
        Command::ChargeRefund,
        Command::BeneficiaryRegister,
        Command::OrderGet,
    ];

    /// The subject below the prefix.
    pub fn subject(self) -> &'static str {
        match self {
            Command::PayoutCreate => "cmd.payout.create",
            Command::PayoutCancel => "cmd.payout.cancel",
            Command::ChargeCreate => "cmd.charge.create",
            Command::ChargeCancel => "cmd.charge.cancel",
            Command::ChargeRefund => "cmd.charge.refund",
            Command::BeneficiaryRegister => "cmd.beneficiary.register",
            Command::OrderGet => "query.order.get",
        }
    }

    /// The service-API endpoint name.
    pub fn endpoint_name(self) -> &'static str {
        match self {
            Command::PayoutCreate => "payout-create",
            Command::PayoutCancel => "payout-cancel",
            Command::ChargeCreate => "charge-create",
            Command::ChargeCancel => "charge-cancel",
            Command::ChargeRefund => "charge-refund",
            Command::BeneficiaryRegister => "beneficiary-register",
            Command::OrderGet => "order-get",
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
        Command::PayoutCreate => create_payout(intake, body, meta).await,
        Command::PayoutCancel => cancel_payout(intake, body, meta).await,
        Command::ChargeCreate => create_charge(intake, body, meta).await,
        Command::ChargeCancel => cancel_charge(intake, body, meta).await,
        Command::ChargeRefund => refund_charge(intake, body, meta).await,
        Command::BeneficiaryRegister => register_beneficiary(intake, body, meta).await,
        Command::OrderGet => get_order(intake, body).await,
    };
    result.unwrap_or_else(Reply::failure)
}

fn log_failure(e: LogError) -> Rejection {
    match &e {
        LogError::Corrupt { .. } => tracing::error!(error = %e, "event log corrupt"),
        _ => tracing::warn!(error = %e, "event log unavailable"),
    }
    Rejection::new(ErrorCode::Unavailable, e.to_string())
}

fn executed<D: Decider>(r: Result<Executed<D>, ExecuteError>) -> Result<Executed<D>, Rejection> {
    r.map_err(|e| match e {
        ExecuteError::Rejected(r) => r,
        ExecuteError::Log(e) => log_failure(e),
    })
}

/// A refusal about the order a command names (no such order, or one that can no longer be
/// cancelled) points at `order_id`, as `giro.query.order.get` does for an unknown order.
fn about_order(r: Rejection) -> Rejection {
    match r.code {
        ErrorCode::NotFound | ErrorCode::NotCancellable if r.field.is_none() => Rejection {
            field: Some("order_id".to_string()),
            ..r
        },
        _ => r,
    }
}

fn with_correlation(mut meta: EventMeta, id: OrderId) -> EventMeta {
    if meta.correlation_id.is_empty() {
        meta.correlation_id = id.to_string();
    }
    meta
}

/// The reply to a command on an order: its id, its status after the command, and whether the
/// command was a repeat that appended nothing.
fn order_reply<D: Decider>(id: OrderId, done: &Executed<D>, status: impl Serialize) -> Reply {
    Reply::success(fields(json!({
        "order_id": id,
        "status": status,
        "duplicate": done.appended.is_empty(),
    })))
}

fn fields(pairs: Value) -> Map<String, Value> {
    match pairs {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

async fn create_payout(intake: &Intake, body: &[u8], meta: EventMeta) -> Result<Reply, Rejection> {
    let draft = payout::parse_create(body)?;
    let registered = match &draft.beneficiary {
        BeneficiarySource::Inline(_) => None,
        BeneficiarySource::Registered(id) => Some(active_beneficiary(intake, *id).await?),
    };
    let id = draft.order_id;
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let create = draft.into_command(&intake.catalog, registered)?;
    let meta = with_correlation(meta, id);
    let done = executed(
        intake
            .log
            .execute::<PayoutDecider>(id, &PayoutCommand::Create(Box::new(create)), &meta, true)
            .await,
    )?;
    let status = done
        .order
        .state
        .as_ref()
        .map(|p| p.status.as_str())
        .unwrap_or("requested");
    Ok(order_reply(id, &done, status))
}

/// Loads a registered beneficiary and checks it may be paid (KillB ACTIVE, a payout rail).
async fn active_beneficiary(
    intake: &Intake,
    id: OrderId,
) -> Result<giro_domain::rail::PayoutBeneficiary, Rejection> {
    let loaded = intake
        .log
        .load::<BeneficiaryDecider>(id)
        .await
        .map_err(log_failure)?;
    let refuse = |m: String| Rejection::at(ErrorCode::InvalidBeneficiary, "beneficiary_id", m);
    let b = loaded
        .state
        .ok_or_else(|| refuse("no such registered beneficiary".into()))?;
    if b.status != BeneficiaryStatus::Active {
        return Err(refuse(format!(
            "beneficiary is {:?}; only ACTIVE beneficiaries may be paid",
            b.status
        )));
    }
    b.registration
        .data
        .as_payout_beneficiary(b.registration.account_type)
        .ok_or_else(|| {
            refuse(format!(
                "{:?} accounts cannot receive payouts; register a PSE account",
                b.registration.account_type
            ))
        })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderRef {
    order_id: String,
    #[serde(default)]
    reason: Option<String>,
}

fn parse_order_ref(body: &[u8]) -> Result<(OrderId, Option<String>), Rejection> {
    let r: OrderRef = wire::typed(Value::Object(wire::parse_object(body)?), "")?;
    let id = r
        .order_id
        .parse()
        .map_err(|_| Rejection::at(ErrorCode::InvalidField, "order_id", "must be a UUID"))?;
    Ok((id, r.reason))
}

async fn cancel_payout(intake: &Intake, body: &[u8], meta: EventMeta) -> Result<Reply, Rejection> {
    let (id, reason) = parse_order_ref(body)?;
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let meta = with_correlation(meta, id);
    let done = executed(
        intake
            .log
            .execute::<PayoutDecider>(id, &PayoutCommand::Cancel { reason }, &meta, false)
            .await,
    )
    .map_err(about_order)?;
    let status = done
        .order
        .state
        .as_ref()
        .map(|p| p.status.as_str())
        .unwrap_or("cancelled");
    Ok(order_reply(id, &done, status))
}

async fn create_charge(intake: &Intake, body: &[u8], meta: EventMeta) -> Result<Reply, Rejection> {
    let create = charge::parse_create(body, &intake.catalog)?;
    let id = create.order_id;
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let meta = with_correlation(meta, id);
    let done = executed(
        intake
            .log
            .execute::<ChargeDecider>(id, &ChargeCommand::Create(Box::new(create)), &meta, true)
            .await,
    )?;
    let status = done
        .order
        .state
        .as_ref()
        .map(|c| c.status.as_str())
        .unwrap_or("requested");
    Ok(order_reply(id, &done, status))
}

/// Carries out a command on an existing charge and replies with its status afterwards.
async fn on_charge(
    intake: &Intake,
    id: OrderId,
    command: ChargeCommand,
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let meta = with_correlation(meta, id);
    let done = executed(
        intake
            .log
            .execute::<ChargeDecider>(id, &command, &meta, false)
            .await,
    )
    .map_err(about_order)?;
    let status = done
        .order
        .state
        .as_ref()
        .map(|c| c.status.as_str())
        .unwrap_or("requested");
    Ok(order_reply(id, &done, status))
}

/// `giro.cmd.charge.cancel {"order_id", "reason"?}`: at once while no provider has the charge,
/// else asked of the provider (the reply's status is then still the charge's current one).
async fn cancel_charge(intake: &Intake, body: &[u8], meta: EventMeta) -> Result<Reply, Rejection> {
    let (id, reason) = parse_order_ref(body)?;
    on_charge(intake, id, ChargeCommand::Cancel { reason }, meta).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundRef {
    order_id: String,
    #[serde(default)]
    amount: Option<Value>,
    #[serde(default)]
    reason: Option<String>,
}

/// `giro.cmd.charge.refund {"order_id", "amount"?, "reason"?}`: a paid charge, at most what is
/// still refundable; no amount is all of it. The provider is asked by the executor.
async fn refund_charge(intake: &Intake, body: &[u8], meta: EventMeta) -> Result<Reply, Rejection> {
    let r: RefundRef = wire::typed(Value::Object(wire::parse_object(body)?), "")?;
    let id = r
        .order_id
        .parse()
        .map_err(|_| Rejection::at(ErrorCode::InvalidField, "order_id", "must be a UUID"))?;
    let invalid = |why: String| Rejection::at(ErrorCode::InvalidField, "amount", why);
    let amount = match r.amount {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            return Err(invalid(
                "must be a decimal string like \"50.00\" (a JSON number is accepted too)".into(),
            ));
        }
    };
    let amount = match amount {
        None => None,
        Some(text) => match text.strip_prefix('-') {
            Some(_) => {
                return Err(Rejection::at(
                    ErrorCode::AmountOutOfRange,
                    "amount",
                    "must be positive",
                ));
            }
            None => Some(
                giro_domain::money::parse_plain_decimal(&text)
                    .map_err(|e| invalid(e.to_string()))?,
            ),
        },
    };
    let command = ChargeCommand::Refund {
        amount,
        reason: r.reason,
    };
    on_charge(intake, id, command, meta).await
}

async fn register_beneficiary(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    let command = beneficiary::parse_register(body)?;
    let beneficiary::BeneficiaryCommand::Register { id, .. } = &command else {
        return Err(Rejection::new(
            ErrorCode::InvalidState,
            "not a registration",
        ));
    };
    let id = *id;
    let meta = with_correlation(meta, id);
    let done = executed(
        intake
            .log
            .execute::<BeneficiaryDecider>(id, &command, &meta, true)
            .await,
    )?;
    let status = done
        .order
        .state
        .as_ref()
        .map(|b| b.status)
        .unwrap_or(BeneficiaryStatus::Pending);
    Ok(Reply::success(fields(json!({
        "beneficiary_id": id,
        "status": status,
        "duplicate": done.appended.is_empty(),
    }))))
}

/// An order's state and history, masked, rebuilt from its events.
fn order_view<D: Decider>(
    kind: &str,
    loaded: &Loaded<D>,
    status: &str,
    masked: impl Fn(&D::Event) -> Value,
) -> Map<String, Value> {
    let history: Vec<Value> = loaded
        .events
        .iter()
        .map(|e| {
            json!({
                "version": e.version,
                "type": giro_domain::EventType::event_type(&e.event),
                "at": e.at,
                "data": masked(&e.event),
            })
        })
        .collect();
    let first = loaded.events.first();
    fields(json!({
        "order_id": first.map(|e| e.order_id),
        "kind": kind,
        "status": status,
        "version": loaded.version(),
        "created_at": first.map(|e| e.at),
        "updated_at": loaded.events.last().map(|e| e.at),
        "history": history,
    }))
}

async fn get_order(intake: &Intake, body: &[u8]) -> Result<Reply, Rejection> {
    let (id, _) = parse_order_ref(body)?;
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let log = &intake.log;
    let payout = log.load::<PayoutDecider>(id).await.map_err(log_failure)?;
    if let Some(p) = &payout.state {
        let mut view = order_view("payout", &payout, p.status.as_str(), |e| e.masked_data());
        view.insert(
            "order".into(),
            json!({
                "provider": p.request.provider,
                "amount": p.request.money.amount().to_string(),
                "currency": p.request.money.currency(),
                "external_id": p.request.external_id,
                "idempotency_key": p.request.idempotency_key,
                "beneficiary": p.request.beneficiary.masked(),
                "attempt": p.attempt,
                "outcome_unknown": p.outcome_unknown,
                "provider_ref": p.provider_ref,
                "fee": p.fee.map(|f| f.to_string()),
                "failure": p.failure,
                "status_since": p.status_since,
            }),
        );
        return Ok(Reply::success(view));
    }
    let charge = log.load::<ChargeDecider>(id).await.map_err(log_failure)?;
    if let Some(c) = &charge.state {
        let mut view = order_view("charge", &charge, c.status.as_str(), |e| e.masked_data());
        view.insert(
            "order".into(),
            json!({
                "provider": c.request.provider,
                "amount": c.request.money.amount().to_string(),
                "currency": c.request.money.currency(),
                "installment_count": c.request.installment_count,
                "method": c.request.method,
            }),
        );
        return Ok(Reply::success(view));
    }
    let beneficiary = log
        .load::<BeneficiaryDecider>(id)
        .await
        .map_err(log_failure)?;
    if let Some(b) = &beneficiary.state {
        let status = serde_json::to_value(b.status).ok();
        let status = status.as_ref().and_then(Value::as_str).unwrap_or("PENDING");
        let view = order_view("beneficiary", &beneficiary, status, |e| e.masked_data());
        return Ok(Reply::success(view));
    }
    Err(Rejection::at(
        ErrorCode::NotFound,
        "order_id",
        "no order has this id",
    ))
}
