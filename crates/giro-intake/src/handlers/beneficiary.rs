//! `giro.cmd.beneficiary.register`, `giro.cmd.beneficiary.update` and
//! `giro.cmd.beneficiary.remove`.

use giro_domain::beneficiary::{self, ACCOUNTS_PROVIDER, BeneficiaryDecider, BeneficiaryStatus};
use giro_domain::{ErrorCode, EventMeta, OrderId, Rejection};
use serde_json::json;

use super::{executed, fields, with_correlation};
use crate::reply::Reply;
use crate::service::Intake;

pub(super) async fn register_beneficiary(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    let command = beneficiary::parse_register(body)?;
    let beneficiary::BeneficiaryCommand::Register { id, registration } = &command else {
        return Err(Rejection::new(
            ErrorCode::InvalidState,
            "not a registration",
        ));
    };
    intake
        .banks
        .lists()
        .check_account(ACCOUNTS_PROVIDER, &registration.data)?;
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

/// A refusal about the beneficiary a command names points at `beneficiary_id`.
fn about_beneficiary(r: Rejection) -> Rejection {
    match r.code {
        ErrorCode::NotFound if r.field.is_none() => Rejection {
            field: Some("beneficiary_id".to_string()),
            ..r
        },
        _ => r,
    }
}

/// Decides `command` for beneficiary `id`; replies with its status and whether it was a repeat.
async fn change(
    intake: &Intake,
    id: OrderId,
    command: beneficiary::BeneficiaryCommand,
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let meta = with_correlation(meta, id);
    let done = executed(
        intake
            .log
            .execute::<BeneficiaryDecider>(id, &command, &meta, false)
            .await,
    )
    .map_err(about_beneficiary)?;
    let Some(b) = done.order.state.as_ref() else {
        return Err(about_beneficiary(Rejection::new(
            ErrorCode::NotFound,
            "no such beneficiary",
        )));
    };
    Ok(Reply::success(fields(json!({
        "beneficiary_id": id,
        "status": b.status,
        "update_pending": b.pending_update.is_some(),
        "removal_pending": b.removal_requested,
        "duplicate": done.appended.is_empty(),
    }))))
}

pub(super) async fn update_beneficiary(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    let (id, changes, reason) = beneficiary::parse_update(body)?;
    intake
        .banks
        .lists()
        .check_changes(ACCOUNTS_PROVIDER, &changes)?;
    let command = beneficiary::BeneficiaryCommand::Update { changes, reason };
    change(intake, id, command, meta).await
}

pub(super) async fn remove_beneficiary(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    let (id, reason) = beneficiary::parse_remove(body)?;
    let command = beneficiary::BeneficiaryCommand::Remove { reason };
    change(intake, id, command, meta).await
}
