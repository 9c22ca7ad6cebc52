//! `payout_batches`: one row per batch from its own events, and how far its items got, added up
//! from the `payouts` rows of its items in the same transaction (so it is never ahead of or
//! behind the payouts it sums).

use std::collections::{BTreeMap, BTreeSet};

use giro_domain::batch::{BatchEvent, BatchPart};
use giro_domain::payout::{PayoutEvent, PayoutStatus};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::db::bigint;
use crate::decode::{Decoded, Known};
use crate::error::Error;

/// Applies the batches' own events, links new payouts to their batch, then adds up every batch
/// these events touched.
pub(crate) async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    batches: &[&Decoded],
    payouts: &[&Decoded],
) -> Result<(), Error> {
    let mut touched: BTreeSet<Uuid> = BTreeSet::new();
    for e in batches {
        let Some(Known::Batch(event)) = &e.event else {
            continue;
        };
        let id = e.order_id;
        touched.insert(id);
        apply_event(tx, id, event, e).await?;
    }
    link_payouts(tx, payouts).await?;
    let orders: Vec<Uuid> = payouts.iter().map(|e| e.order_id).collect();
    let of_payouts: Vec<Uuid> = sqlx::query_scalar(
        "SELECT DISTINCT batch_id FROM payouts WHERE order_id = ANY($1) AND batch_id IS NOT NULL",
    )
    .bind(&orders)
    .fetch_all(&mut **tx)
    .await?;
    touched.extend(of_payouts);
    for batch in touched {
        add_up(tx, batch).await?;
    }
    Ok(())
}

async fn apply_event(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    event: &BatchEvent,
    e: &Decoded,
) -> Result<(), Error> {
    let version = bigint(e.version);
    match event {
        BatchEvent::Created(c) => {
            sqlx::query(
                "INSERT INTO payout_batches (batch_id, idempotency_key, status, item_count, \
                 items_received, totals, metadata, created_at, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) ON CONFLICT (batch_id) DO NOTHING",
            )
            .bind(id)
            .bind(c.idempotency_key.as_str())
            .bind("receiving")
            .bind(c.item_count as i32)
            .bind(c.items.order_ids.len() as i32)
            .bind(totals(&BTreeMap::new(), &c.items))
            .bind(c.metadata.clone().map(Value::Object))
            .bind(e.at)
            .bind(version)
            .execute(&mut **tx)
            .await?;
        }
        BatchEvent::ItemsAdded(added) => {
            let before: Option<(sqlx::types::Json<BTreeMap<String, Decimal>>,)> =
                sqlx::query_as("SELECT totals FROM payout_batches WHERE batch_id = $1")
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?;
            let before = before.map(|(t,)| t.0).unwrap_or_default();
            sqlx::query(
                "UPDATE payout_batches SET items_received = items_received + $2, totals = $3, \
                 updated_at = $4, version = $5 WHERE batch_id = $1 AND version < $5",
            )
            .bind(id)
            .bind(added.items.order_ids.len() as i32)
            .bind(totals(&before, &added.items))
            .bind(e.at)
            .bind(version)
            .execute(&mut **tx)
            .await?;
        }
        BatchEvent::CancelRequested(_) => {
            sqlx::query(
                "UPDATE payout_batches SET cancel_requested = true, updated_at = $2, version = $3 \
                 WHERE batch_id = $1 AND version < $3",
            )
            .bind(id)
            .bind(e.at)
            .bind(version)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// The totals so far with a part's added, per currency, as decimal strings.
fn totals(before: &BTreeMap<String, Decimal>, part: &BatchPart) -> Value {
    let mut sums = before.clone();
    for m in &part.totals {
        *sums.entry(m.currency().code().to_string()).or_default() += m.amount();
    }
    json!(
        sums.into_iter()
            .map(|(c, v)| (c, v.to_string()))
            .collect::<BTreeMap<_, _>>()
    )
}

/// Sets `batch_id` on the rows of new payouts that are items of a batch.
async fn link_payouts(
    tx: &mut Transaction<'_, Postgres>,
    payouts: &[&Decoded],
) -> Result<(), Error> {
    let (orders, batches): (Vec<Uuid>, Vec<Uuid>) = payouts
        .iter()
        .filter_map(|e| match &e.event {
            Some(Known::Payout(PayoutEvent::Requested(r))) => {
                r.batch_id.map(|b| (e.order_id, b.as_uuid()))
            }
            _ => None,
        })
        .unzip();
    if orders.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE payouts p SET batch_id = l.batch_id \
         FROM UNNEST($1::uuid[], $2::uuid[]) AS l(order_id, batch_id) WHERE p.order_id = l.order_id",
    )
    .bind(&orders)
    .bind(&batches)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One status and currency of a batch's items: count, amount, latest change.
type StatusSum = (
    String,
    String,
    i64,
    Decimal,
    Option<chrono::DateTime<chrono::Utc>>,
);

/// Adds up a batch's items from their payouts rows and derives its status.
async fn add_up(tx: &mut Transaction<'_, Postgres>, batch: Uuid) -> Result<(), Error> {
    let rows: Vec<StatusSum> = sqlx::query_as(
        "SELECT status, currency, count(*), sum(amount), max(updated_at) FROM payouts \
             WHERE batch_id = $1 GROUP BY status, currency",
    )
    .bind(batch)
    .fetch_all(&mut **tx)
    .await?;
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    let mut amounts: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
    let (mut made, mut final_, mut in_flight) = (0i64, 0i64, 0i64);
    let mut last = None;
    for (status, currency, n, sum, at) in rows {
        let terminal = PayoutStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == status)
            .is_some_and(PayoutStatus::is_terminal);
        made += n;
        if terminal {
            final_ += n;
        } else {
            in_flight += n;
        }
        last = last.max(at);
        *counts.entry(status.clone()).or_default() += n;
        *amounts
            .entry(currency)
            .or_default()
            .entry(status)
            .or_default() += sum;
    }
    let amounts: BTreeMap<String, BTreeMap<String, String>> = amounts
        .into_iter()
        .map(|(c, by)| (c, by.into_iter().map(|(s, v)| (s, v.to_string())).collect()))
        .collect();
    let count = |s: PayoutStatus| counts.get(s.as_str()).copied().unwrap_or(0) as i32;
    sqlx::query(
        "UPDATE payout_batches SET counts = $2, amounts = $3, succeeded = $4, failed = $5, \
         cancelled = $6, in_flight = $7, \
         status = CASE WHEN cancel_requested THEN 'cancelled' \
                       WHEN items_received < item_count THEN 'receiving' \
                       WHEN $8 = items_received AND $9 = items_received THEN 'completed' \
                       ELSE 'open' END, \
         completed_at = CASE WHEN $8 = items_received AND $9 = items_received \
                             AND items_received = item_count THEN COALESCE(completed_at, $10) END, \
         updated_at = GREATEST(updated_at, COALESCE($10, updated_at)) \
         WHERE batch_id = $1",
    )
    .bind(batch)
    .bind(json!(counts))
    .bind(json!(amounts))
    .bind(count(PayoutStatus::Succeeded))
    .bind(count(PayoutStatus::Failed) + count(PayoutStatus::Reversed))
    .bind(count(PayoutStatus::Cancelled))
    .bind(in_flight as i32)
    .bind(made as i32)
    .bind(final_ as i32)
    .bind(last)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use giro_domain::{Currency, Money, OrderId};

    #[test]
    fn totals_add_up_per_currency_as_decimal_strings() {
        let part = BatchPart {
            first_item: 0,
            fingerprint: String::new(),
            order_ids: vec![OrderId::from_uuid(Uuid::nil())],
            totals: vec![Money::new(Decimal::new(150, 1), Currency::COP).unwrap()],
        };
        let before = BTreeMap::from([("COP".to_string(), Decimal::new(5, 0))]);
        assert_eq!(totals(&before, &part), json!({"COP": "20"}));
    }
}
