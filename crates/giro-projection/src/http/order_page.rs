//! One payout's page (`/payouts/{id}`): its row and its timeline, masked as stored.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use uuid::Uuid;

use super::Shared;
use super::actions::Flash;
use super::html::{age, error_page, esc, page, time};
use crate::read::{self, Kind, PayoutView, TimelineEvent};

pub(crate) async fn payout(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    flash: Result<Query<Flash>, QueryRejection>,
) -> Response {
    let flash = flash.map(|Query(f)| f).unwrap_or_default();
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &format!("{id:?} is not a payout id (a UUID)"),
        );
    };
    let found = async {
        let row: Option<PayoutView> = read::get(&s.pool, Kind::Payout, id).await?;
        let events = read::timeline(&s.pool, Kind::Payout, id).await?;
        Ok::<_, sqlx::Error>((row, events))
    };
    match found.await {
        Ok((None, events)) if events.is_empty() => {
            error_page(StatusCode::NOT_FOUND, &format!("No payout {id}."))
        }
        // No reload: an operator may be typing into an action's form.
        Ok((row, events)) => Html(page(
            &format!("Payout {id}"),
            None,
            &render(id, row.as_ref(), &events, &flash),
        ))
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "payout page query failed");
            error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The read models are unavailable; this page retries by itself.",
            )
        }
    }
}

fn render(id: Uuid, row: Option<&PayoutView>, events: &[TimelineEvent], flash: &Flash) -> String {
    let mut body = format!(
        "<p><a href=\"/payouts\">← payouts</a></p><h1>Payout <span id=\"order-id\">{id}</span></h1>{}",
        flash.render()
    );
    match row {
        Some(p) => {
            body.push_str(&details(p));
            body.push_str(&super::actions::forms(p));
        }
        None => body.push_str(
            "<p class=\"empty\">No row: this payout's payout.requested event was not projected.</p>",
        ),
    }
    body.push_str(&timeline(events));
    body
}

/// An order's events as a table, oldest first.
pub(crate) fn timeline(events: &[TimelineEvent]) -> String {
    let mut body = String::new();
    body.push_str(&format!(
        "<h2>Timeline (<span id=\"event-count\">{}</span> events)</h2><table id=\"timeline\">\
         <tr><th>version</th><th>type</th><th>at</th><th>sequence</th><th>data</th></tr>",
        events.len()
    ));
    for e in events {
        let data = serde_json::to_string_pretty(&e.data).unwrap_or_default();
        body.push_str(&format!(
            "<tr><td class=\"num\">{}</td><td class=\"event-type\">{}</td><td>{}</td><td class=\"num\">{}</td><td><pre>{}</pre></td></tr>",
            e.version,
            esc(&e.event_type),
            time(e.at),
            e.sequence,
            esc(&data)
        ));
    }
    body.push_str("</table>");
    body
}

fn details(p: &PayoutView) -> String {
    let now = Utc::now();
    let failure = match (&p.failure_code, &p.failure_message) {
        (Some(c), Some(m)) => format!("{}: {}", esc(c), esc(m)),
        _ => String::new(),
    };
    let beneficiary = serde_json::to_string_pretty(&p.beneficiary_masked).unwrap_or_default();
    let rows = [
        (
            "status",
            format!(
                "<span id=\"status\" class=\"{s}\">{s}</span>",
                s = esc(&p.status)
            ),
        ),
        (
            "in status for",
            format!(
                "{} (since {})",
                age(p.status_since, now),
                time(p.status_since)
            ),
        ),
        ("provider", esc(&p.provider)),
        (
            "amount",
            format!(
                "<span id=\"amount\">{}</span> {}",
                esc(&p.amount.to_string()),
                esc(&p.currency)
            ),
        ),
        ("rail", esc(&p.rail)),
        ("external id", esc(p.external_id.as_deref().unwrap_or(""))),
        ("idempotency key", esc(&p.idempotency_key)),
        ("provider ref", esc(p.provider_ref.as_deref().unwrap_or(""))),
        ("failure", failure),
        ("created", time(p.created_at)),
        ("updated", time(p.updated_at)),
        ("version", p.version.to_string()),
        ("beneficiary", format!("<pre>{}</pre>", esc(&beneficiary))),
    ];
    let mut table = String::from("<table id=\"payout\">");
    for (k, v) in rows {
        table.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>"));
    }
    table.push_str("</table>");
    table
}
