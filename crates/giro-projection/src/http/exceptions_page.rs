//! `/exceptions`: the console's page of what needs a person, from the same reader and filters as
//! `/v1/exceptions`: counts by kind (each a filter), the amount at risk per provider, every
//! exception with its reason, age and order, the provider accounts short of funds and the dead
//! letters nobody has replayed.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

use super::Shared;
use super::exceptions::{DeadLetterView, ExceptionParams, dead_letters, filter};
use super::html::{age, error_page, esc, page, time};
use super::params::query;
use crate::read::exceptions::{self, AtRisk, ExceptionFilter, ExceptionView, KINDS};

pub(crate) async fn page_of_exceptions(
    State(s): State<Arc<Shared>>,
    q: Result<Query<ExceptionParams>, QueryRejection>,
) -> Response {
    let f = match query(q).and_then(filter) {
        Ok(f) => f,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e.message),
    };
    let now = Utc::now();
    let read = async {
        let items = exceptions::list(&s.pool, &s.config.stuck, now, &f).await?;
        let totals = exceptions::totals(&s.pool, &s.config.stuck, now, &f).await?;
        Ok::<_, sqlx::Error>((items, totals))
    };
    let (items, (by_kind, at_risk)) = match read.await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "exceptions page query failed");
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The read models are unavailable; try again.",
            );
        }
    };
    // The page still shows the orders when the dead-letter stream cannot be read.
    let dead = dead_letters(&s, &f).await.map_err(|e| e.message);
    let mut body = String::from("<h1>Exceptions</h1>");
    body.push_str(&chips(&f, &by_kind));
    body.push_str(&at_risk_table(&at_risk));
    body.push_str(&items_table(&f, &items, now));
    if !f.resolved {
        body.push_str(&dead_letter_table(dead));
    }
    Html(page("Giro: exceptions", None, &body)).into_response()
}

/// The kinds with their open counts, each a link filtering the list, and the open/resolved switch.
fn chips(f: &ExceptionFilter, by_kind: &[(String, i64)]) -> String {
    let provider = f
        .provider
        .as_deref()
        .map(|p| format!("&provider={}", esc(p)))
        .unwrap_or_default();
    let mut out = String::from("<p class=\"chips\" id=\"kinds\">");
    out.push_str(&format!(
        "<a class=\"chip{}\" href=\"/exceptions?state=open{provider}\">all open</a>",
        if f.kind.is_none() && !f.resolved {
            " on"
        } else {
            ""
        }
    ));
    for kind in KINDS {
        let n = by_kind
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(0, |(_, n)| *n);
        let on = if f.kind.as_deref() == Some(kind) {
            " on"
        } else {
            ""
        };
        out.push_str(&format!(
            " <a class=\"chip{on}\" id=\"kind-{kind}\" href=\"/exceptions?kind={kind}{provider}\">{kind} \
             <b class=\"count\">{n}</b></a>"
        ));
    }
    out.push_str(&format!(
        " <a class=\"chip{}\" id=\"state-resolved\" href=\"/exceptions?state=resolved{provider}\">resolved</a></p>",
        if f.resolved { " on" } else { "" }
    ));
    out
}

fn at_risk_table(at_risk: &[AtRisk]) -> String {
    if at_risk.is_empty() {
        return "<h2>At risk</h2><p class=\"empty\" id=\"at-risk-none\">Nothing at risk.</p>"
            .to_string();
    }
    let rows: String = at_risk
        .iter()
        .map(|t| {
            format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{} {}</td></tr>",
                esc(&t.provider),
                t.orders,
                esc(&t.amount_at_risk.normalize().to_string()),
                esc(&t.currency)
            )
        })
        .collect();
    format!(
        "<h2>At risk</h2><table id=\"at-risk\"><tr><th>provider</th><th>orders</th><th>amount</th></tr>{rows}</table>"
    )
}

fn items_table(f: &ExceptionFilter, items: &[ExceptionView], now: chrono::DateTime<Utc>) -> String {
    let title = if f.resolved { "Resolved" } else { "Open" };
    if items.is_empty() {
        return format!("<h2>{title}</h2><p class=\"empty\" id=\"no-exceptions\">None.</p>");
    }
    let mut rows = String::new();
    for x in items {
        let order = format!(
            "<a href=\"/{}s/{id}\">{id}</a>",
            esc(&x.order_kind),
            id = x.order_id
        );
        let resolved = match (&x.resolved_at, &x.resolution) {
            (Some(at), Some(by)) => format!(
                "<td>{} by {}{}</td>",
                time(*at),
                esc(by),
                x.resolved_by
                    .as_deref()
                    .map(|who| format!(" ({})", esc(who)))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        };
        rows.push_str(&format!(
            "<tr class=\"exception\" data-order=\"{}\" data-kind=\"{}\"><td>{order}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} {}</td><td>{}</td>{resolved}</tr>",
            x.order_id,
            esc(&x.kind),
            esc(&x.kind),
            esc(&x.reason),
            age(x.raised_at, now),
            esc(&x.provider),
            esc(&x.amount.to_string()),
            esc(&x.currency),
            esc(&x.status)
        ));
    }
    let resolved_head = if f.resolved { "<th>resolved</th>" } else { "" };
    format!(
        "<h2>{title} (<span id=\"exception-count\">{}</span>)</h2><table id=\"exceptions\"><tr><th>order</th>\
         <th>kind</th><th>reason</th><th>age</th><th>provider</th><th>amount</th><th>status</th>{resolved_head}</tr>{rows}</table>",
        items.len()
    )
}

fn dead_letter_table(dead: Result<Vec<DeadLetterView>, String>) -> String {
    let dead = match dead {
        Ok(d) => d,
        Err(message) => {
            return format!(
                "<h2>Dead letters</h2><p class=\"error\">{}</p>",
                esc(&message)
            );
        }
    };
    if dead.is_empty() {
        return "<h2>Dead letters</h2><p class=\"empty\" id=\"no-dead-letters\">None.</p>"
            .to_string();
    }
    let rows: String = dead
        .iter()
        .map(|d| {
            let order = match (&d.order_id, &d.order_kind) {
                (Some(id), Some(kind)) => format!("<a href=\"/{}s/{id}\">{id}</a>", esc(kind)),
                _ => String::new(),
            };
            format!(
                "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{order}</td><td>{}</td></tr>",
                d.sequence,
                esc(&d.component),
                esc(&d.source),
                esc(&d.reason),
                time(d.dead_lettered_at)
            )
        })
        .collect();
    format!(
        "<h2>Dead letters (<span id=\"dead-letter-count\">{}</span>)</h2><table id=\"dead-letters\">\
         <tr><th>sequence</th><th>component</th><th>from</th><th>reason</th><th>order</th><th>at</th></tr>{rows}</table>",
        dead.len()
    )
}
