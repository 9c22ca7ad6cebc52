//! `*.personal_data_erased`: the personal fields an order's rows and timeline kept (masked) read
//! `[erased]` from then on. Events read again later (a rebuild) decode as erased already, since
//! the order's key is gone; this brings the rows written before the key was purged to the same.
//!
//! The masked renderings ([`giro_domain::secret::Pii::masked`]) are the only strings in these
//! JSON columns holding `***`; each becomes `[erased]`, everything else (rails, bank codes,
//! account types, amounts) stays.

use giro_domain::OrderKind;
use giro_domain::beneficiary::BeneficiaryEvent;
use giro_domain::charge::ChargeEvent;
use giro_domain::payout::PayoutEvent;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::decode::{Decoded, Known};
use crate::error::Error;

/// A JSON string holding a masked rendering, in a jsonb column's text.
const MASKED_STRING: &str = r#""[^"]*\*\*\*[^"]*""#;

/// The erased orders among `events`.
fn erased(events: &[&Decoded]) -> Vec<Uuid> {
    events
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                Some(Known::Payout(PayoutEvent::PersonalDataErased(_)))
                    | Some(Known::Charge(ChargeEvent::PersonalDataErased(_)))
                    | Some(Known::Beneficiary(BeneficiaryEvent::PersonalDataErased(_)))
            )
        })
        .map(|e| e.order_id)
        .collect()
}

/// The table, jsonb column and id column holding an order kind's personal data.
fn row_column(kind: OrderKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        OrderKind::Payout => ("payouts", "beneficiary_masked", "order_id"),
        OrderKind::Charge => ("charges", "payer_masked", "order_id"),
        OrderKind::Beneficiary => ("beneficiaries", "data_masked", "beneficiary_id"),
        // Never asked for: a batch holds no personal data (its items' are in their payouts).
        OrderKind::PayoutBatch => ("payout_batches", "metadata", "batch_id"),
    }
}

/// The timeline of an order kind and its id column.
fn timeline(kind: OrderKind) -> (&'static str, &'static str) {
    match kind {
        OrderKind::Payout => ("payout_events", "order_id"),
        OrderKind::Charge => ("charge_events", "order_id"),
        OrderKind::Beneficiary => ("beneficiary_events", "beneficiary_id"),
        // Never asked for: a batch holds no personal data and keeps no timeline table.
        OrderKind::PayoutBatch => ("payout_batches", "batch_id"),
    }
}

async fn erase_column(
    tx: &mut Transaction<'_, Postgres>,
    (table, column, id): (&str, &str, &str),
    orders: &[Uuid],
) -> Result<(), Error> {
    let sql = format!(
        "UPDATE {table} SET {column} = regexp_replace({column}::text, $2, '\"[erased]\"', 'g')::jsonb \
         WHERE {id} = ANY($1)"
    );
    // Table and column names come from the match above, never from input.
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(orders)
        .bind(MASKED_STRING)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Erases the personal fields of the rows of the orders erased in `events` (of one kind).
pub(super) async fn erase_rows(
    tx: &mut Transaction<'_, Postgres>,
    kind: OrderKind,
    events: &[&Decoded],
) -> Result<(), Error> {
    let orders = erased(events);
    if orders.is_empty() {
        return Ok(());
    }
    erase_column(tx, row_column(kind), &orders).await
}

/// Erases the personal fields of the timelines of the orders erased in `events` (of one kind).
pub(super) async fn erase_timelines(
    tx: &mut Transaction<'_, Postgres>,
    kind: OrderKind,
    events: &[&Decoded],
) -> Result<(), Error> {
    let orders = erased(events);
    if orders.is_empty() {
        return Ok(());
    }
    let (table, id) = timeline(kind);
    erase_column(tx, (table, "data", id), &orders).await
}
