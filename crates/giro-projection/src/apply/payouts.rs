//! `payouts`: one row per order, its status moved by `giro_domain::payout::next_status` (the
//! transition table the aggregate obeys) and its other fields updated as `evolve` updates them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use giro_domain::payout::{PayoutEvent, PayoutRequested, PayoutStatus, next_status};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::db::bigint;
use crate::decode::{Decoded, Known};
use crate::error::Error;

/// The fields set once, by `payout.requested`.
struct Creation {
    amount: Decimal,
    currency: &'static str,
    rail: &'static str,
    external_id: Option<String>,
    idempotency_key: String,
    beneficiary_masked: Value,
    created_at: DateTime<Utc>,
    execute_at: Option<DateTime<Utc>>,
}

/// A row being brought up to date; `creation` is set for rows this batch creates.
struct Row {
    creation: Option<Box<Creation>>,
    dirty: bool,
    status: PayoutStatus,
    /// The provider the payout is at: `payout.requested`'s, then each `payout.rerouted`'s.
    provider: String,
    provider_ref: Option<String>,
    failure_code: Option<String>,
    failure_message: Option<String>,
    updated_at: DateTime<Utc>,
    status_since: DateTime<Utc>,
    terminal_at: Option<DateTime<Utc>>,
    version: u64,
}

impl Row {
    fn new(r: &PayoutRequested, at: DateTime<Utc>) -> Row {
        Row {
            creation: Some(Box::new(Creation {
                amount: r.money.amount(),
                currency: r.money.currency().code(),
                rail: r.beneficiary.rail().as_str(),
                external_id: r.external_id.clone(),
                idempotency_key: r.idempotency_key.as_str().to_string(),
                beneficiary_masked: r.beneficiary.masked(),
                created_at: at,
                execute_at: r.execute_at,
            })),
            dirty: true,
            status: r.initial_status(),
            provider: r.provider.to_string(),
            provider_ref: None,
            failure_code: None,
            failure_message: None,
            updated_at: at,
            status_since: at,
            terminal_at: None,
            version: 1,
        }
    }

    /// Applies one later event as `giro_domain::payout::evolve` does. An event whose only point is
    /// a transition the table forbids (a corrupt log) changes nothing but the version.
    fn apply(&mut self, event: &PayoutEvent, at: DateTime<Utc>, version: u64) {
        self.dirty = true;
        self.version = version;
        self.updated_at = at;
        let next = next_status(self.status, event);
        if event.moves_status() && next.is_none() {
            return;
        }
        match event {
            PayoutEvent::Submitted(s) if self.provider_ref.is_none() => {
                self.provider_ref.clone_from(&s.provider_ref);
            }
            PayoutEvent::ProviderStatus(r) if self.provider_ref.is_none() => {
                self.provider_ref.clone_from(&r.provider_ref);
            }
            PayoutEvent::Succeeded(s) if s.provider_ref.is_some() => {
                self.provider_ref.clone_from(&s.provider_ref);
            }
            PayoutEvent::SubmissionFailed(f) => {
                self.failure_code = Some(f.code.clone());
                self.failure_message = Some(f.message.clone());
            }
            PayoutEvent::ProviderWaitAnnounced(w) => {
                self.failure_code = Some(w.code.clone());
                self.failure_message = Some(w.message.clone());
            }
            PayoutEvent::Failed(f) | PayoutEvent::Reversed(f) => {
                self.failure_code = Some(f.code.clone());
                self.failure_message = Some(f.message.clone());
            }
            PayoutEvent::Rerouted(r) => {
                self.provider = r.to.to_string();
                self.provider_ref = None;
            }
            _ => {}
        }
        if let Some(to) = next {
            self.status = to;
            self.status_since = at;
            if to.is_terminal() && self.terminal_at.is_none() {
                self.terminal_at = Some(at);
            } else if !to.is_terminal() {
                // Open again (an operator's retry of a failed payout): not final any more.
                self.terminal_at = None;
            }
        }
    }
}

pub(crate) fn parse_status(s: &str) -> Result<PayoutStatus, Error> {
    PayoutStatus::ALL
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| Error::Corrupt(format!("payouts.status {s:?} is not a payout status")))
}

type Loaded = (
    Uuid,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    i64,
);

/// The stored rows of the orders these events belong to.
async fn load(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Decoded],
) -> Result<HashMap<Uuid, Row>, Error> {
    let mut ids: Vec<Uuid> = events.iter().map(|e| e.order_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<Loaded> = sqlx::query_as(
        "SELECT order_id, status, provider, provider_ref, failure_code, failure_message, updated_at, \
         status_since, terminal_at, version FROM payouts WHERE order_id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    let mut loaded = HashMap::with_capacity(rows.len());
    for (
        id,
        status,
        provider,
        provider_ref,
        code,
        message,
        updated_at,
        since,
        terminal_at,
        version,
    ) in rows
    {
        loaded.insert(
            id,
            Row {
                creation: None,
                dirty: false,
                status: parse_status(&status)?,
                provider,
                provider_ref,
                failure_code: code,
                failure_message: message,
                updated_at,
                status_since: since,
                terminal_at,
                version: u64::try_from(version).unwrap_or(0),
            },
        );
    }
    Ok(loaded)
}

/// Brings the rows of these payout events up to date: one insert for new orders, one update for
/// the others. Events without a row (their `payout.requested` is missing) only reach the timeline.
pub(crate) async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Decoded],
) -> Result<(), Error> {
    if events.is_empty() {
        return Ok(());
    }
    let mut rows = load(tx, events).await?;
    for e in events {
        let Some(Known::Payout(event)) = &e.event else {
            continue;
        };
        match (rows.get_mut(&e.order_id), event) {
            (None, PayoutEvent::Requested(r)) if e.version == 1 => {
                rows.insert(e.order_id, Row::new(r, e.at));
            }
            (Some(row), event) if e.version > row.version => row.apply(event, e.at, e.version),
            _ => {}
        }
    }
    insert_new(tx, &rows).await?;
    update_existing(tx, &rows).await
}

async fn insert_new(
    tx: &mut Transaction<'_, Postgres>,
    rows: &HashMap<Uuid, Row>,
) -> Result<(), Error> {
    let new: Vec<NewRow> = rows
        .iter()
        .filter_map(|(id, r)| r.creation.as_deref().map(|c| (id, r, c)))
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO payouts (order_id, provider, status, amount, currency, rail, external_id, \
         idempotency_key, provider_ref, failure_code, failure_message, beneficiary_masked, \
         created_at, updated_at, status_since, terminal_at, version, execute_at) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::numeric[], $5::text[], \
         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[], \
         $13::timestamptz[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[], \
         $17::int8[], $18::timestamptz[])",
    )
    .bind(column(&new, |(id, _, _)| *id))
    .bind(column(&new, |(_, r, _)| r.provider.as_str()))
    .bind(column(&new, |(_, r, _)| r.status.as_str()))
    .bind(column(&new, |(_, _, c)| c.amount))
    .bind(column(&new, |(_, _, c)| c.currency))
    .bind(column(&new, |(_, _, c)| c.rail))
    .bind(column(&new, |(_, _, c)| c.external_id.as_deref()))
    .bind(column(&new, |(_, _, c)| c.idempotency_key.as_str()))
    .bind(column(&new, |(_, r, _)| r.provider_ref.as_deref()))
    .bind(column(&new, |(_, r, _)| r.failure_code.as_deref()))
    .bind(column(&new, |(_, r, _)| r.failure_message.as_deref()))
    .bind(column(&new, |(_, _, c)| &c.beneficiary_masked))
    .bind(column(&new, |(_, _, c)| c.created_at))
    .bind(column(&new, |(_, r, _)| r.updated_at))
    .bind(column(&new, |(_, r, _)| r.status_since))
    .bind(column(&new, |(_, r, _)| r.terminal_at))
    .bind(column(&new, |(_, r, _)| bigint(r.version)))
    .bind(column(&new, |(_, _, c)| c.execute_at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A payout first seen in this batch: its id, its row and how it was created.
type NewRow<'a> = (&'a Uuid, &'a Row, &'a Creation);

/// One column of the new rows, bound as an array for `UNNEST`.
fn column<'a, T>(new: &[NewRow<'a>], value: impl Fn(NewRow<'a>) -> T) -> Vec<T> {
    new.iter().map(|&row| value(row)).collect()
}

async fn update_existing(
    tx: &mut Transaction<'_, Postgres>,
    rows: &HashMap<Uuid, Row>,
) -> Result<(), Error> {
    let changed: Vec<(&Uuid, &Row)> = rows
        .iter()
        .filter(|(_, r)| r.dirty && r.creation.is_none())
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE payouts AS p SET status = u.status, provider_ref = u.provider_ref, \
         failure_code = u.failure_code, failure_message = u.failure_message, \
         updated_at = u.updated_at, status_since = u.status_since, terminal_at = u.terminal_at, \
         version = u.version, provider = u.provider \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], \
         $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::int8[], $10::text[]) \
         AS u(order_id, status, provider_ref, failure_code, failure_message, updated_at, \
         status_since, terminal_at, version, provider) \
         WHERE p.order_id = u.order_id",
    )
    .bind(changed.iter().map(|(id, _)| **id).collect::<Vec<_>>())
    .bind(
        changed
            .iter()
            .map(|(_, r)| r.status.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        changed
            .iter()
            .map(|(_, r)| r.provider_ref.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        changed
            .iter()
            .map(|(_, r)| r.failure_code.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        changed
            .iter()
            .map(|(_, r)| r.failure_message.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        changed
            .iter()
            .map(|(_, r)| r.updated_at)
            .collect::<Vec<_>>(),
    )
    .bind(
        changed
            .iter()
            .map(|(_, r)| r.status_since)
            .collect::<Vec<_>>(),
    )
    .bind(
        changed
            .iter()
            .map(|(_, r)| r.terminal_at)
            .collect::<Vec<_>>(),
    )
    .bind(
        changed
            .iter()
            .map(|(_, r)| bigint(r.version))
            .collect::<Vec<_>>(),
    )
    .bind(
        changed
            .iter()
            .map(|(_, r)| r.provider.as_str())
            .collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
