//! `giro.cmd.privacy.erase`: erase the personal data of a final payout or charge, or of a
//! beneficiary. The order records `*.personal_data_erased`, then its key is destroyed
//! (`giro_eventlog::keys`): from then on its personal fields read as `[erased]` everywhere while
//! its amounts, statuses and history stay. A repeat is `"duplicate": true`; a repeat after a
//! crash between the two steps destroys the key then.

use giro_domain::beneficiary::{BeneficiaryCommand, BeneficiaryDecider};
use giro_domain::charge::{ChargeCommand, ChargeDecider};
use giro_domain::payout::{PayoutCommand, PayoutDecider};
use giro_domain::{Decider, ErrorCode, EventMeta, OrderId, Rejection, wire};
use giro_eventlog::Executed;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{executed, fields, log_failure, with_correlation};
use crate::reply::Reply;
use crate::service::Intake;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseInput {
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    beneficiary_id: Option<String>,
    reason: String,
}

/// What an erasure names: a payout or charge, or a registered beneficiary.
enum Target {
    Order(OrderId),
    Beneficiary(OrderId),
}

fn parse(body: &[u8]) -> Result<(Target, String), Rejection> {
    let input: EraseInput = wire::typed(Value::Object(wire::parse_object(body)?), "")?;
    let id = |field: &str, v: String| {
        v.parse::<OrderId>()
            .map_err(|_| Rejection::at(ErrorCode::InvalidField, field, "must be a UUID"))
    };
    let target = match (input.order_id, input.beneficiary_id) {
        (Some(o), None) => Target::Order(id("order_id", o)?),
        (None, Some(b)) => Target::Beneficiary(id("beneficiary_id", b)?),
        (Some(_), Some(_)) => {
            return Err(Rejection::at(
                ErrorCode::InvalidField,
                "beneficiary_id",
                "name either order_id or beneficiary_id, not both",
            ));
        }
        (None, None) => {
            return Err(Rejection::at(
                ErrorCode::MissingField,
                "order_id",
                "is required (or beneficiary_id)",
            ));
        }
    };
    let reason = input.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            "reason",
            "must say why, in 1 to 500 characters",
        ));
    }
    Ok((target, reason))
}

pub(super) async fn erase(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    let (target, reason) = parse(body)?;
    match target {
        Target::Order(id) => {
            tracing::Span::current().record("order_id", tracing::field::display(id));
            let meta = with_correlation(meta, id);
            let log = &intake.log;
            if log
                .load::<PayoutDecider>(id)
                .await
                .map_err(log_failure)?
                .state
                .is_some()
            {
                let command = PayoutCommand::ErasePersonalData { reason };
                return erased::<PayoutDecider>(intake, id, "payout", &command, &meta).await;
            }
            if log
                .load::<ChargeDecider>(id)
                .await
                .map_err(log_failure)?
                .state
                .is_some()
            {
                let command = ChargeCommand::ErasePersonalData { reason };
                return erased::<ChargeDecider>(intake, id, "charge", &command, &meta).await;
            }
            Err(Rejection::at(
                ErrorCode::NotFound,
                "order_id",
                "no payout or charge has this id",
            ))
        }
        Target::Beneficiary(id) => {
            tracing::Span::current().record("order_id", tracing::field::display(id));
            let meta = with_correlation(meta, id);
            let command = BeneficiaryCommand::ErasePersonalData { reason };
            erased::<BeneficiaryDecider>(intake, id, "beneficiary", &command, &meta)
                .await
                .map_err(|r| match r.code {
                    ErrorCode::NotFound => Rejection::at(
                        ErrorCode::NotFound,
                        "beneficiary_id",
                        "no beneficiary has this id",
                    ),
                    _ => r,
                })
        }
    }
}

/// Records the erasure on the order (refused while it is not final), then destroys its key.
async fn erased<D: Decider>(
    intake: &Intake,
    id: OrderId,
    kind: &str,
    command: &D::Command,
    meta: &EventMeta,
) -> Result<Reply, Rejection> {
    let done: Executed<D> = executed(intake.log.execute::<D>(id, command, meta, false).await)?;
    let subject = intake.log.subject::<D>(id);
    intake
        .log
        .keys()
        .erase(&subject)
        .await
        .map_err(log_failure)?;
    tracing::info!(%id, kind, "personal data erased");
    Ok(Reply::success(fields(json!({
        "order_id": id,
        "kind": kind,
        "erased": true,
        "duplicate": done.appended.is_empty(),
    }))))
}
