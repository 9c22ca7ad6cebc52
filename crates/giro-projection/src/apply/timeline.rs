//! The timelines: every event of every order, data masked, written with one array insert.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::db::bigint;
use crate::decode::Decoded;
use crate::error::Error;

/// Which timeline table.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Table {
    Payout,
    Charge,
    Beneficiary,
}

impl Table {
    fn insert_sql(self) -> &'static str {
        match self {
            Table::Payout => {
                "INSERT INTO payout_events (order_id, version, sequence, event_id, type, at, data) \
                 SELECT * FROM UNNEST($1::uuid[], $2::int8[], $3::int8[], $4::uuid[], $5::text[], \
                 $6::timestamptz[], $7::jsonb[]) ON CONFLICT DO NOTHING"
            }
            Table::Charge => {
                "INSERT INTO charge_events (order_id, version, sequence, event_id, type, at, data) \
                 SELECT * FROM UNNEST($1::uuid[], $2::int8[], $3::int8[], $4::uuid[], $5::text[], \
                 $6::timestamptz[], $7::jsonb[]) ON CONFLICT DO NOTHING"
            }
            Table::Beneficiary => {
                "INSERT INTO beneficiary_events \
                 (beneficiary_id, version, sequence, event_id, type, at, data) \
                 SELECT * FROM UNNEST($1::uuid[], $2::int8[], $3::int8[], $4::uuid[], $5::text[], \
                 $6::timestamptz[], $7::jsonb[]) ON CONFLICT DO NOTHING"
            }
        }
    }
}

/// Inserts the events' timeline rows. A `(order, version)` already present is left as it is: the
/// checkpoint already prevents a second application; this only keeps a reset checkpoint harmless.
pub(crate) async fn insert(
    tx: &mut Transaction<'_, Postgres>,
    table: Table,
    events: &[&Decoded],
) -> Result<(), Error> {
    if events.is_empty() {
        return Ok(());
    }
    let n = events.len();
    let mut ids: Vec<Uuid> = Vec::with_capacity(n);
    let mut versions: Vec<i64> = Vec::with_capacity(n);
    let mut sequences: Vec<i64> = Vec::with_capacity(n);
    let mut event_ids: Vec<Uuid> = Vec::with_capacity(n);
    let mut types: Vec<&str> = Vec::with_capacity(n);
    let mut ats: Vec<DateTime<Utc>> = Vec::with_capacity(n);
    let mut data: Vec<&Value> = Vec::with_capacity(n);
    for e in events {
        ids.push(e.order_id);
        versions.push(bigint(e.version));
        sequences.push(bigint(e.sequence));
        event_ids.push(e.event_id);
        types.push(&e.event_type);
        ats.push(e.at);
        data.push(&e.data);
    }
    sqlx::query(table.insert_sql())
        .bind(ids)
        .bind(versions)
        .bind(sequences)
        .bind(event_ids)
        .bind(types)
        .bind(ats)
        .bind(data)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
