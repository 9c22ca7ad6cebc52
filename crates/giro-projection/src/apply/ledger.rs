//! `ledger_postings`: the double-entry postings `giro_domain::ledger` derives from payout events,
//! one row per leg. Runs before `payouts::apply` in the same transaction, so the `payouts` rows it
//! starts from are the orders as they stood before the batch: amount, currency, provider, status,
//! version, reported amount and fee are all a position needs. Events at or below a row's version post nothing (as in
//! `payouts`), and a leg already stored is left alone (`ON CONFLICT DO NOTHING` on its key), so a
//! batch applied again adds nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use giro_domain::ledger::{Position, Posting};
use giro_domain::payout::{PayoutEvent, PayoutStatus};
use giro_domain::{Currency, Money, OrderId, ProviderId};
use rust_decimal::Decimal;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::db::bigint;
use crate::decode::{Decoded, Known};
use crate::error::Error;

type Loaded = (
    Uuid,
    String,
    Decimal,
    String,
    String,
    i64,
    Option<Decimal>,
    Option<Decimal>,
);

/// The positions of the orders these events belong to, from their `payouts` rows.
async fn load(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Decoded],
) -> Result<HashMap<Uuid, Position>, Error> {
    let mut ids: Vec<Uuid> = events.iter().map(|e| e.order_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<Loaded> = sqlx::query_as(
        "SELECT order_id, provider, amount, currency, status, version, \
         CASE WHEN reported_currency IS NULL OR upper(reported_currency) = currency \
              THEN reported_amount END, fee \
         FROM payouts WHERE order_id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(
            |(id, provider, amount, currency, status, version, reported, fee)| {
                let corrupt = |what: String| Error::Corrupt(format!("payouts row {id}: {what}"));
                let currency: Currency = currency.parse().map_err(corrupt)?;
                let position = Position {
                    order: OrderId::from_uuid(id),
                    provider: ProviderId::try_from(provider).map_err(corrupt)?,
                    money: Money::new(amount, currency).map_err(|e| corrupt(e.to_string()))?,
                    status: PayoutStatus::ALL
                        .into_iter()
                        .find(|s| s.as_str() == status)
                        .ok_or_else(|| corrupt(format!("{status:?} is not a payout status")))?,
                    version: u64::try_from(version).unwrap_or(0),
                    reported: reported.filter(|r| *r > Decimal::ZERO),
                    fee: fee.unwrap_or_default(),
                };
                Ok((id, position))
            },
        )
        .collect()
}

/// The legs to insert, column by column.
#[derive(Default)]
struct Legs {
    order_id: Vec<Uuid>,
    version: Vec<i64>,
    kind: Vec<&'static str>,
    account: Vec<String>,
    provider: Vec<String>,
    currency: Vec<&'static str>,
    debit: Vec<Decimal>,
    credit: Vec<Decimal>,
    at: Vec<DateTime<Utc>>,
}

impl Legs {
    fn push(&mut self, posting: &Posting, at: DateTime<Utc>) {
        for leg in &posting.legs {
            self.order_id.push(posting.key.order.as_uuid());
            self.version.push(bigint(posting.key.version));
            self.kind.push(posting.key.kind.as_str());
            self.account.push(leg.account.to_string());
            self.provider.push(leg.account.provider.to_string());
            self.currency.push(posting.currency.code());
            self.debit.push(leg.debit);
            self.credit.push(leg.credit);
            self.at.push(at);
        }
    }
}

/// Posts these payout events. Events without a row (their `payout.requested` is missing) post
/// nothing, as they make no row in `payouts`.
pub(crate) async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Decoded],
) -> Result<(), Error> {
    if events.is_empty() {
        return Ok(());
    }
    let mut positions = load(tx, events).await?;
    let mut legs = Legs::default();
    for e in events {
        let Some(Known::Payout(event)) = &e.event else {
            continue;
        };
        match (positions.get_mut(&e.order_id), event) {
            (None, PayoutEvent::Requested(r)) if e.version == 1 => {
                let order = OrderId::from_uuid(e.order_id);
                positions.insert(e.order_id, Position::opened(order, r));
            }
            (Some(position), event) => {
                for posting in position.post(e.version, event) {
                    legs.push(&posting, e.at);
                }
            }
            (None, _) => {}
        }
    }
    if legs.order_id.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO ledger_postings (order_id, version, kind, account, provider, currency, \
         debit, credit, at) \
         SELECT * FROM UNNEST($1::uuid[], $2::int8[], $3::text[], $4::text[], $5::text[], \
         $6::text[], $7::numeric[], $8::numeric[], $9::timestamptz[]) \
         ON CONFLICT (order_id, version, kind, account) DO NOTHING",
    )
    .bind(legs.order_id)
    .bind(legs.version)
    .bind(legs.kind)
    .bind(legs.account)
    .bind(legs.provider)
    .bind(legs.currency)
    .bind(legs.debit)
    .bind(legs.credit)
    .bind(legs.at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
