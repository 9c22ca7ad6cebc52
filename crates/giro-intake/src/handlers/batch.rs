//! `giro.cmd.payout_batch.create`, `.add_items` and `.cancel`.
//!
//! A part of a batch is accepted all or nothing: every item is read, routed and checked against
//! the log (a key already used outside the batch is a conflict) before anything is appended.
//! Then the batch records the part, and only then are the items' payouts appended, so a payout
//! of a batch exists only once its batch holds it. A part sent again after a lost reply appends
//! what is missing and nothing twice.

use futures::{StreamExt, stream};
use giro_domain::batch::{
    self, BatchCommand, BatchStatus, ItemError, PayoutBatch, PayoutBatchDecider, Refused,
};
use giro_domain::payout::{
    BeneficiarySource, CreatePayout, PayoutCommand, PayoutDecider, PayoutDraft,
};
use giro_domain::{ErrorCode, EventMeta, OrderId, Rejection};
use giro_eventlog::{ExecuteError, Executed};
use serde_json::json;

use super::payout::active_beneficiary;
use super::{executed, fields, log_failure, with_correlation};
use crate::reply::Reply;
use crate::service::Intake;

/// Orders appended (or checked, or cancelled) at once for one part.
const CONCURRENCY: usize = 128;

/// At most this many item errors are listed in a reply, so that it fits in one message.
const MAX_LISTED_ERRORS: usize = 1000;

pub(super) async fn create_batch(intake: &Intake, body: &[u8], meta: EventMeta) -> Reply {
    answer(create(intake, body, meta).await)
}

pub(super) async fn add_items(intake: &Intake, body: &[u8], meta: EventMeta) -> Reply {
    answer(add(intake, body, meta).await)
}

async fn create(intake: &Intake, body: &[u8], meta: EventMeta) -> Result<Reply, Refused> {
    let mut draft = batch::parse_create(body)?;
    let id = draft.batch_id;
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let items = std::mem::take(&mut draft.items);
    let commands = routed(intake, items, std::mem::take(&mut draft.invalid)).await?;
    let part = batch::part(0, &commands)?;
    unused_keys(intake, 0, &commands).await?;
    let meta = with_correlation(meta, id);
    let command = BatchCommand::Create(Box::new(draft.created(part)));
    let done = executed(
        intake
            .log
            .execute::<PayoutBatchDecider>(id, &command, &meta, true)
            .await,
    )?;
    append_items(intake, 0, commands, &meta).await?;
    Ok(batch_reply(intake, id, &done).await?)
}

async fn add(intake: &Intake, body: &[u8], meta: EventMeta) -> Result<Reply, Refused> {
    let draft = batch::parse_add_items(body)?;
    let id = draft.batch_id;
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let commands = routed(intake, draft.items, draft.invalid).await?;
    let part = batch::part(draft.first_item, &commands)?;
    unused_keys(intake, draft.first_item, &commands).await?;
    let meta = with_correlation(meta, id);
    let done = executed(
        intake
            .log
            .execute::<PayoutBatchDecider>(id, &BatchCommand::AddItems(part), &meta, false)
            .await,
    )?;
    append_items(intake, draft.first_item, commands, &meta).await?;
    Ok(batch_reply(intake, id, &done).await?)
}

/// The batch's reply after a part: where it stands. A cancellation that came while the part's
/// payouts were appended is carried out on them here, so no item escapes it.
async fn batch_reply(
    intake: &Intake,
    id: OrderId,
    done: &Executed<PayoutBatchDecider>,
) -> Result<Reply, Rejection> {
    let loaded = intake
        .log
        .load::<PayoutBatchDecider>(id)
        .await
        .map_err(log_failure)?;
    let batch = loaded.state.as_ref().or(done.order.state.as_ref());
    let Some(batch) = batch else {
        return Err(Rejection::new(
            ErrorCode::Unavailable,
            "the batch was not stored",
        ));
    };
    if batch.cancel_requested {
        let meta = with_correlation(EventMeta::default(), id);
        cancel_items(intake, batch, None, &meta).await?;
    }
    Ok(Reply::success(fields(json!({
        "batch_id": id,
        "status": batch.status(),
        "item_count": batch.item_count,
        "items_received": batch.items_received(),
        "duplicate": done.appended.is_empty(),
    }))))
}

pub(super) async fn cancel_batch(
    intake: &Intake,
    body: &[u8],
    meta: EventMeta,
) -> Result<Reply, Rejection> {
    let (id, reason) = batch::parse_cancel(body)?;
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let meta = with_correlation(meta, id);
    let command = BatchCommand::Cancel {
        reason: reason.clone(),
    };
    let done = executed(
        intake
            .log
            .execute::<PayoutBatchDecider>(id, &command, &meta, false)
            .await,
    )?;
    let Some(batch) = done.order.state.as_ref() else {
        return Err(Rejection::at(
            ErrorCode::NotFound,
            "batch_id",
            "no such payout batch",
        ));
    };
    let (cancelled, not_cancellable) = cancel_items(intake, batch, reason, &meta).await?;
    Ok(Reply::success(fields(json!({
        "batch_id": id,
        "status": BatchStatus::Cancelled,
        "cancelled": cancelled,
        "not_cancellable": not_cancellable,
        "duplicate": done.appended.is_empty(),
    }))))
}

/// Cancels every item of `batch` that no provider has yet, by the payout's own cancel decision:
/// how many are cancelled (now or before) and how many are already with a provider or final.
async fn cancel_items(
    intake: &Intake,
    batch: &PayoutBatch,
    reason: Option<String>,
    meta: &EventMeta,
) -> Result<(usize, usize), Rejection> {
    let command = PayoutCommand::Cancel { reason };
    let outcomes: Vec<Result<bool, Rejection>> = stream::iter(batch.order_ids())
        .map(|order| cancel_one(intake, order, &command, meta))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut cancelled = 0;
    for outcome in outcomes {
        if outcome? {
            cancelled += 1;
        }
    }
    Ok((cancelled, batch.items_received() as usize - cancelled))
}

/// Whether the payout `order` is cancelled (now or before).
async fn cancel_one(
    intake: &Intake,
    order: OrderId,
    command: &PayoutCommand,
    meta: &EventMeta,
) -> Result<bool, Rejection> {
    match intake
        .log
        .execute::<PayoutDecider>(order, command, meta, false)
        .await
    {
        Ok(_) => Ok(true),
        Err(ExecuteError::Rejected(r))
            if matches!(r.code, ErrorCode::NotCancellable | ErrorCode::NotFound) =>
        {
            Ok(false)
        }
        Err(e) => executed::<PayoutDecider>(Err(e)).map(|_| false),
    }
}

/// Each valid item routed and its registered beneficiary checked: the payouts' commands, or
/// the error of every item (those found invalid before, `invalid`, and those refused here).
async fn routed(
    intake: &Intake,
    items: Vec<(u32, PayoutDraft)>,
    mut invalid: Vec<ItemError>,
) -> Result<Vec<CreatePayout>, Refused> {
    let banks = intake.banks.lists();
    let count = items.len() + invalid.len();
    let mut commands = Vec::with_capacity(items.len());
    for (item, draft) in items {
        let registered = match &draft.beneficiary {
            BeneficiarySource::Inline(_) => Ok(None),
            BeneficiarySource::Registered(id) => active_beneficiary(intake, *id).await.map(Some),
        };
        let command = registered
            .and_then(|r| draft.into_command_with_banks(&intake.catalog, r, Some(&banks)));
        match command {
            Ok(command) => commands.push(command),
            Err(error) if error.code == ErrorCode::Unavailable => return Err(error.into()),
            Err(error) => invalid.push(ItemError { item, error }),
        }
    }
    if invalid.is_empty() {
        Ok(commands)
    } else {
        invalid.sort_by_key(|e| e.item);
        Err(Refused::items(invalid, count))
    }
}

/// Refuses the part if any item's idempotency key already names a payout with another request
/// (one made outside this batch, or in another batch): nothing may be recorded for it.
async fn unused_keys(
    intake: &Intake,
    first_item: u32,
    commands: &[CreatePayout],
) -> Result<(), Refused> {
    let found: Vec<Result<Option<ItemError>, Rejection>> = stream::iter(0..commands.len())
        .map(|i| conflict_of(intake, first_item + i as u32, &commands[i]))
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut errors = Vec::new();
    for f in found {
        errors.extend(f?);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Refused::items(errors, commands.len()))
    }
}

/// The conflict of item `item` with a payout already made under its key, if any.
async fn conflict_of(
    intake: &Intake,
    item: u32,
    c: &CreatePayout,
) -> Result<Option<ItemError>, Rejection> {
    let (loaded, _) = intake
        .log
        .load_cached::<PayoutDecider>(c.order_id)
        .await
        .map_err(log_failure)?;
    Ok(loaded
        .state
        .filter(|p| p.request.fingerprint != c.requested.fingerprint)
        .map(|p| ItemError {
            item,
            error: Rejection::at(
                ErrorCode::IdempotencyConflict,
                "idempotency_key",
                format!("already used by payout {} with another request", p.id),
            ),
        }))
}

/// Appends the part's payouts (those already there from an earlier try are repeats).
async fn append_items(
    intake: &Intake,
    first_item: u32,
    commands: Vec<CreatePayout>,
    meta: &EventMeta,
) -> Result<(), Refused> {
    let count = commands.len();
    let outcomes: Vec<(u32, Result<(), Rejection>)> =
        stream::iter(commands.into_iter().enumerate())
            .map(|(i, c)| append_one(intake, first_item + i as u32, c, meta))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
    let mut errors = Vec::new();
    for (item, outcome) in outcomes {
        match outcome {
            Ok(()) => {}
            Err(error) if error.code == ErrorCode::Unavailable => return Err(error.into()),
            Err(error) => errors.push(ItemError { item, error }),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        errors.sort_by_key(|e| e.item);
        Err(Refused::items(errors, count))
    }
}

async fn append_one(
    intake: &Intake,
    item: u32,
    c: CreatePayout,
    meta: &EventMeta,
) -> (u32, Result<(), Rejection>) {
    (
        item,
        super::payout::accept(intake, c, meta, None)
            .await
            .map(|_| ()),
    )
}

/// The reply: the batch's, or the refusal with each invalid item's error (the first
/// [`MAX_LISTED_ERRORS`] of them, and how many there are).
fn answer(result: Result<Reply, Refused>) -> Reply {
    match result {
        Ok(reply) => reply,
        Err(refused) if refused.items.is_empty() => Reply::failure(refused.rejection),
        Err(refused) => {
            let count = refused.items.len();
            let mut reply = Reply::failure(refused.rejection);
            let listed: Vec<&ItemError> = refused.items.iter().take(MAX_LISTED_ERRORS).collect();
            reply.body.insert("error_count".into(), json!(count));
            reply.body.insert("errors".into(), json!(listed));
            reply
        }
    }
}
