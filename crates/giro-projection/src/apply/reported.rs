//! What providers report, beside the order's own figures: the `payouts` columns of reported
//! amount, currency, fee, completion time and channel reference, and the `exceptions` a report
//! raises (a report about another attempt, a difference from the order). Runs after
//! `payouts::apply` in the same transaction, so the rows of orders created in the batch exist.
//! Events arrive once each, in stream order (the checkpoint sees to that); within a batch the
//! latest report stating a fact wins, and an exception is keyed by its event, so applying a batch
//! again inserts nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use giro_domain::charge::ChargeEvent;
use giro_domain::payout::{Discrepancy, PayoutEvent, Unmatched, UnmatchedReport, fee_stated};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::db::bigint;
use crate::decode::{Decoded, Known};
use crate::error::Error;

/// The facts the latest reports of one order stated; `None` keeps the stored value.
#[derive(Default)]
struct Facts {
    status: Option<String>,
    amount: Option<Decimal>,
    currency: Option<String>,
    /// `Some` when an event stated the fee the provider keeps (`fee_stated`, the rule the ledger
    /// follows too: a reversal whose report names no fee clears it).
    fee: Option<Option<Decimal>>,
    completed_at: Option<String>,
    channel_ref: Option<String>,
}

/// One exception to insert.
pub(crate) struct Raised {
    pub order_id: Uuid,
    pub version: u64,
    pub kind: &'static str,
    pub reason: String,
    pub detail: Value,
    pub at: DateTime<Utc>,
}

impl Raised {
    /// The exception a recorded difference (of a payout or a charge) raises.
    fn discrepancy(e: &Decoded, d: &Discrepancy) -> Raised {
        Raised {
            order_id: e.order_id,
            version: e.version,
            kind: "discrepancy",
            reason: discrepancy(d),
            detail: e.data.clone(),
            at: e.at,
        }
    }
}

/// The exception an unmatched report raises.
fn unmatched(u: &UnmatchedReport) -> (&'static str, String) {
    let r = &u.report;
    unmatched_report(
        u.reason,
        u.current_attempt,
        u.possible_double_payment,
        r.attempt,
        r.provider_ref.as_deref(),
        &r.raw_status,
    )
}

/// The kind and reason of an exception for a report about another attempt than the current one.
fn unmatched_report(
    why: Unmatched,
    current: u32,
    twice: bool,
    attempt: Option<u32>,
    reference: Option<&str>,
    raw_status: &str,
) -> (&'static str, String) {
    let named = attempt.map_or_else(|| "no attempt".to_string(), |a| format!("attempt {a}"));
    let reference = reference.unwrap_or("no reference");
    let about = match why {
        Unmatched::NeverMade => format!("{named}, which Giro never made"),
        Unmatched::Superseded => format!("{named}, which attempt {current} replaced"),
        Unmatched::OtherReference => {
            format!("the current attempt under another reference ({reference})")
        }
    };
    if twice {
        (
            "possible_double_payment",
            format!(
                "the provider reports {raw_status} for {about}: the beneficiary may have been \
                 paid twice"
            ),
        )
    } else {
        (
            "report_unmatched",
            format!("the provider reports {raw_status} for {about}"),
        )
    }
}

/// The exception a discrepancy raises.
fn discrepancy(d: &Discrepancy) -> String {
    let name = |v: Result<Value, serde_json::Error>| {
        v.ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let (field, source) = (
        name(serde_json::to_value(d.field)),
        name(serde_json::to_value(d.source)),
    );
    if d.reported == crate::reconcile::NOT_ON_STATEMENT {
        return format!(
            "the order is {} but the provider's {} does not list it",
            d.expected, d.reference
        );
    }
    format!(
        "the provider's {source} says {field} {}, the order {} ({})",
        d.reported, d.expected, d.reference
    )
}

pub(crate) async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Decoded],
) -> Result<(), Error> {
    let mut facts: HashMap<Uuid, Facts> = HashMap::new();
    let mut raised = Vec::new();
    for e in events {
        let Some(Known::Payout(event)) = &e.event else {
            continue;
        };
        if let Some(fee) = fee_stated(event) {
            facts.entry(e.order_id).or_default().fee = Some(fee);
        }
        match event {
            PayoutEvent::ProviderStatus(r) => {
                let f = facts.entry(e.order_id).or_default();
                f.status = Some(r.raw_status.clone());
                if let Some(amount) = &r.amount {
                    f.amount = Some(amount.amount);
                    f.currency.clone_from(&amount.currency);
                }
                if r.completed_at.is_some() {
                    f.completed_at.clone_from(&r.completed_at);
                }
                if r.channel_ref.is_some() {
                    f.channel_ref.clone_from(&r.channel_ref);
                }
            }
            PayoutEvent::ReportUnmatched(u) => {
                let (kind, reason) = unmatched(u);
                raised.push(Raised {
                    order_id: e.order_id,
                    version: e.version,
                    kind,
                    reason,
                    detail: e.data.clone(),
                    at: e.at,
                });
            }
            PayoutEvent::Discrepancy(d) => raised.push(Raised::discrepancy(e, d)),
            _ => {}
        }
    }
    update_facts(tx, &facts).await?;
    insert_exceptions(tx, &raised).await
}

/// The amount and currency a charge report stated (either may be missing).
type Said = (Option<Decimal>, Option<String>);

/// What charge events add beside the `charges` row: the status word of the latest report on the
/// current attempt and what the domain read it as (`provider_status`, `provider_outcome`, which a
/// statement is compared with), the amount and currency it last stated (`reported_amount`,
/// `reported_currency`), and the exceptions: a
/// report about another attempt of the charge, a difference from the provider's statement.
pub(crate) async fn apply_charges(
    tx: &mut Transaction<'_, Postgres>,
    events: &[&Decoded],
) -> Result<(), Error> {
    let mut raised = Vec::new();
    let mut statuses: HashMap<Uuid, (String, Value)> = HashMap::new();
    let mut figures: HashMap<Uuid, Said> = HashMap::new();
    for e in events {
        let Some(Known::Charge(event)) = &e.event else {
            continue;
        };
        match event {
            ChargeEvent::ProviderStatus(r) => {
                let outcome = serde_json::to_value(r.outcome).unwrap_or(Value::Null);
                statuses.insert(e.order_id, (r.raw_status.clone(), outcome));
                if r.amount.is_some() || r.currency.is_some() {
                    let f = figures.entry(e.order_id).or_default();
                    if r.amount.is_some() {
                        f.0 = r.amount;
                    }
                    if r.currency.is_some() {
                        f.1.clone_from(&r.currency);
                    }
                }
            }
            ChargeEvent::ReportUnmatched(u) => {
                let (kind, reason) = unmatched_report(
                    u.reason,
                    u.current_attempt,
                    u.possible_double_charge,
                    u.report.attempt,
                    u.report.charge_uuid.as_deref(),
                    &u.report.raw_status,
                );
                raised.push(Raised {
                    order_id: e.order_id,
                    version: e.version,
                    kind: if kind == "possible_double_payment" {
                        "possible_double_charge"
                    } else {
                        kind
                    },
                    reason: reason.replace(
                        "beneficiary may have been paid",
                        "payer may have been charged",
                    ),
                    detail: e.data.clone(),
                    at: e.at,
                });
            }
            ChargeEvent::Discrepancy(d) => raised.push(Raised::discrepancy(e, d)),
            _ => {}
        }
    }
    if !statuses.is_empty() {
        let (ids, reports): (Vec<Uuid>, Vec<(String, Value)>) = statuses.into_iter().unzip();
        let (words, outcomes): (Vec<String>, Vec<Option<String>>) = reports
            .into_iter()
            .map(|(word, outcome)| (word, outcome.as_str().map(str::to_string)))
            .unzip();
        sqlx::query(
            "UPDATE charges AS c SET provider_status = u.status, provider_outcome = u.outcome \
             FROM UNNEST($1::uuid[], $2::text[], $3::text[]) AS u(order_id, status, outcome) \
             WHERE c.order_id = u.order_id",
        )
        .bind(ids)
        .bind(words)
        .bind(outcomes)
        .execute(&mut **tx)
        .await?;
    }
    if !figures.is_empty() {
        let (ids, said): (Vec<Uuid>, Vec<Said>) = figures.into_iter().unzip();
        let (amounts, currencies): (Vec<Option<Decimal>>, Vec<Option<String>>) =
            said.into_iter().unzip();
        sqlx::query(
            "UPDATE charges AS c SET \
             reported_amount = COALESCE(u.amount, c.reported_amount), \
             reported_currency = COALESCE(u.currency, c.reported_currency) \
             FROM UNNEST($1::uuid[], $2::numeric[], $3::text[]) AS u(order_id, amount, currency) \
             WHERE c.order_id = u.order_id",
        )
        .bind(ids)
        .bind(amounts)
        .bind(currencies)
        .execute(&mut **tx)
        .await?;
    }
    insert_exceptions(tx, &raised).await
}

async fn update_facts(
    tx: &mut Transaction<'_, Postgres>,
    facts: &HashMap<Uuid, Facts>,
) -> Result<(), Error> {
    if facts.is_empty() {
        return Ok(());
    }
    let all: Vec<(&Uuid, &Facts)> = facts.iter().collect();
    sqlx::query(
        "UPDATE payouts AS p SET \
         provider_status = COALESCE(u.status, p.provider_status), \
         reported_amount = COALESCE(u.amount, p.reported_amount), \
         reported_currency = CASE WHEN u.amount IS NULL THEN p.reported_currency \
                                  ELSE u.currency END, \
         fee = CASE WHEN u.fee_set THEN u.fee ELSE p.fee END, \
         provider_completed_at = COALESCE(u.completed_at, p.provider_completed_at), \
         channel_ref = COALESCE(u.channel_ref, p.channel_ref) \
         FROM UNNEST($1::uuid[], $2::numeric[], $3::text[], $4::numeric[], $5::text[], \
         $6::text[], $7::text[], $8::bool[]) \
         AS u(order_id, amount, currency, fee, completed_at, channel_ref, status, fee_set) \
         WHERE p.order_id = u.order_id",
    )
    .bind(all.iter().map(|(id, _)| **id).collect::<Vec<_>>())
    .bind(all.iter().map(|(_, f)| f.amount).collect::<Vec<_>>())
    .bind(
        all.iter()
            .map(|(_, f)| f.currency.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(all.iter().map(|(_, f)| f.fee.flatten()).collect::<Vec<_>>())
    .bind(
        all.iter()
            .map(|(_, f)| f.completed_at.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        all.iter()
            .map(|(_, f)| f.channel_ref.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        all.iter()
            .map(|(_, f)| f.status.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(all.iter().map(|(_, f)| f.fee.is_some()).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn insert_exceptions(
    tx: &mut Transaction<'_, Postgres>,
    raised: &[Raised],
) -> Result<(), Error> {
    if raised.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO exceptions (order_id, version, kind, reason, detail, raised_at) \
         SELECT * FROM UNNEST($1::uuid[], $2::int8[], $3::text[], $4::text[], $5::jsonb[], \
         $6::timestamptz[]) ON CONFLICT DO NOTHING",
    )
    .bind(raised.iter().map(|r| r.order_id).collect::<Vec<_>>())
    .bind(raised.iter().map(|r| bigint(r.version)).collect::<Vec<_>>())
    .bind(raised.iter().map(|r| r.kind).collect::<Vec<_>>())
    .bind(raised.iter().map(|r| r.reason.as_str()).collect::<Vec<_>>())
    .bind(raised.iter().map(|r| &r.detail).collect::<Vec<_>>())
    .bind(raised.iter().map(|r| r.at).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
