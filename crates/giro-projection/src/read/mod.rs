//! Reading the read models for the query API and the dashboard: one order, a filtered page of
//! orders (keyset pagination, newest first), an order's timeline, and the figures of `/v1/stats`.

mod dashboard;
pub(crate) mod exceptions;
pub(crate) mod series;
mod stats;
mod views;

pub(crate) use dashboard::{
    Reversal, StuckCount, StuckPayout, reversals, status_counts, stuck, stuck_counts,
};
pub(crate) use stats::{Amount, Stats, stats};
pub(crate) use views::{BeneficiaryView, ChargeView, PayoutView};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// Where a page ends: the sort key of its last item. Opaque to clients (hex of
/// `<created_at µs>.<id>`), so its form can change without breaking them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        hex::encode(format!(
            "{}.{}",
            self.created_at.timestamp_micros(),
            self.id
        ))
    }

    /// `None` for anything that is not a cursor this API handed out.
    pub fn decode(s: &str) -> Option<Cursor> {
        let text = String::from_utf8(hex::decode(s).ok()?).ok()?;
        let (micros, id) = text.split_once('.')?;
        Some(Cursor {
            created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: id.parse().ok()?,
        })
    }
}

/// One kind of order as a table: its name, id column and what it may be filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Payout,
    Charge,
    Beneficiary,
}

impl Kind {
    pub fn table(self) -> &'static str {
        match self {
            Kind::Payout => "payouts",
            Kind::Charge => "charges",
            Kind::Beneficiary => "beneficiaries",
        }
    }

    pub fn id_column(self) -> &'static str {
        match self {
            Kind::Beneficiary => "beneficiary_id",
            Kind::Payout | Kind::Charge => "order_id",
        }
    }

    fn events_table(self) -> &'static str {
        match self {
            Kind::Payout => "payout_events",
            Kind::Charge => "charge_events",
            Kind::Beneficiary => "beneficiary_events",
        }
    }
}

/// What a search box finds: an order (or beneficiary) by its id, else by its external id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Search {
    Id(Uuid),
    ExternalId(String),
}

/// A validated list request.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListFilter {
    pub status: Option<String>,
    pub provider: Option<String>,
    pub external_id: Option<String>,
    pub search: Option<Search>,
    /// Amount bounds, inclusive (payouts and charges).
    pub min_amount: Option<rust_decimal::Decimal>,
    pub max_amount: Option<rust_decimal::Decimal>,
    /// Creation-time bounds: from inclusive, to exclusive.
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub after: Option<Cursor>,
    pub limit: u32,
}

/// A page of orders and, when there may be more, the cursor of the next page.
#[derive(Debug, Serialize)]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// An order row that knows its sort key.
pub(crate) trait Keyed {
    fn key(&self) -> Cursor;
}

/// A page of `kind` matching `filter`, newest first. The equality filters are indexed; the ranges
/// narrow what the `(created_at, id)` order reads. The cursor continues strictly after the
/// previous page's last `(created_at, id)`.
pub(crate) async fn list<T>(
    pool: &PgPool,
    kind: Kind,
    filter: &ListFilter,
) -> Result<Page<T>, sqlx::Error>
where
    T: for<'r> FromRow<'r, PgRow> + Keyed + Send + Unpin,
{
    let id = kind.id_column();
    let mut q = QueryBuilder::<Postgres>::new(format!("SELECT * FROM {} WHERE true", kind.table()));
    if let Some(status) = &filter.status {
        q.push(" AND status = ").push_bind(status.clone());
    }
    if let Some(provider) = &filter.provider {
        q.push(" AND provider = ").push_bind(provider.clone());
    }
    if let Some(external_id) = &filter.external_id {
        q.push(" AND external_id = ").push_bind(external_id.clone());
    }
    match &filter.search {
        Some(Search::Id(found)) => {
            q.push(format!(" AND {id} = ")).push_bind(*found);
        }
        Some(Search::ExternalId(text)) => {
            q.push(" AND external_id = ").push_bind(text.clone());
        }
        None => {}
    }
    if let Some(min) = filter.min_amount {
        q.push(" AND amount >= ").push_bind(min);
    }
    if let Some(max) = filter.max_amount {
        q.push(" AND amount <= ").push_bind(max);
    }
    if let Some(from) = filter.created_from {
        q.push(" AND created_at >= ").push_bind(from);
    }
    if let Some(to) = filter.created_to {
        q.push(" AND created_at < ").push_bind(to);
    }
    if let Some(after) = filter.after {
        q.push(format!(" AND (created_at, {id}) < ("))
            .push_bind(after.created_at)
            .push(", ")
            .push_bind(after.id)
            .push(")");
    }
    q.push(format!(" ORDER BY created_at DESC, {id} DESC LIMIT "))
        .push_bind(i64::from(filter.limit) + 1);
    let mut items: Vec<T> = q.build_query_as().fetch_all(pool).await?;
    let more = items.len() > filter.limit as usize;
    items.truncate(filter.limit as usize);
    let next_cursor = match items.last() {
        Some(last) if more => Some(last.key().encode()),
        _ => None,
    };
    Ok(Page { items, next_cursor })
}

/// One order by id.
pub(crate) async fn get<T>(pool: &PgPool, kind: Kind, id: Uuid) -> Result<Option<T>, sqlx::Error>
where
    T: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let sql = format!(
        "SELECT * FROM {} WHERE {} = $1",
        kind.table(),
        kind.id_column()
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// One event of a timeline.
#[derive(Debug, Serialize, FromRow)]
pub(crate) struct TimelineEvent {
    pub version: i64,
    pub sequence: i64,
    pub event_id: Uuid,
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub at: DateTime<Utc>,
    pub data: Value,
}

/// An order's events, oldest first (empty for an unknown order).
pub(crate) async fn timeline(
    pool: &PgPool,
    kind: Kind,
    id: Uuid,
) -> Result<Vec<TimelineEvent>, sqlx::Error> {
    let sql = format!(
        "SELECT version, sequence, event_id, type, at, data FROM {} WHERE {} = $1 ORDER BY version",
        kind.events_table(),
        kind.id_column()
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = Cursor {
            created_at: DateTime::from_timestamp_micros(1_767_225_600_123_456).unwrap(),
            id: Uuid::new_v4(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in [
            "",
            "zz",
            "abcd",
            &hex::encode("1.not-a-uuid"),
            &hex::encode("x.y"),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
