//! `giro.cmd.payout.create` and `giro.cmd.payout.cancel`.

use giro_domain::approvals::{Velocity, velocity_key};
use giro_domain::beneficiary::{BeneficiaryDecider, BeneficiaryStatus};
use giro_domain::payout::{self, BeneficiarySource, PayoutCommand, PayoutDecider};
use giro_domain::{ErrorCode, EventMeta, OrderId, Rejection};
use giro_eventlog::{Executed, Reserved, VelocityStore};

use super::{about_order, executed, log_failure, order_reply, parse_order_ref, with_correlation};
use crate::reply::Reply;
use crate::service::Intake;

/// `requester` is the operator whose verified token came with the command, when a person asked.
pub(super) async fn create_payout(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
    requester: Option<String>,
) -> Result<Reply, Rejection> {
    let draft = payout::parse_create(body)?;
    let registered = match &draft.beneficiary {
        BeneficiarySource::Inline(_) => None,
        BeneficiarySource::Registered(id) => Some(active_beneficiary(intake, *id).await?),
    };
    let id = draft.order_id;
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let banks = intake.banks.lists();
    let create = draft.into_command_with_banks(&intake.catalog, registered, Some(&banks))?;
    let meta = with_correlation(meta, id);
    let done = accept(intake, create, &meta, requester).await?;
    let status = done
        .order
        .state
        .as_ref()
        .map(|p| p.status.as_str())
        .unwrap_or("requested");
    Ok(order_reply(id, &done, status))
}

/// Appends a payout order after the approval policy has had its say (a payout it catches waits
/// for an approver): the one way in for a single payout and a batch's items alike. Where a
/// velocity limit counts its currency, the payout's place in its beneficiary's day is reserved
/// as it is decided, and given back when it was not appended after all (a duplicate, a refusal).
pub(super) async fn accept(
    intake: &Intake,
    mut create: payout::CreatePayout,
    meta: &EventMeta,
    requester: Option<String>,
) -> Result<Executed<PayoutDecider>, Rejection> {
    let id = create.order_id;
    let reserved = approval(intake, &mut create.requested, requester).await?;
    let done = executed(
        intake
            .log
            .execute::<PayoutDecider>(id, &PayoutCommand::Create(Box::new(create)), meta, true)
            .await,
    );
    let appended = done.as_ref().is_ok_and(|d| !d.appended.is_empty());
    if let (Some((store, place)), false) = (reserved, appended)
        && let Err(e) = store.release(&place).await
    {
        // Counted all the same: a later payout to this beneficiary may wait for an approver.
        tracing::warn!(order_id = %id, error = %e, "a payout not accepted still counts in its beneficiary's day");
    }
    done
}

/// Whether the approval policy makes the payout wait (sets `approval`); when a velocity limit
/// counts its currency, the place it took in its beneficiary's day.
async fn approval<'a>(
    intake: &'a Intake,
    requested: &mut payout::PayoutRequested,
    requester: Option<String>,
) -> Result<Option<(&'a VelocityStore, Reserved)>, Rejection> {
    if intake.approvals.is_empty() {
        return Ok(None);
    }
    let now = chrono::Utc::now();
    let counts = intake
        .approvals
        .velocity
        .iter()
        .any(|l| l.currency == requested.money.currency());
    let policy = &intake.approvals;
    let (reasons, reserved) = match (&intake.velocity, counts) {
        (Some(store), true) => {
            let key = velocity_key(&requested.beneficiary, requested.beneficiary_id);
            let (reasons, place) = store
                .reserve(&key, &requested.money, now, |today| {
                    policy.reasons(&requested.provider, &requested.money, today)
                })
                .await
                .map_err(log_failure)?;
            (reasons, Some((store, place)))
        }
        _ => (
            policy.reasons(&requested.provider, &requested.money, Velocity::default()),
            None,
        ),
    };
    requested.approval = policy.requirement(reasons, requester, now);
    Ok(reserved)
}

/// Loads a registered beneficiary and checks it may be paid (KillB ACTIVE, a payout rail).
pub(super) async fn active_beneficiary(
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
    if b.personal_data_erased {
        return Err(refuse(
            "beneficiary's personal data was erased; register the beneficiary again".into(),
        ));
    }
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

pub(super) async fn cancel_payout(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
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
