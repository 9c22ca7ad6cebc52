//! Exceptions that payout events open and close (migration 0009): an attempt whose outcome became
//! unknown opens `outcome_unknown`, and the next event that settles the attempt closes it (a
//! provider answer, a new claim or resend, a terminal result); a success reversed opens
//! `reversed`, a success refunded opens `refunded_after_success`. Whether a refund came after a
//! success is folded from the stored status and the batch's own events through `next_status`, so
//! this runs before `payouts::apply` moves the rows and needs no timeline (a rebuild writes the
//! timelines in another transaction).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use giro_domain::payout::{PayoutEvent, PayoutStatus, ReportedOutcome, next_status};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::payouts::parse_status;
use super::reported::{Raised, insert_exceptions};
use crate::db::bigint;
use crate::decode::{Decoded, Known};
use crate::error::Error;

/// An event that closes the order's open exceptions of one kind.
struct Closed {
    order_id: Uuid,
    version: u64,
    kind: &'static str,
    resolution: String,
    at: DateTime<Utc>,
    /// The operator whose action closed it, when a person did.
    by: Option<String>,
}

/// Whether `event` settles an attempt whose outcome was unknown: the provider said something
/// about it, or the payout moved on (a new claim, a resend, a terminal result).
fn settles_unknown(event: &PayoutEvent) -> bool {
    match event {
        PayoutEvent::ProviderStatus(r) => r.outcome != ReportedOutcome::Unknown,
        PayoutEvent::SubmissionStarted(_)
        | PayoutEvent::Submitted(_)
        | PayoutEvent::SubmissionFailed(_)
        | PayoutEvent::ProviderWaitAnnounced(_)
        | PayoutEvent::Resent(_)
        | PayoutEvent::Succeeded(_)
        | PayoutEvent::Failed(_)
        | PayoutEvent::Refunded(_)
        | PayoutEvent::Cancelled(_) => true,
        _ => false,
    }
}

/// The event-raised kinds a person's action on the order closes: having looked at the order
/// (resolved it, retried, released, cancelled, approved, replayed or noted it), they have handled
/// what it raised.
const CLOSED_BY_A_PERSON: [&str; 6] = [
    "outcome_unknown",
    "reversed",
    "refunded_after_success",
    "report_unmatched",
    "possible_double_payment",
    "discrepancy",
];

/// The operator an event names, when a person's action recorded it.
fn operator(event: &PayoutEvent) -> Option<String> {
    match event {
        PayoutEvent::OutcomeResolved(e) => Some(e.by.clone()),
        PayoutEvent::Retried(e) => Some(e.by.clone()),
        PayoutEvent::Released(e) => Some(e.by.clone()),
        PayoutEvent::DeadLetterReplayed(e) => Some(e.by.clone()),
        PayoutEvent::NoteAdded(e) => Some(e.by.clone()),
        PayoutEvent::Approved(e) => Some(e.by.clone()),
        PayoutEvent::ApprovalRejected(e) => Some(e.by.clone()),
        PayoutEvent::Cancelled(e) => e.by.clone(),
        _ => None,
    }
}

/// What one event raises, given the status the payout had before it.
fn raised(e: &Decoded, event: &PayoutEvent, before: Option<PayoutStatus>) -> Option<Raised> {
    let (kind, reason) = match event {
        PayoutEvent::OutcomeUnknown(u) => (
            "outcome_unknown",
            format!(
                "the outcome of attempt {} is unknown: {}",
                u.attempt, u.reason
            ),
        ),
        PayoutEvent::Reversed(f) => (
            "reversed",
            format!(
                "the provider reversed a succeeded payout: {}: {}",
                f.code, f.message
            ),
        ),
        PayoutEvent::Refunded(r) if before == Some(PayoutStatus::Succeeded) => (
            "refunded_after_success",
            match &r.reason {
                Some(reason) => format!("the provider refunded a succeeded payout: {reason}"),
                None => "the provider refunded a succeeded payout".to_string(),
            },
        ),
        _ => return None,
    };
    Some(Raised {
        order_id: e.order_id,
        version: e.version,
        kind,
        reason,
        detail: e.data.clone(),
        at: e.at,
    })
}

/// The stored statuses of the payouts these events belong to (none for payouts created in the
/// batch).
async fn statuses(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Decoded],
) -> Result<HashMap<Uuid, PayoutStatus>, Error> {
    let mut ids: Vec<Uuid> = events.iter().map(|e| e.order_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT order_id, status FROM payouts WHERE order_id = ANY($1)")
            .bind(ids)
            .fetch_all(&mut **tx)
            .await?;
    rows.into_iter()
        .map(|(id, s)| Ok((id, parse_status(&s)?)))
        .collect()
}

/// Opens and closes the exceptions these payout events imply. Runs before `payouts::apply`.
pub(crate) async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Decoded],
) -> Result<(), Error> {
    if events.is_empty() {
        return Ok(());
    }
    let mut status = statuses(tx, events).await?;
    let mut opened = Vec::new();
    let mut closed = Vec::new();
    for e in events {
        let Some(Known::Payout(event)) = &e.event else {
            continue;
        };
        let before = status.get(&e.order_id).copied();
        opened.extend(raised(e, event, before));
        let by = operator(event);
        let kinds: &[&'static str] = match (&by, settles_unknown(event)) {
            // A person's action on the order handles what it raised for a person.
            (Some(_), _) => &CLOSED_BY_A_PERSON,
            (None, true) => &["outcome_unknown"],
            (None, false) => &[],
        };
        for kind in kinds {
            closed.push(Closed {
                order_id: e.order_id,
                version: e.version,
                kind,
                resolution: e.event_type.clone(),
                at: e.at,
                by: by.clone(),
            });
        }
        let after = match (before, event) {
            (_, PayoutEvent::Requested(r)) if e.version == 1 => Some(r.initial_status()),
            (Some(s), event) => next_status(s, event).or(Some(s)),
            (None, _) => None,
        };
        if let Some(after) = after {
            status.insert(e.order_id, after);
        }
    }
    insert_exceptions(tx, &opened).await?;
    close(tx, &closed).await
}

/// Closes the open exceptions of each order raised before the closing event, recording what
/// closed them and, for an operator's action, who. One UPDATE takes one arbitrary source row per
/// target row, so the closers go in rounds, the n-th closer of each exception kind of an order in
/// the n-th: each exception is closed by the first event after it (an operator's
/// `outcome_resolved`, not the `succeeded` it decides).
async fn close(tx: &mut Transaction<'_, Postgres>, closed: &[Closed]) -> Result<(), Error> {
    let mut seen: HashMap<(Uuid, &str), usize> = HashMap::new();
    let mut rounds: Vec<Vec<&Closed>> = Vec::new();
    for c in closed {
        let n = seen.entry((c.order_id, c.kind)).or_insert(0);
        if rounds.len() <= *n {
            rounds.push(Vec::new());
        }
        rounds[*n].push(c);
        *n += 1;
    }
    for round in rounds {
        close_round(tx, &round).await?;
    }
    Ok(())
}

async fn close_round(tx: &mut Transaction<'_, Postgres>, closed: &[&Closed]) -> Result<(), Error> {
    sqlx::query(
        "UPDATE exceptions AS x SET resolved_at = u.at, resolution = u.resolution, \
         resolved_by = u.by \
         FROM UNNEST($1::uuid[], $2::int8[], $3::text[], $4::text[], $5::timestamptz[], \
         $6::text[]) AS u(order_id, version, kind, resolution, at, by) \
         WHERE x.order_id = u.order_id AND x.kind = u.kind AND x.version < u.version \
         AND x.resolved_at IS NULL",
    )
    .bind(closed.iter().map(|c| c.order_id).collect::<Vec<_>>())
    .bind(closed.iter().map(|c| bigint(c.version)).collect::<Vec<_>>())
    .bind(closed.iter().map(|c| c.kind).collect::<Vec<_>>())
    .bind(
        closed
            .iter()
            .map(|c| c.resolution.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(closed.iter().map(|c| c.at).collect::<Vec<_>>())
    .bind(closed.iter().map(|c| c.by.as_deref()).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
