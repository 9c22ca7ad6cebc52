//! `charges`: one row per charge order, its status moved by `giro_domain::charge::next_status`
//! (the transition table the aggregate obeys) and its other fields updated as `evolve` does.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use giro_domain::charge::{ChargeEvent, ChargeRequested, ChargeStatus, fits, next_status};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::db::bigint;
use crate::decode::{Decoded, Known};
use crate::error::Error;

/// The fields set once, by `charge.requested`.
struct Creation {
    provider: String,
    amount: Decimal,
    currency: &'static str,
    installment_count: i32,
    method: String,
    external_id: Option<String>,
    idempotency_key: String,
    payer_masked: Value,
    due_date: NaiveDate,
    description: String,
    created_at: DateTime<Utc>,
}

/// A row being brought up to date; `creation` is set for rows this batch creates.
struct Row {
    creation: Option<Box<Creation>>,
    dirty: bool,
    status: ChargeStatus,
    provider_ref: Option<String>,
    payment_url: Option<String>,
    failure_code: Option<String>,
    failure_message: Option<String>,
    refunded_amount: Decimal,
    updated_at: DateTime<Utc>,
    status_since: DateTime<Utc>,
    terminal_at: Option<DateTime<Utc>>,
    version: u64,
}

impl Row {
    fn new(r: &ChargeRequested, masked: &Value, at: DateTime<Utc>) -> Row {
        let method = serde_json::to_value(r.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        Row {
            creation: Some(Box::new(Creation {
                provider: r.provider.to_string(),
                amount: r.money.amount(),
                currency: r.money.currency().code(),
                installment_count: i32::try_from(r.installment_count).unwrap_or(i32::MAX),
                method,
                external_id: r.external_id.clone(),
                idempotency_key: r.idempotency_key.as_str().to_string(),
                payer_masked: masked.get("payer").cloned().unwrap_or(Value::Null),
                due_date: r.due_date,
                description: r.description.clone(),
                created_at: at,
            })),
            dirty: true,
            status: ChargeStatus::Requested,
            provider_ref: None,
            payment_url: None,
            failure_code: None,
            failure_message: None,
            refunded_amount: Decimal::ZERO,
            updated_at: at,
            status_since: at,
            terminal_at: None,
            version: 1,
        }
    }

    /// Applies one later event as `giro_domain::charge::evolve` does. An event whose only point is
    /// a transition the table forbids (a corrupt log) changes nothing but the version.
    fn apply(&mut self, event: &ChargeEvent, at: DateTime<Utc>, version: u64) {
        self.dirty = true;
        self.version = version;
        self.updated_at = at;
        if !fits(self.status, event) {
            return;
        }
        match event {
            ChargeEvent::Submitted(s) => {
                if self.provider_ref.is_none() {
                    self.provider_ref = Some(s.charge_uuid.clone());
                }
                if s.payment.payment_url.is_some() {
                    self.payment_url.clone_from(&s.payment.payment_url);
                }
            }
            ChargeEvent::ProviderStatus(r) if self.provider_ref.is_none() => {
                self.provider_ref.clone_from(&r.charge_uuid);
            }
            ChargeEvent::SubmissionFailed(f) => {
                self.failure_code = Some(f.code.clone());
                self.failure_message = Some(f.message.clone());
            }
            ChargeEvent::ProviderWaitAnnounced(w) => {
                self.failure_code = Some(w.code.clone());
                self.failure_message = Some(w.message.clone());
            }
            ChargeEvent::Failed(f) => {
                self.failure_code = Some(f.code.clone());
                self.failure_message = Some(f.message.clone());
            }
            ChargeEvent::Refunded(r) => self.refunded_amount += r.amount,
            _ => {}
        }
        if let Some(to) = next_status(self.status, event) {
            self.status = to;
            self.status_since = at;
            if to.is_terminal() && self.terminal_at.is_none() {
                self.terminal_at = Some(at);
            }
        }
    }
}

fn parse_status(s: &str) -> Result<ChargeStatus, Error> {
    ChargeStatus::ALL
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| Error::Corrupt(format!("charges.status {s:?} is not a charge status")))
}

type Loaded = (
    Uuid,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Decimal,
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
        "SELECT order_id, status, provider_ref, payment_url, failure_code, failure_message, \
         refunded_amount, updated_at, status_since, terminal_at, version \
         FROM charges WHERE order_id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    let mut loaded = HashMap::with_capacity(rows.len());
    for (id, status, provider_ref, url, code, message, refunded, updated_at, since, terminal, v) in
        rows
    {
        loaded.insert(
            id,
            Row {
                creation: None,
                dirty: false,
                status: parse_status(&status)?,
                provider_ref,
                payment_url: url,
                failure_code: code,
                failure_message: message,
                refunded_amount: refunded,
                updated_at,
                status_since: since,
                terminal_at: terminal,
                version: u64::try_from(v).unwrap_or(0),
            },
        );
    }
    Ok(loaded)
}

/// Brings the rows of these charge events up to date (one insert, one update).
pub(crate) async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Decoded],
) -> Result<(), Error> {
    if events.is_empty() {
        return Ok(());
    }
    let mut rows = load(tx, events).await?;
    for e in events {
        let Some(Known::Charge(event)) = &e.event else {
            continue;
        };
        match (rows.get_mut(&e.order_id), event) {
            (None, ChargeEvent::Requested(r)) if e.version == 1 => {
                rows.insert(e.order_id, Row::new(r, &e.data, e.at));
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
    let new: Vec<(&Uuid, &Row, &Creation)> = rows
        .iter()
        .filter_map(|(id, r)| r.creation.as_deref().map(|c| (id, r, c)))
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&Row, &Creation) -> Option<String>| -> Vec<Option<String>> {
        new.iter().map(|(_, r, c)| f(r, c)).collect()
    };
    sqlx::query(
        "INSERT INTO charges (order_id, provider, status, amount, currency, installment_count, \
         method, external_id, idempotency_key, payer_masked, due_date, description, provider_ref, \
         payment_url, failure_code, failure_message, refunded_amount, created_at, updated_at, \
         status_since, terminal_at, version) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::numeric[], $5::text[], \
         $6::int4[], $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::date[], $12::text[], \
         $13::text[], $14::text[], $15::text[], $16::text[], $17::numeric[], \
         $18::timestamptz[], $19::timestamptz[], $20::timestamptz[], $21::timestamptz[], \
         $22::int8[])",
    )
    .bind(new.iter().map(|(id, _, _)| **id).collect::<Vec<_>>())
    .bind(col(|_, c| Some(c.provider.clone())))
    .bind(col(|r, _| Some(r.status.as_str().to_string())))
    .bind(new.iter().map(|(_, _, c)| c.amount).collect::<Vec<_>>())
    .bind(new.iter().map(|(_, _, c)| c.currency).collect::<Vec<_>>())
    .bind(
        new.iter()
            .map(|(_, _, c)| c.installment_count)
            .collect::<Vec<_>>(),
    )
    .bind(col(|_, c| Some(c.method.clone())))
    .bind(col(|_, c| c.external_id.clone()))
    .bind(col(|_, c| Some(c.idempotency_key.clone())))
    .bind(
        new.iter()
            .map(|(_, _, c)| &c.payer_masked)
            .collect::<Vec<_>>(),
    )
    .bind(new.iter().map(|(_, _, c)| c.due_date).collect::<Vec<_>>())
    .bind(col(|_, c| Some(c.description.clone())))
    .bind(col(|r, _| r.provider_ref.clone()))
    .bind(col(|r, _| r.payment_url.clone()))
    .bind(col(|r, _| r.failure_code.clone()))
    .bind(col(|r, _| r.failure_message.clone()))
    .bind(
        new.iter()
            .map(|(_, r, _)| r.refunded_amount)
            .collect::<Vec<_>>(),
    )
    .bind(new.iter().map(|(_, _, c)| c.created_at).collect::<Vec<_>>())
    .bind(new.iter().map(|(_, r, _)| r.updated_at).collect::<Vec<_>>())
    .bind(
        new.iter()
            .map(|(_, r, _)| r.status_since)
            .collect::<Vec<_>>(),
    )
    .bind(
        new.iter()
            .map(|(_, r, _)| r.terminal_at)
            .collect::<Vec<_>>(),
    )
    .bind(
        new.iter()
            .map(|(_, r, _)| bigint(r.version))
            .collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
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
    let col = |f: fn(&Row) -> Option<String>| -> Vec<Option<String>> {
        changed.iter().map(|(_, r)| f(r)).collect()
    };
    sqlx::query(
        "UPDATE charges AS c SET status = u.status, provider_ref = u.provider_ref, \
         payment_url = u.payment_url, failure_code = u.failure_code, \
         failure_message = u.failure_message, refunded_amount = u.refunded_amount, \
         updated_at = u.updated_at, status_since = u.status_since, terminal_at = u.terminal_at, \
         version = u.version \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::numeric[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::int8[]) \
         AS u(order_id, status, provider_ref, payment_url, failure_code, failure_message, \
         refunded_amount, updated_at, status_since, terminal_at, version) \
         WHERE c.order_id = u.order_id",
    )
    .bind(changed.iter().map(|(id, _)| **id).collect::<Vec<_>>())
    .bind(col(|r| Some(r.status.as_str().to_string())))
    .bind(col(|r| r.provider_ref.clone()))
    .bind(col(|r| r.payment_url.clone()))
    .bind(col(|r| r.failure_code.clone()))
    .bind(col(|r| r.failure_message.clone()))
    .bind(
        changed
            .iter()
            .map(|(_, r)| r.refunded_amount)
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}
