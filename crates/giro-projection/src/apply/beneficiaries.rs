//! `beneficiaries`: one row per registered account, following `BeneficiaryDecider::evolve`, its
//! account data masked.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use giro_domain::beneficiary::{BeneficiaryEvent, BeneficiaryRegistered, BeneficiaryStatus};
use serde_json::Value;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::db::bigint;
use crate::decode::{Decoded, Known};
use crate::error::Error;

/// The fields set once, by `beneficiary.registered`.
struct Creation {
    account_type: String,
    external_id: Option<String>,
    idempotency_key: String,
    data_masked: Value,
    created_at: DateTime<Utc>,
}

struct Row {
    creation: Option<Box<Creation>>,
    dirty: bool,
    status: String,
    provider_ref: Option<String>,
    /// Masked account fields changed by `beneficiary.updated`, merged into `data_masked`.
    data_patch: serde_json::Map<String, Value>,
    updated_at: DateTime<Utc>,
    version: u64,
}

/// KillB's spelling of a status (`ACTIVE`), as the events carry it.
fn status_name(s: BeneficiaryStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl Row {
    fn new(r: &BeneficiaryRegistered, at: DateTime<Utc>) -> Row {
        let account_type = serde_json::to_value(r.account_type)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        Row {
            creation: Some(Box::new(Creation {
                account_type,
                external_id: r.external_id.clone(),
                idempotency_key: r.idempotency_key.as_str().to_string(),
                data_masked: r.data.masked(),
                created_at: at,
            })),
            dirty: true,
            status: status_name(BeneficiaryStatus::Pending),
            provider_ref: None,
            data_patch: serde_json::Map::new(),
            updated_at: at,
            version: 1,
        }
    }

    fn apply(&mut self, event: &BeneficiaryEvent, at: DateTime<Utc>, version: u64) {
        match event {
            BeneficiaryEvent::StatusChanged(s) => {
                self.status = status_name(s.status);
                if s.provider_ref.is_some() {
                    self.provider_ref.clone_from(&s.provider_ref);
                }
                self.dirty = true;
                self.version = version;
                self.updated_at = at;
            }
            BeneficiaryEvent::Updated(u) => {
                self.status = status_name(u.status);
                if let Value::Object(changes) = u.changes.masked() {
                    match self.creation.as_deref_mut() {
                        Some(Creation {
                            data_masked: Value::Object(data),
                            ..
                        }) => data.extend(changes),
                        _ => self.data_patch.extend(changes),
                    }
                }
                self.dirty = true;
                self.version = version;
                self.updated_at = at;
            }
            BeneficiaryEvent::Removed(r) => {
                self.status = status_name(r.status);
                self.dirty = true;
                self.version = version;
                self.updated_at = at;
            }
            BeneficiaryEvent::PersonalDataErased(_)
            | BeneficiaryEvent::UpdateRequested(_)
            | BeneficiaryEvent::UpdateFailed(_)
            | BeneficiaryEvent::RemovalRequested(_)
            | BeneficiaryEvent::RemovalFailed(_) => {
                self.dirty = true;
                self.version = version;
                self.updated_at = at;
            }
            BeneficiaryEvent::Registered(_) => {}
        }
    }
}

/// A stored row's changing columns: id, status, provider_ref, updated_at, version.
type Stored = (Uuid, String, Option<String>, DateTime<Utc>, i64);

/// Brings the rows of these beneficiary events up to date (one insert, one update).
pub(crate) async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Decoded],
) -> Result<(), Error> {
    if events.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<Uuid> = events.iter().map(|e| e.order_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let stored: Vec<Stored> = sqlx::query_as(
        "SELECT beneficiary_id, status, provider_ref, updated_at, version FROM beneficiaries \
         WHERE beneficiary_id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    let mut rows: HashMap<Uuid, Row> = stored
        .into_iter()
        .map(|(id, status, provider_ref, updated_at, version)| {
            let row = Row {
                creation: None,
                dirty: false,
                status,
                provider_ref,
                data_patch: serde_json::Map::new(),
                updated_at,
                version: u64::try_from(version).unwrap_or(0),
            };
            (id, row)
        })
        .collect();
    for e in events {
        let Some(Known::Beneficiary(event)) = &e.event else {
            continue;
        };
        match (rows.get_mut(&e.order_id), event) {
            (None, BeneficiaryEvent::Registered(r)) if e.version == 1 => {
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
    let new: Vec<(&Uuid, &Row, &Creation)> = rows
        .iter()
        .filter_map(|(id, r)| r.creation.as_deref().map(|c| (id, r, c)))
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO beneficiaries (beneficiary_id, account_type, status, external_id, \
         idempotency_key, provider_ref, data_masked, created_at, updated_at, version) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], \
         $6::text[], $7::jsonb[], $8::timestamptz[], $9::timestamptz[], $10::int8[])",
    )
    .bind(new.iter().map(|(id, _, _)| **id).collect::<Vec<_>>())
    .bind(
        new.iter()
            .map(|(_, _, c)| c.account_type.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        new.iter()
            .map(|(_, r, _)| r.status.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        new.iter()
            .map(|(_, _, c)| c.external_id.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        new.iter()
            .map(|(_, _, c)| c.idempotency_key.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        new.iter()
            .map(|(_, r, _)| r.provider_ref.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        new.iter()
            .map(|(_, _, c)| &c.data_masked)
            .collect::<Vec<_>>(),
    )
    .bind(new.iter().map(|(_, _, c)| c.created_at).collect::<Vec<_>>())
    .bind(new.iter().map(|(_, r, _)| r.updated_at).collect::<Vec<_>>())
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
    sqlx::query(
        "UPDATE beneficiaries AS b SET status = u.status, provider_ref = u.provider_ref, \
         updated_at = u.updated_at, version = u.version, data_masked = b.data_masked || u.patch \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::int8[], \
         $6::jsonb[]) AS u(beneficiary_id, status, provider_ref, updated_at, version, patch) \
         WHERE b.beneficiary_id = u.beneficiary_id",
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
            .map(|(_, r)| r.updated_at)
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
            .map(|(_, r)| Value::Object(r.data_patch.clone()))
            .collect::<Vec<_>>(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
