//! The operations dashboard at `/`: totals by status and provider, stuck payouts, reversals, the
//! latest payouts and the other order kinds; it reloads itself.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::Shared;
use super::html::{age, error_page, esc, page, time};
use super::params::{WindowParams, query, window};
use crate::duration::format_duration;
use crate::read::{self, Kind, ListFilter, Page, PayoutView, Stats};
use crate::{db, source};

/// Payouts in the "latest" list.
const LATEST: u32 = 25;
/// What the charts cover.
const CHART_WINDOW: Duration = Duration::from_secs(3_600);

pub(crate) async fn index(
    State(s): State<Arc<Shared>>,
    q: Result<Query<WindowParams>, QueryRejection>,
) -> Response {
    let window = match query(q).and_then(window) {
        Ok(w) => w,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e.message),
    };
    match render(&s, window).await {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "dashboard query failed");
            error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The read models are unavailable; this page retries by itself.",
            )
        }
    }
}

async fn render(s: &Shared, window: Duration) -> Result<String, sqlx::Error> {
    let now = Utc::now();
    let stats = read::stats(&s.pool, window).await?;
    let stuck = read::stuck(&s.pool, &s.config.stuck, now).await?;
    let reversals = read::reversals(&s.pool).await?;
    let latest: Page<PayoutView> = read::list(
        &s.pool,
        Kind::Payout,
        &ListFilter {
            limit: LATEST,
            ..ListFilter::default()
        },
    )
    .await?;
    let charges = read::status_counts(&s.pool, Kind::Charge).await?;
    let beneficiaries = read::status_counts(&s.pool, Kind::Beneficiary).await?;
    let series = read::series::series(&s.pool, CHART_WINDOW, now).await?;
    let (_, at_risk) = read::exceptions::totals(
        &s.pool,
        &s.config.stuck,
        now,
        &read::exceptions::ExceptionFilter::default(),
    )
    .await?;
    let mut body = header(s, now).await;
    body.push_str(&charts(&series, &at_risk));
    body.push_str(&totals(&stats));
    body.push_str(&providers(&stats));
    body.push_str(&stuck_section(s, &stuck, now));
    body.push_str(&reversals_section(&reversals));
    body.push_str(&latest_section(&latest.items));
    body.push_str(&counts_section("Charges", "charges", &charges));
    body.push_str(&counts_section(
        "Beneficiaries",
        "beneficiaries",
        &beneficiaries,
    ));
    Ok(page(
        "Giro operations",
        Some(s.config.dashboard_refresh),
        &body,
    ))
}

async fn header(s: &Shared, now: DateTime<Utc>) -> String {
    let probe = Duration::from_secs(2);
    let checkpoint = tokio::time::timeout(probe, db::checkpoint(&s.pool)).await;
    let last =
        tokio::time::timeout(probe, source::last_sequence(&s.js, &s.config.log.stream)).await;
    let position = match (checkpoint, last) {
        (Ok(Ok(c)), Ok(Ok(l))) => format!(
            "checkpoint <span id=\"checkpoint\">{c}</span> of stream sequence {l} (lag <span id=\"lag\">{}</span>)",
            l.saturating_sub(c)
        ),
        (Ok(Ok(c)), _) => {
            format!("checkpoint <span id=\"checkpoint\">{c}</span>; the stream is unreachable")
        }
        _ => "position unknown".to_string(),
    };
    format!(
        "<h1>Giro operations</h1><p class=\"meta\">{position} · schema {} · stream {} · {} · \
         reloads every {}</p>",
        esc(&s.config.schema),
        esc(&s.config.log.stream),
        time(now),
        format_duration(s.config.dashboard_refresh)
    )
}

/// The charts (drawn by `/assets/console.js` from `/v1/stats/series`), the time to a final status
/// per provider and the amount at risk.
fn charts(series: &read::series::Series, at_risk: &[read::exceptions::AtRisk]) -> String {
    let seconds = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.1}s"));
    let latency: String = series
        .latency
        .iter()
        .map(|l| {
            format!(
                "<tr id=\"latency-{p}\"><td>{p}</td><td class=\"num\">{}</td><td class=\"num p50\">{}</td>\
                 <td class=\"num p99\">{}</td></tr>",
                l.finished,
                seconds(l.p50_seconds),
                seconds(l.p99_seconds),
                p = esc(&l.provider)
            )
        })
        .collect();
    let risk: String = at_risk
        .iter()
        .map(|r| {
            format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{} {}</td></tr>",
                esc(&r.provider),
                r.orders,
                esc(&r.amount_at_risk.normalize().to_string()),
                esc(&r.currency)
            )
        })
        .collect();
    let risk = if risk.is_empty() {
        "<p class=\"empty\">Nothing at risk.</p>".to_string()
    } else {
        format!(
            "<table id=\"at-risk\"><tr><th>provider</th><th>orders</th><th>amount</th></tr>{risk}</table>"
        )
    };
    format!(
        "<link rel=\"stylesheet\" href=\"/assets/uPlot.min.css\">\
         <h2>The last hour</h2><div id=\"charts\" class=\"charts\" data-window=\"1h\">\
         <div id=\"chart-by-status\"></div><div id=\"chart-success\"></div></div>\
         <script src=\"/assets/uPlot.iife.min.js\"></script><script src=\"/assets/console.js\"></script>\
         <h2>Time to a final status, the last hour</h2><table id=\"latency\"><tr><th>provider</th>\
         <th>finished</th><th>p50</th><th>p99</th></tr>{latency}</table>\
         <h2>At risk (<a href=\"/exceptions\">exceptions</a>)</h2>{risk}"
    )
}

fn amounts(list: &[read::Amount]) -> String {
    let parts: Vec<String> = list
        .iter()
        .map(|a| format!("{} {}", esc(&a.amount), esc(&a.currency)))
        .collect();
    parts.join("<br>")
}

fn totals(stats: &Stats) -> String {
    let mut rows = String::new();
    for t in &stats.by_status {
        rows.push_str(&format!(
            "<tr id=\"status-{s}\"><td class=\"{s}\">{s}</td><td class=\"num\" id=\"status-{s}-count\">{}</td><td class=\"num\">{}</td></tr>",
            t.count,
            amounts(&t.amounts),
            s = esc(&t.status)
        ));
    }
    format!(
        "<h2>Payouts by status, created in the last {w}</h2><table id=\"totals\">\
         <tr><th>status</th><th>payouts</th><th>amount</th></tr>{rows}\
         <tr><th>total</th><th class=\"num\" id=\"total-count\">{}</th><th></th></tr></table>",
        stats.total,
        w = esc(&stats.window)
    )
}

fn providers(stats: &Stats) -> String {
    if stats.by_provider.is_empty() {
        return "<h2>Providers</h2><p class=\"empty\">No payouts in this window.</p>".to_string();
    }
    let mut rows = String::new();
    for p in &stats.by_provider {
        let by_status: Vec<String> = p
            .by_status
            .iter()
            .map(|(s, n)| format!("<span class=\"{s}\">{s}</span> {n}", s = esc(s)))
            .collect();
        let rate = p
            .success_rate
            .map(|r| format!("{:.1}%", r * 100.0))
            .unwrap_or_else(|| "–".to_string());
        let median = p
            .median_seconds_to_terminal
            .map(|m| format!("{m:.1}s"))
            .unwrap_or_else(|| "–".to_string());
        rows.push_str(&format!(
            "<tr id=\"provider-{id}\"><td>{id}</td><td class=\"num count\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num success-rate\">{rate}</td>\
             <td class=\"num median\">{median}</td></tr>",
            p.count,
            by_status.join(", "),
            amounts(&p.amounts),
            id = esc(&p.provider)
        ));
    }
    format!(
        "<h2>Providers</h2><table id=\"providers\"><tr><th>provider</th><th>payouts</th>\
         <th>by status</th><th>amount</th><th>success rate</th><th>median to terminal</th></tr>\
         {rows}</table>"
    )
}

fn order_link(id: &uuid::Uuid) -> String {
    format!("<a href=\"/payouts/{id}\">{id}</a>")
}

fn stuck_section(s: &Shared, stuck: &[read::StuckPayout], now: DateTime<Utc>) -> String {
    let thresholds: Vec<String> = s
        .config
        .stuck
        .by_status()
        .iter()
        .map(|(st, d)| format!("{} {}", st.as_str(), format_duration(*d)))
        .collect();
    let head = format!(
        "<h2>Stuck payouts (<span id=\"stuck-count\">{}</span>)</h2><p class=\"meta\">Non-terminal for longer than: {}</p>",
        stuck.len(),
        esc(&thresholds.join(", "))
    );
    if stuck.is_empty() {
        return format!("{head}<p class=\"empty\">None.</p>");
    }
    let mut rows = String::new();
    for p in stuck {
        rows.push_str(&format!(
            "<tr class=\"stuck\"><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} {}</td><td>{}</td><td>{}</td></tr>",
            order_link(&p.order_id),
            esc(&p.provider),
            esc(&p.status),
            esc(&p.amount.to_string()),
            esc(&p.currency),
            time(p.status_since),
            age(p.status_since, now)
        ));
    }
    format!(
        "{head}<table id=\"stuck\"><tr><th>order</th><th>provider</th><th>status</th><th>amount</th>\
         <th>since</th><th>for</th></tr>{rows}</table>"
    )
}

fn reversals_section(reversals: &[read::Reversal]) -> String {
    let head = format!(
        "<h2>Reversals (<span id=\"reversal-count\">{}</span>)</h2>",
        reversals.len()
    );
    if reversals.is_empty() {
        return format!("{head}<p class=\"empty\">None.</p>");
    }
    let mut rows = String::new();
    for r in reversals {
        let text = |k: &str| r.data.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let amount = match (&r.amount, &r.currency) {
            (Some(a), Some(c)) => format!("{} {}", esc(&a.to_string()), esc(c)),
            _ => String::new(),
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{amount}</td><td>{}</td><td>{}: {}</td></tr>",
            order_link(&r.order_id),
            esc(r.provider.as_deref().unwrap_or("")),
            time(r.at),
            esc(text("code")),
            esc(text("message"))
        ));
    }
    format!(
        "{head}<table id=\"reversals\"><tr><th>order</th><th>provider</th><th>amount</th><th>reversed at</th>\
         <th>reason</th></tr>{rows}</table>"
    )
}

fn latest_section(latest: &[PayoutView]) -> String {
    if latest.is_empty() {
        return "<h2>Latest payouts</h2><p class=\"empty\">No payouts yet.</p>".to_string();
    }
    let mut rows = String::new();
    for p in latest {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{st}\">{st}</td><td class=\"num\">{} {}</td><td>{}</td></tr>",
            order_link(&p.order_id),
            time(p.created_at),
            esc(&p.provider),
            esc(&p.amount.to_string()),
            esc(&p.currency),
            esc(p.external_id.as_deref().unwrap_or("")),
            st = esc(&p.status)
        ));
    }
    format!(
        "<h2>Latest payouts</h2><table id=\"latest\"><tr><th>order</th><th>created</th><th>provider</th>\
         <th>status</th><th>amount</th><th>external id</th></tr>{rows}</table>"
    )
}

fn counts_section(title: &str, id: &str, counts: &[(String, i64)]) -> String {
    if counts.is_empty() {
        return format!("<h2>{}</h2><p class=\"empty\">None yet.</p>", esc(title));
    }
    let rows: String = counts
        .iter()
        .map(|(s, n)| {
            format!(
                "<tr><td>{s}</td><td class=\"num\" id=\"{id}-{s}-count\">{n}</td></tr>",
                s = esc(s),
                id = esc(id)
            )
        })
        .collect();
    format!(
        "<h2>{}</h2><table id=\"{}\"><tr><th>status</th><th>count</th></tr>{rows}</table>",
        esc(title),
        esc(id)
    )
}
