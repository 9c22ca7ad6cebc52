//! `giro.cmd.charge.create`, `giro.cmd.charge.cancel`, `giro.cmd.charge.refund` and
//! `giro.cmd.charge.capture`.

use giro_domain::charge::{self, ChargeCommand, ChargeDecider};
use giro_domain::money::parse_plain_decimal;
use giro_domain::payout::amount_rejection;
use giro_domain::{ErrorCode, EventMeta, OrderId, Rejection, wire};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::{about_order, executed, order_reply, parse_order_ref, with_correlation};
use crate::reply::Reply;
use crate::service::Intake;

pub(super) async fn create_charge(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
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
pub(super) async fn cancel_charge(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    let (id, reason) = parse_order_ref(body)?;
    on_charge(intake, id, ChargeCommand::Cancel { reason }, meta).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AmountRef {
    order_id: String,
    #[serde(default)]
    amount: Option<Value>,
    #[serde(default)]
    reason: Option<String>,
}

/// `giro.cmd.charge.refund {"order_id", "amount"?, "reason"?}`: a paid charge, at most what is
/// still refundable; no amount is all of it. The provider is asked by the executor.
pub(super) async fn refund_charge(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    with_amount(intake, body, meta, |amount, reason| ChargeCommand::Refund {
        amount,
        reason,
    })
    .await
}

/// `giro.cmd.charge.capture {"order_id", "amount"?, "reason"?}`: an authorised charge (created
/// with `capture: false`), at most its authorised total; no amount is all of it. A capture the
/// charge's state does not allow is refused in the reply. The provider is asked by the executor.
pub(super) async fn capture_charge(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    with_amount(intake, body, meta, |amount, reason| {
        ChargeCommand::Capture { amount, reason }
    })
    .await
}

/// `{"order_id", "amount"?, "reason"?}` as the charge command `command` makes of its amount and
/// reason, decided on the charge.
async fn with_amount(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
    command: impl FnOnce(Option<Decimal>, Option<String>) -> ChargeCommand,
) -> Result<Reply, Rejection> {
    let r: AmountRef = wire::typed(Value::Object(wire::parse_object(body)?), "")?;
    let id = r
        .order_id
        .parse()
        .map_err(|_| Rejection::at(ErrorCode::InvalidField, "order_id", "must be a UUID"))?;
    let amount = refund_amount(r.amount)?;
    on_charge(intake, id, command(amount, r.reason), meta).await
}

/// The refund's or capture's amount: a decimal string or a JSON number (exact, as [`wire::parse_object`]
/// guarantees), greater than zero; its precision and ceiling are the charge's to check.
fn refund_amount(amount: Option<Value>) -> Result<Option<Decimal>, Rejection> {
    let invalid = |why: String| Rejection::at(ErrorCode::InvalidField, "amount", why);
    let amount = match amount {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => match text.strip_prefix('-') {
            Some(_) => None,
            None => Some(parse_plain_decimal(&text).map_err(amount_rejection)?),
        },
        Some(Value::Number(n)) => Some(wire::number_decimal(&n).ok_or_else(|| {
            Rejection::at(
                ErrorCode::AmountOutOfRange,
                "amount",
                format!("{n} is beyond every provider's range"),
            )
        })?),
        Some(_) => {
            return Err(invalid(
                "must be a decimal string like \"50.00\" (a JSON number is accepted too)".into(),
            ));
        }
    };
    match amount {
        Some(a) if a > Decimal::ZERO => Ok(Some(a)),
        _ => Err(Rejection::at(
            ErrorCode::AmountOutOfRange,
            "amount",
            "must be greater than zero",
        )),
    }
}
