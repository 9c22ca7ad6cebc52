//! Matching a provider's statement with Giro's read models, line by line (issue #17).
//!
//! A statement is CSV with the header
//! `date,provider,reference,provider_ref,status,amount,currency,fee,completed_at,channel_ref`, one
//! line per order (payout or charge) whose latest status change fell on `date` (the sandboxes
//! export it at `GET /_sandbox/<simulator>/statement?date=`). `reference` is the merchant
//! reference Giro sent: the submission handle, which names the order, whichever its kind.
//!
//! Each line is compared with the order's row (`payouts` or `charges`): the status word with the
//! last one the provider reported to Giro about the order's current attempt (and, for a charge,
//! the charge's own status with the one the domain reads that word as: a charge the provider has
//! `paid` and Giro `failed` differs), the amount with what the provider reported moving (a
//! payout's reported amount, else the order's amount; a charge's total), the currency with the
//! order's and the fee with the reported fee (charges have none). A line whose reference names no
//! order of that provider is `extra`; an order that reached a final status at that provider on a
//! statement day and has no line is `missing`. Dates are UTC days on both sides. Every
//! difference and missing order carries its order's `kind` (`payout` or `charge`), so it is
//! recorded on the right aggregate.

mod statement;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use giro_domain::SubmissionHandle;
use giro_domain::charge::{ChargeOutcome, ChargeStatus};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

pub use statement::{STATEMENT_HEADER, StatementError, StatementLine, parse_statement};

/// What a discrepancy says Giro's order is when the provider's statement does not list it.
pub const NOT_ON_STATEMENT: &str = "not on the statement";

/// A field on which a line and Giro differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub line: usize,
    pub order_id: Uuid,
    /// `payout` or `charge`.
    pub kind: String,
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
    /// `payout` or `charge`.
    pub kind: String,
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
    kind: String,
    provider: String,
    status: String,
    amount: Decimal,
    currency: String,
    provider_status: Option<String>,
    /// A charge's: what the domain read `provider_status` as (a `ChargeOutcome`).
    provider_outcome: Option<String>,
    /// A charge's: what was given back to the payer.
    refunded_amount: Option<Decimal>,
    reported_amount: Option<Decimal>,
    fee: Option<Decimal>,
    day: Option<NaiveDate>,
}

/// A query of [`Held`] rows over payouts and charges alike, each table filtered by its condition.
/// A charge has no reported amount or fee of its own: its total is what the provider collects.
macro_rules! held {
    ($payouts:literal, $charges:literal) => {
        concat!(
            "SELECT order_id, 'payout' AS kind, provider, status, amount, currency, \
             provider_status, NULL::text AS provider_outcome, NULL::numeric AS refunded_amount, \
             reported_amount, fee, (status_since AT TIME ZONE 'UTC')::date AS day \
             FROM payouts WHERE ",
            $payouts,
            " UNION ALL SELECT order_id, 'charge', provider, status, amount, currency, \
             provider_status, provider_outcome, refunded_amount, NULL::numeric, NULL::numeric, \
             (status_since AT TIME ZONE 'UTC')::date FROM charges WHERE ",
            $charges
        )
    };
}

/// The orders the ids `$1` name, whichever their kind.
const NAMED: &str = held!("order_id = ANY($1)", "order_id = ANY($1)");

/// Every order of provider `$1` that ended on one of the UTC days `$2`: a payout in one of its
/// final statuses, a charge in one of `$3`.
const FINISHED: &str = held!(
    "provider = $1 AND status IN ('succeeded', 'failed', 'refunded', 'reversed', 'cancelled') \
     AND (status_since AT TIME ZONE 'UTC')::date = ANY($2)",
    "provider = $1 AND status = ANY($3) AND (status_since AT TIME ZONE 'UTC')::date = ANY($2)"
);

/// The charge statuses a charge ends in (as far as Giro acts on its own).
fn final_charge_statuses() -> Vec<&'static str> {
    ChargeStatus::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .map(ChargeStatus::as_str)
        .collect()
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
    let named: Vec<Held> = sqlx::query_as(NAMED).bind(&ids).fetch_all(pool).await?;
    let named: BTreeMap<Uuid, Held> = named.into_iter().map(|h| (h.order_id, h)).collect();
    let mut days: BTreeMap<&str, BTreeSet<NaiveDate>> = BTreeMap::new();
    for l in lines {
        days.entry(l.provider.as_str()).or_default().insert(l.date);
    }
    let mut finished = Vec::new();
    for (provider, dates) in &days {
        let dates: Vec<NaiveDate> = dates.iter().copied().collect();
        let rows: Vec<Held> = sqlx::query_as(FINISHED)
            .bind(provider)
            .bind(&dates)
            .bind(final_charge_statuses())
            .fetch_all(pool)
            .await?;
        finished.extend(rows);
    }
    Ok(compare(lines, &named, &finished))
}

/// A charge whose own status is not what the domain makes of the provider's status (the word the
/// statement repeats): the provider has it `paid`, Giro `failed` (a payment at another amount) or
/// `cancelled`. Giro's status when so; a partly refunded charge stays `paid` under a refund.
fn at_odds(held: &Held) -> Option<String> {
    let outcome: ChargeOutcome =
        serde_json::from_value(serde_json::Value::String(held.provider_outcome.clone()?)).ok()?;
    let expected = outcome.status()?;
    let partly_refunded = expected == ChargeStatus::Refunded
        && held.status == ChargeStatus::Paid.as_str()
        && held.refunded_amount.unwrap_or_default() > Decimal::ZERO;
    (expected.as_str() != held.status && !partly_refunded).then(|| held.status.clone())
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
                kind: held.kind.clone(),
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
        } else if let Some(status) = at_odds(held) {
            differ("status", status, l.status.clone());
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
                kind: h.kind.clone(),
                status: h.status.clone(),
                amount: h.amount.normalize(),
                currency: h.currency.clone(),
                day: h.day.unwrap_or_default(),
            });
        }
    }
    r
}
