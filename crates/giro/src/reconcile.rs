//! `giro reconcile`: a provider instance's settlement day from the query API
//! (`GET /v1/settlement`), or a provider's statement file matched line by line
//! (`POST /v1/reconcile`), each difference then recorded on its order as a
//! `payout.discrepancy` or `charge.discrepancy` event (by the order's kind; once: the same
//! difference again is a repeat) so that it stands as an exception until a person resolves it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use giro_domain::charge::{ChargeCommand, ChargeDecider};
use giro_domain::payout::{
    Discrepancy, DiscrepancyField, DiscrepancySource, PayoutCommand, PayoutDecider,
};
use giro_domain::{EventMeta, OrderId};
use giro_eventlog::EventLog;
use serde_json::Value;

use crate::cli::{NatsArgs, parse_duration};

/// Options of `giro reconcile`.
#[derive(Args, Clone, Debug)]
pub struct ReconcileArgs {
    /// A provider's statement (CSV: date,provider,reference,provider_ref,status,amount,currency,
    /// fee,completed_at,channel_ref) to match with Giro's orders line by line.
    #[arg(long, conflicts_with_all = ["provider", "date"])]
    pub statement: Option<PathBuf>,
    /// With --statement: list the differences without recording them.
    #[arg(long, requires = "statement")]
    pub dry_run: bool,
    /// The provider instance of the settlement report.
    #[arg(long, requires = "date")]
    pub provider: Option<String>,
    /// The UTC day of the settlement report (YYYY-MM-DD).
    #[arg(long, requires = "provider")]
    pub date: Option<String>,
    /// Print the settlement report as CSV (one line per order).
    #[arg(long)]
    pub csv: bool,
    /// Print the API's JSON as it came.
    #[arg(long)]
    pub json: bool,
    /// Base URL of the query API.
    #[arg(long, env = "GIRO_API_URL", default_value = "http://127.0.0.1:8082")]
    pub api: String,
    /// How long to wait for the API.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub nats: NatsArgs,
}

/// Runs `giro reconcile`: 0 when everything agrees (or the report was printed), 1 when the
/// statement and Giro differ or something failed (the reason on standard error).
pub async fn run(args: &ReconcileArgs) -> anyhow::Result<ExitCode> {
    match (&args.statement, &args.provider, &args.date) {
        (Some(file), _, _) => statement(args, file).await,
        (None, Some(provider), Some(date)) => settlement(args, provider, date).await,
        _ => {
            eprintln!("giro: give --statement FILE, or --provider P --date YYYY-MM-DD");
            Ok(ExitCode::from(2))
        }
    }
}

async fn settlement(args: &ReconcileArgs, provider: &str, date: &str) -> anyhow::Result<ExitCode> {
    let format = if args.csv { "csv" } else { "json" };
    let answer = crate::api::call(&args.api, args.timeout, |http, base| {
        http.get(format!("{base}/v1/settlement")).query(&[
            ("provider", provider),
            ("date", date),
            ("format", format),
        ])
    })
    .await;
    let body = match answer {
        Ok(body) => body,
        Err(message) => {
            eprintln!("giro: {message}");
            return Ok(ExitCode::from(1));
        }
    };
    if args.csv || args.json {
        crate::cli::out(&format!("{}\n", body.trim_end()));
        return Ok(ExitCode::SUCCESS);
    }
    let report: Value = serde_json::from_str(&body)?;
    crate::cli::out(&settlement_text(&report));
    Ok(ExitCode::SUCCESS)
}

/// The settlement report as a person reads it: totals per currency, then the orders.
fn settlement_text(r: &Value) -> String {
    let mut out = format!(
        "settlement of {} on {}\n",
        r["provider"].as_str().unwrap_or("?"),
        r["date"].as_str().unwrap_or("?")
    );
    let orders = r["orders"].as_array().map_or(&[][..], Vec::as_slice);
    // The rows of the kinds of order the day has (payouts, charges); both when it has none.
    let has = |kind: &str| orders.is_empty() || orders.iter().any(|o| o["kind"] == kind);
    let mut rows = Vec::new();
    if has("payout") {
        rows.push("paid");
    }
    if has("charge") {
        rows.push("collected");
    }
    rows.extend(["failed", "refunded"]);
    if has("payout") {
        rows.push("reversed");
    }
    rows.push("cancelled");
    if has("charge") {
        rows.push("charged_back");
    }
    if let Some(totals) = r["totals"].as_object() {
        for (currency, t) in totals {
            out.push_str(&format!("  {currency}\n"));
            for status in &rows {
                out.push_str(&format!(
                    "    {status:<12} {:>6} orders {:>16}\n",
                    text(&t[status]["count"]),
                    text(&t[status]["amount"])
                ));
            }
            out.push_str(&format!("    {:<19} {:>23}\n", "fees", text(&t["fees"])));
            if has("payout") {
                out.push_str(&format!(
                    "    {:<19} {:>23}\n",
                    "debited",
                    text(&t["debited"])
                ));
            }
        }
    }
    out.push_str(&format!("  {} orders\n", orders.len()));
    for o in orders {
        out.push_str(&format!(
            "  {}  {:<6} {:<10} {:>14} {}  fee {}  provider {}\n",
            text(&o["order_id"]),
            text(&o["kind"]),
            text(&o["status"]),
            text(&o["reported_amount"]).replace("null", &text(&o["amount"])),
            text(&o["currency"]),
            text(&o["fee"]).replace("null", "-"),
            text(&o["provider_ref"]).replace("null", "-"),
        ));
    }
    out
}

async fn statement(args: &ReconcileArgs, file: &PathBuf) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
    let answer = crate::api::call(&args.api, args.timeout, |http, base| {
        http.post(format!("{base}/v1/reconcile"))
            .header("content-type", "text/csv")
            .body(text)
    })
    .await;
    let body = match answer {
        Ok(body) => body,
        Err(message) => {
            eprintln!("giro: {message}");
            return Ok(ExitCode::from(1));
        }
    };
    let r: Value = serde_json::from_str(&body)?;
    if args.json {
        crate::cli::out(&format!("{}\n", body.trim_end()));
    } else {
        crate::cli::out(&statement_text(&r));
    }
    let agrees = r["agrees"].as_bool().unwrap_or(false);
    if agrees || args.dry_run {
        return Ok(if agrees {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let recorded = record(args, &r).await?;
    eprintln!(
        "recorded {recorded} new discrepancies as payout.discrepancy or charge.discrepancy events"
    );
    Ok(ExitCode::from(1))
}

/// A JSON value as text: a string's contents, anything else as JSON.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// The items of the array `r[key]` (none when absent).
fn items<'a>(r: &'a Value, key: &str) -> &'a [Value] {
    r[key].as_array().map_or(&[][..], Vec::as_slice)
}

/// The matching as a person reads it.
fn statement_text(r: &Value) -> String {
    let n = |k: &str| r[k].as_u64().unwrap_or(0);
    let list = |k: &str| items(r, k);
    let s = text;
    let mut out = format!(
        "{} lines, {} matched, {} different, {} missing from the statement, {} extra\n",
        n("lines"),
        n("matched"),
        list("different").len(),
        list("missing").len(),
        list("extra").len()
    );
    for d in list("different") {
        out.push_str(&format!(
            "  different  line {:<4} {}  {}: Giro {}, statement {}\n",
            s(&d["line"]),
            s(&d["order_id"]),
            s(&d["field"]),
            s(&d["giro"]),
            s(&d["statement"])
        ));
    }
    for m in list("missing") {
        out.push_str(&format!(
            "  missing    {}  {} {} {} on {}\n",
            s(&m["order_id"]),
            s(&m["status"]),
            s(&m["amount"]),
            s(&m["currency"]),
            s(&m["day"])
        ));
    }
    for e in list("extra") {
        out.push_str(&format!(
            "  extra      line {:<4} {}: {}\n",
            s(&e["line"]),
            s(&e["reference"]),
            s(&e["reason"])
        ));
    }
    out
}

/// Which aggregate a discrepancy is recorded on: the `kind` the matching names (`payout` when it
/// names none, as before charges were reconciled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Payout,
    Charge,
}

fn kind(v: &Value) -> Kind {
    match v["kind"].as_str() {
        Some("charge") => Kind::Charge,
        _ => Kind::Payout,
    }
}

/// The discrepancies the matching found, as the commands that record them.
fn discrepancies(r: &Value) -> Vec<(Kind, OrderId, Discrepancy)> {
    let s = text;
    let mut found = Vec::new();
    for d in items(r, "different") {
        let field = match d["field"].as_str() {
            Some("amount") => DiscrepancyField::Amount,
            Some("currency") => DiscrepancyField::Currency,
            Some("fee") => DiscrepancyField::Fee,
            _ => DiscrepancyField::Status,
        };
        if let Ok(id) = s(&d["order_id"]).parse::<OrderId>() {
            found.push((
                kind(d),
                id,
                Discrepancy {
                    source: DiscrepancySource::Statement,
                    reference: s(&d["reference"]),
                    field,
                    expected: s(&d["giro"]),
                    reported: s(&d["statement"]),
                },
            ));
        }
    }
    for m in items(r, "missing") {
        if let Ok(id) = s(&m["order_id"]).parse::<OrderId>() {
            found.push((
                kind(m),
                id,
                Discrepancy {
                    source: DiscrepancySource::Statement,
                    reference: format!("statement of {}", s(&m["day"])),
                    field: DiscrepancyField::Status,
                    expected: s(&m["status"]),
                    reported: giro_projection::reconcile::NOT_ON_STATEMENT.to_string(),
                },
            ));
        }
    }
    found
}

/// Appends each discrepancy to its order; returns how many were new.
async fn record(args: &ReconcileArgs, r: &Value) -> anyhow::Result<usize> {
    let found = discrepancies(r);
    if found.is_empty() {
        return Ok(0);
    }
    let client = giro_eventlog::server::connect(
        &args.nats.nats_url,
        async_nats::ConnectOptions::new().name("giro-reconcile"),
    )
    .await?;
    let log = EventLog::open(client, args.nats.log_config()).await?;
    let mut recorded = 0;
    for (kind, id, d) in found {
        let meta = EventMeta {
            correlation_id: id.to_string(),
            causation_id: Some(d.reference.clone()),
        };
        recorded += match kind {
            Kind::Payout => {
                let command = PayoutCommand::RecordDiscrepancy(d);
                let done = log
                    .execute::<PayoutDecider>(id, &command, &meta, false)
                    .await?;
                done.appended.len()
            }
            Kind::Charge => {
                let command = ChargeCommand::RecordDiscrepancy(d);
                let done = log
                    .execute::<ChargeDecider>(id, &command, &meta, false)
                    .await?;
                done.appended.len()
            }
        };
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_discrepancy_is_recorded_on_its_orders_kind() {
        let payout = OrderId::from_uuid(uuid::Uuid::new_v4());
        let charge = OrderId::from_uuid(uuid::Uuid::new_v4());
        let r = serde_json::json!({
            "different": [
                {"line": 1, "order_id": payout.to_string(), "kind": "payout", "field": "fee",
                 "giro": "1", "statement": "2", "reference": "statement p 2026-12-06 H1"},
                {"line": 2, "order_id": charge.to_string(), "kind": "charge", "field": "amount",
                 "giro": "150", "statement": "149", "reference": "statement c 2026-12-06 H2"},
            ],
            "missing": [
                {"order_id": charge.to_string(), "kind": "charge", "status": "refunded",
                 "amount": "150", "currency": "BRL", "day": "2026-12-06"},
            ],
        });
        let found = discrepancies(&r);
        let kinds: Vec<(Kind, OrderId, DiscrepancyField)> =
            found.iter().map(|(k, id, d)| (*k, *id, d.field)).collect();
        assert_eq!(
            kinds,
            vec![
                (Kind::Payout, payout, DiscrepancyField::Fee),
                (Kind::Charge, charge, DiscrepancyField::Amount),
                (Kind::Charge, charge, DiscrepancyField::Status),
            ]
        );
        assert_eq!(found[2].2.expected, "refunded");
        assert_eq!(
            found[2].2.reported,
            giro_projection::reconcile::NOT_ON_STATEMENT
        );
    }
}
