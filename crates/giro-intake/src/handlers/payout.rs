//! `giro.cmd.payout.create` and `giro.cmd.payout.cancel`.

use giro_domain::approvals::{Velocity, velocity_key};
use giro_domain::beneficiary::{BeneficiaryDecider, BeneficiaryStatus};
use giro_domain::money::Money;
use giro_domain::payout::{self, BeneficiarySource, PayoutCommand, PayoutDecider};
use giro_domain::{ErrorCode, EventMeta, OrderId, Rejection};
use giro_eventlog::{Executed, VelocityStore};

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
/// for an approver), and counts it in its beneficiary's day: the one way in for a single payout
/// and a batch's items alike.
pub(super) async fn accept(
    intake: &Intake,
    mut create: payout::CreatePayout,
    meta: &EventMeta,
    requester: Option<String>,
) -> Result<Executed<PayoutDecider>, Rejection> {
    let id = create.order_id;
    let now = chrono::Utc::now();
    let counted = approval(intake, &mut create.requested, now, requester).await?;
    let done = executed(
        intake
            .log
            .execute::<PayoutDecider>(id, &PayoutCommand::Create(Box::new(create)), meta, true)
            .await,
    )?;
    if let (Some((store, key, money)), false) = (counted, done.appended.is_empty())
        && let Err(e) = store.add(&key, &money, now).await
    {
        // Accepted all the same: a limit counts what was accepted, and this one was.
        tracing::warn!(order_id = %id, error = %e, "the payout was not added to its beneficiary's day");
    }
    Ok(done)
}

/// Whether the approval policy makes the payout wait (sets `approval`), and, when a velocity
/// limit counts its currency, where to add it once it is accepted.
async fn approval<'a>(
    intake: &'a Intake,
    requested: &mut payout::PayoutRequested,
    now: chrono::DateTime<chrono::Utc>,
    requester: Option<String>,
) -> Result<Option<(&'a VelocityStore, String, Money)>, Rejection> {
    if intake.approvals.is_empty() {
        return Ok(None);
    }
    let counts = intake
        .approvals
        .velocity
        .iter()
        .any(|l| l.currency == requested.money.currency());
    let counted = match (&intake.velocity, counts) {
        (Some(store), true) => Some((
            store,
            velocity_key(&requested.beneficiary, requested.beneficiary_id),
            requested.money,
        )),
        _ => None,
    };
    let today = match &counted {
        Some((store, key, money)) => store.today(key, money, now).await.map_err(log_failure)?,
        None => Velocity::default(),
    };
    let reasons = intake
        .approvals
        .reasons(&requested.provider, &requested.money, today);
    requested.approval = intake.approvals.requirement(reasons, requester, now);
    Ok(counted)
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
