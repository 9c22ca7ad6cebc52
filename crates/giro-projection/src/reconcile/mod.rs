//! Matching a provider's statement with Giro's read models, line by line (issue #17).
//!
//! A statement is CSV with the header
//! `date,provider,reference,provider_ref,status,amount,currency,fee,completed_at,channel_ref`, one
//! line per payout whose latest status change fell on `date` (the sandboxes export it at
//! `GET /_sandbox/<simulator>/statement?date=`). `reference` is the merchant reference Giro sent:
//! the submission handle, which names the order.
//!
//! Each line is compared with the order's row: the status word with the last one the provider
//! reported to Giro, the amount with what the provider reported paying (the order's amount when
//! it never said), the currency with the order's and the fee with the reported fee. A line whose
//! reference names no order of that provider is `extra`; an order that reached a final status at
//! that provider on a statement day and has no line is `missing`. Dates are UTC days on both
//! sides.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use chrono::NaiveDate;
use giro_domain::SubmissionHandle;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// What a discrepancy says Giro's order is when the provider's statement does not list it.
pub const NOT_ON_STATEMENT: &str = "not on the statement";

/// The header a statement starts with.
pub const STATEMENT_HEADER: [&str; 10] = [
    "date",
    "provider",
    "reference",
    "provider_ref",
    "status",
    "amount",
    "currency",
    "fee",
    "completed_at",
    "channel_ref",
];

/// One statement line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    /// 1 for the first line after the header.
    pub line: usize,
    pub date: NaiveDate,
    pub provider: String,
    pub reference: String,
    pub provider_ref: String,
    pub status: String,
    pub amount: Decimal,
    pub currency: String,
    pub fee: Option<Decimal>,
}

/// Why a statement cannot be read: the line (0 for the header) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("statement line {line}, field {field}: {message}")]
pub struct StatementError {
    pub line: usize,
    pub field: String,
    pub message: String,
}

fn error(line: usize, field: &str, message: impl Into<String>) -> StatementError {
    StatementError {
        line,
        field: field.to_string(),
        message: message.into(),
    }
}

/// An exact, non-negative decimal as the statement writes it (digits with an optional fraction).
fn decimal(line: usize, field: &str, text: &str) -> Result<Decimal, StatementError> {
    let plain = !text.is_empty()
        && text.split_once('.').map_or_else(
            || text.bytes().all(|b| b.is_ascii_digit()),
            |(i, f)| {
                !i.is_empty()
                    && !f.is_empty()
                    && i.bytes().all(|b| b.is_ascii_digit())
                    && f.bytes().all(|b| b.is_ascii_digit())
            },
        );
    if !plain {
        return Err(error(
            line,
            field,
            format!("{text:?} is not a decimal like 1500.25"),
        ));
    }
    Decimal::from_str_exact(text).map_err(|_| error(line, field, format!("{text:?} is too large")))
}

/// Reads a statement; every problem names its line and field.
pub fn parse_statement(text: &str) -> Result<Vec<StatementLine>, StatementError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| error(0, "header", e.to_string()))?
        .clone();
    let names: Vec<&str> = header.iter().collect();
    if names != STATEMENT_HEADER {
        return Err(error(
            0,
            "header",
            format!(
                "expected {}, got {}",
                STATEMENT_HEADER.join(","),
                names.join(",")
            ),
        ));
    }
    let mut lines = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 1;
        let record = record.map_err(|e| error(line, "line", e.to_string()))?;
        let field = |n: usize| record.get(n).unwrap_or("").trim();
        let text = |n: usize| -> Result<String, StatementError> {
            let v = field(n);
            if v.chars().any(char::is_control) {
                return Err(error(
                    line,
                    STATEMENT_HEADER[n],
                    "holds a control character",
                ));
            }
            Ok(v.to_string())
        };
        let required = |n: usize| -> Result<String, StatementError> {
            let v = text(n)?;
            if v.is_empty() {
                return Err(error(line, STATEMENT_HEADER[n], "is empty"));
            }
            Ok(v)
        };
        let date = NaiveDate::from_str(field(0)).map_err(|_| {
            error(
                line,
                "date",
                format!("{:?} is not a day like 2026-12-06", field(0)),
            )
        })?;
        let fee = match field(7) {
            "" => None,
            v => Some(decimal(line, "fee", v)?),
        };
        lines.push(StatementLine {
            line,
            date,
            provider: required(1)?,
            reference: required(2)?,
            provider_ref: text(3)?,
            status: required(4)?.to_ascii_uppercase(),
            amount: decimal(line, "amount", field(5))?,
            currency: required(6)?.to_ascii_uppercase(),
            fee,
        });
    }
    Ok(lines)
}

/// A field on which a line and Giro differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub line: usize,
    pub order_id: Uuid,
    /// `status`, `amount`, `currency` or `fee`.
    pub field: &'static str,
    /// What Giro holds.
    pub giro: String,
    /// What the statement says.
    pub statement: String,
    /// Stable across runs, so recording it twice records it once.
    pub reference: String,
}

/// An order Giro finished at the provider on a statement day that the statement does not list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub order_id: Uuid,
    pub status: String,
    pub amount: Decimal,
    pub currency: String,
    pub day: NaiveDate,
}

/// A statement line that names no order of its provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extra {
    pub line: usize,
    pub reference: String,
    pub reason: String,
}

/// The outcome of matching a statement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub lines: usize,
    pub matched: usize,
    pub different: Vec<Difference>,
    pub missing: Vec<Missing>,
    pub extra: Vec<Extra>,
}

impl Reconciliation {
    /// Whether the statement and Giro agree on everything.
    pub fn agrees(&self) -> bool {
        self.different.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// An order's row as reconciliation reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Held {
    order_id: Uuid,
    provider: String,
    status: String,
    amount: Decimal,
    currency: String,
    provider_status: Option<String>,
    reported_amount: Option<Decimal>,
    fee: Option<Decimal>,
    day: Option<NaiveDate>,
}

/// The columns of [`Held`], from `payouts`.
macro_rules! held_select {
    () => {
        "SELECT order_id, provider, status, amount, currency, provider_status, reported_amount, \
         fee, (status_since AT TIME ZONE 'UTC')::date AS day FROM payouts"
    };
}

/// Matches `lines` with the read models of `pool`.
pub async fn reconcile(
    pool: &PgPool,
    lines: &[StatementLine],
) -> Result<Reconciliation, sqlx::Error> {
    let mut ids = Vec::new();
    for l in lines {
        if let Ok(h) = l.reference.parse::<SubmissionHandle>() {
            ids.push(h.order_id.as_uuid());
        }
    }
    let named: Vec<Held> = sqlx::query_as(concat!(held_select!(), " WHERE order_id = ANY($1)"))
        .bind(&ids)
        .fetch_all(pool)
        .await?;
    let named: BTreeMap<Uuid, Held> = named.into_iter().map(|h| (h.order_id, h)).collect();
    let mut days: BTreeMap<&str, BTreeSet<NaiveDate>> = BTreeMap::new();
    for l in lines {
        days.entry(l.provider.as_str()).or_default().insert(l.date);
    }
    let mut finished = Vec::new();
    for (provider, dates) in &days {
        let dates: Vec<NaiveDate> = dates.iter().copied().collect();
        let rows: Vec<Held> = sqlx::query_as(concat!(
            held_select!(),
            " WHERE provider = $1 AND status IN ",
            "('succeeded', 'failed', 'refunded', 'reversed', 'cancelled') ",
            "AND (status_since AT TIME ZONE 'UTC')::date = ANY($2)"
        ))
        .bind(provider)
        .bind(&dates)
        .fetch_all(pool)
        .await?;
        finished.extend(rows);
    }
    Ok(compare(lines, &named, &finished))
}

fn compare(
    lines: &[StatementLine],
    named: &BTreeMap<Uuid, Held>,
    finished: &[Held],
) -> Reconciliation {
    let mut r = Reconciliation {
        lines: lines.len(),
        ..Reconciliation::default()
    };
    let mut listed = BTreeSet::new();
    for l in lines {
        let held = l
            .reference
            .parse::<SubmissionHandle>()
            .ok()
            .and_then(|h| named.get(&h.order_id.as_uuid()));
        let Some(held) = held.filter(|h| h.provider == l.provider) else {
            let reason = match held {
                Some(h) => format!("the order is {}'s, not {}'s", h.provider, l.provider),
                None => "no Giro order has this reference".to_string(),
            };
            r.extra.push(Extra {
                line: l.line,
                reference: l.reference.clone(),
                reason,
            });
            continue;
        };
        listed.insert(held.order_id);
        let before = r.different.len();
        let mut differ = |field: &'static str, giro: String, statement: String| {
            r.different.push(Difference {
                line: l.line,
                order_id: held.order_id,
                field,
                giro,
                statement,
                reference: format!("statement {} {} {}", l.provider, l.date, l.reference),
            });
        };
        let giro_status = held
            .provider_status
            .as_deref()
            .unwrap_or("")
            .to_ascii_uppercase();
        if giro_status != l.status {
            let giro = if giro_status.is_empty() {
                format!("no provider status ({})", held.status)
            } else {
                giro_status
            };
            differ("status", giro, l.status.clone());
        }
        let paid = held.reported_amount.unwrap_or(held.amount).normalize();
        if paid != l.amount.normalize() {
            differ("amount", paid.to_string(), l.amount.normalize().to_string());
        }
        if !held.currency.eq_ignore_ascii_case(&l.currency) {
            differ("currency", held.currency.clone(), l.currency.clone());
        }
        let fee = |f: Option<Decimal>| f.unwrap_or_default().normalize();
        if fee(held.fee) != fee(l.fee) {
            differ("fee", fee(held.fee).to_string(), fee(l.fee).to_string());
        }
        if r.different.len() == before {
            r.matched += 1;
        }
    }
    for h in finished {
        if !listed.contains(&h.order_id) {
            r.missing.push(Missing {
                order_id: h.order_id,
                status: h.status.clone(),
                amount: h.amount.normalize(),
                currency: h.currency.clone(),
                day: h.day.unwrap_or_default(),
            });
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "date,provider,reference,provider_ref,status,amount,currency,fee,completed_at,channel_ref";

    #[test]
    fn a_statement_is_read_exactly_and_its_errors_name_line_and_field() {
        let text = format!(
            "{HEADER}\n2026-12-06,cashy-co,H1,CSH-1,success,247500.00,cop,2475.5,\"2026-12-06 08:42:54\",CH-1\n"
        );
        let lines = parse_statement(&text).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].status, "SUCCESS");
        assert_eq!(lines[0].amount, Decimal::new(24_750_000, 2));
        assert_eq!(lines[0].fee, Some(Decimal::new(24_755, 1)));
        assert_eq!(lines[0].currency, "COP");

        let bad = |row: &str| parse_statement(&format!("{HEADER}\n{row}\n")).unwrap_err();
        let e = bad("2026-12-06,cashy-co,H1,CSH-1,SUCCESS,2.5e5,COP,,,");
        assert_eq!((e.line, e.field.as_str()), (1, "amount"));
        let e = bad("2026-12-06,cashy-co,H1,CSH-1,SUCCESS,-1,COP,,,");
        assert_eq!(e.field, "amount");
        let e = bad("06/12/2026,cashy-co,H1,CSH-1,SUCCESS,1,COP,,,");
        assert_eq!(e.field, "date");
        let e = bad("2026-12-06,cashy-co,,CSH-1,SUCCESS,1,COP,,,");
        assert_eq!(e.field, "reference");
        let e = bad("2026-12-06,cashy-co,H1,CSH-1,SUCCESS,1,COP,x,,");
        assert_eq!(e.field, "fee");
        let e = bad("2026-12-06,cashy-co,H1");
        assert_eq!((e.line, e.field.as_str()), (1, "line"));
        let e = parse_statement("a,b\n").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (0, "header"));
    }
}
