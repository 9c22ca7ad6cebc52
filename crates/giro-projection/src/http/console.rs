//! The console's list and detail pages: `/payouts`, `/charges`, `/beneficiaries` with filters
//! (status, provider, search by id or external id, amount range, creation dates) and paging, and
//! `/charges/{id}`, `/beneficiaries/{id}` (a payout's page is `super::order_page`). The filters
//! are the query API's (`super::params`), so a page and `/v1/<kind>` answer the same rows.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use sqlx::FromRow;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use super::Shared;
use super::html::{error_page, esc, page, time};
use super::params::{ListParams, list_filter, query, statuses};
use crate::read::{self, BeneficiaryView, ChargeView, Keyed, Kind, Page, PayoutView};

/// An order kind as the console lists it.
trait Listed: for<'r> FromRow<'r, PgRow> + Keyed + Serialize + Send + Unpin {
    const KIND: Kind;
    /// `Payouts`.
    const TITLE: &'static str;
    /// `Payout`.
    const NOUN: &'static str;
    /// `payouts`: the page's path and the detail pages' prefix.
    const PATH: &'static str;
    const HEADERS: &'static [&'static str];
    /// The row's cells, escaped.
    fn cells(&self) -> Vec<String>;
}

fn link(path: &str, id: &Uuid) -> String {
    format!("<a href=\"/{path}/{id}\">{id}</a>")
}

fn status_cell(status: &str) -> String {
    format!("<span class=\"{s}\">{s}</span>", s = esc(status))
}

fn money(amount: &rust_decimal::Decimal, currency: &str) -> String {
    format!("{} {}", esc(&amount.to_string()), esc(currency))
}

impl Listed for PayoutView {
    const KIND: Kind = Kind::Payout;
    const TITLE: &'static str = "Payouts";
    const NOUN: &'static str = "Payout";
    const PATH: &'static str = "payouts";
    const HEADERS: &'static [&'static str] = &[
        "order",
        "created",
        "provider",
        "status",
        "amount",
        "external id",
        "failure",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            link(Self::PATH, &self.order_id),
            time(self.created_at),
            esc(&self.provider),
            status_cell(&self.status),
            money(&self.amount, &self.currency),
            esc(self.external_id.as_deref().unwrap_or("")),
            esc(self.failure_code.as_deref().unwrap_or("")),
        ]
    }
}

impl Listed for ChargeView {
    const KIND: Kind = Kind::Charge;
    const TITLE: &'static str = "Charges";
    const NOUN: &'static str = "Charge";
    const PATH: &'static str = "charges";
    const HEADERS: &'static [&'static str] = &[
        "order",
        "created",
        "provider",
        "method",
        "status",
        "amount",
        "refunded",
        "external id",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            link(Self::PATH, &self.order_id),
            time(self.created_at),
            esc(&self.provider),
            esc(&self.method),
            status_cell(&self.status),
            money(&self.amount, &self.currency),
            esc(&self.refunded_amount.to_string()),
            esc(self.external_id.as_deref().unwrap_or("")),
        ]
    }
}

impl Listed for BeneficiaryView {
    const KIND: Kind = Kind::Beneficiary;
    const TITLE: &'static str = "Beneficiaries";
    const NOUN: &'static str = "Beneficiary";
    const PATH: &'static str = "beneficiaries";
    const HEADERS: &'static [&'static str] = &[
        "beneficiary",
        "created",
        "account type",
        "status",
        "external id",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            link(Self::PATH, &self.beneficiary_id),
            time(self.created_at),
            esc(&self.account_type),
            status_cell(&self.status),
            esc(self.external_id.as_deref().unwrap_or("")),
        ]
    }
}

/// A text input of the filter form, holding its current value.
fn input(name: &str, label: &str, kind: &str, value: &Option<String>) -> String {
    format!(
        "<label>{label} <input type=\"{kind}\" name=\"{name}\" id=\"filter-{name}\" value=\"{}\"></label>",
        esc(value.as_deref().unwrap_or(""))
    )
}

fn filter_form(kind: Kind, path: &str, p: &ListParams) -> String {
    let mut options = String::from("<option value=\"\">any</option>");
    for s in statuses(kind) {
        let selected = if p.status.as_deref() == Some(s) {
            " selected"
        } else {
            ""
        };
        options.push_str(&format!("<option{selected}>{s}</option>"));
    }
    let mut fields = vec![
        format!(
            "<label>status <select name=\"status\" id=\"filter-status\">{options}</select></label>"
        ),
        input("q", "order or external id", "search", &p.q),
    ];
    if kind != Kind::Beneficiary {
        fields.push(input("provider", "provider", "text", &p.provider));
        fields.push(input("min_amount", "amount from", "text", &p.min_amount));
        fields.push(input("max_amount", "to", "text", &p.max_amount));
    }
    fields.push(input("from", "created from", "date", &p.from));
    fields.push(input("to", "to", "date", &p.to));
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/{path}\">{}\
         <button type=\"submit\" id=\"filter-apply\">Filter</button> <a href=\"/{path}\">clear</a></form>",
        fields.join(" ")
    )
}

/// The query string of `p` with another cursor: the next page's link.
fn with_cursor(p: &ListParams, cursor: &str) -> String {
    let mut next = p.clone();
    next.cursor = Some(cursor.to_string());
    serde_urlencoded::to_string(&next).unwrap_or_default()
}

async fn list_page<T: Listed>(
    s: &Shared,
    q: Result<Query<ListParams>, QueryRejection>,
) -> Response {
    let params = match query(q) {
        Ok(p) => p,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e.message),
    };
    let filter = match list_filter(T::KIND, params.clone()) {
        Ok(f) => f,
        Err(e) => {
            let body = format!(
                "<h1>{}</h1>{}<p class=\"error\" id=\"filter-error\">{}</p>",
                T::TITLE,
                filter_form(T::KIND, T::PATH, &params),
                esc(&e.message)
            );
            return (StatusCode::BAD_REQUEST, Html(page(T::TITLE, None, &body))).into_response();
        }
    };
    let found: Result<Page<T>, sqlx::Error> = read::list(&s.pool, T::KIND, &filter).await;
    let listed = match found {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "console list query failed");
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The read models are unavailable; try again.",
            );
        }
    };
    let mut body = format!(
        "<h1>{}</h1>{}",
        T::TITLE,
        filter_form(T::KIND, T::PATH, &params)
    );
    if listed.items.is_empty() {
        body.push_str("<p class=\"empty\" id=\"no-rows\">Nothing matches.</p>");
    } else {
        let head: String = T::HEADERS.iter().map(|h| format!("<th>{h}</th>")).collect();
        body.push_str(&format!(
            "<table id=\"rows\" data-count=\"{}\"><tr>{head}</tr>",
            listed.items.len()
        ));
        for item in &listed.items {
            let cells: String = item
                .cells()
                .into_iter()
                .map(|c| format!("<td>{c}</td>"))
                .collect();
            body.push_str(&format!("<tr>{cells}</tr>"));
        }
        body.push_str("</table>");
    }
    if let Some(cursor) = &listed.next_cursor {
        body.push_str(&format!(
            "<p><a id=\"next-page\" href=\"/{}?{}\">Next page →</a></p>",
            T::PATH,
            esc(&with_cursor(&params, cursor))
        ));
    }
    Html(page(T::TITLE, None, &body)).into_response()
}

pub(crate) async fn payouts(
    State(s): State<Arc<Shared>>,
    q: Result<Query<ListParams>, QueryRejection>,
) -> Response {
    list_page::<PayoutView>(&s, q).await
}

pub(crate) async fn charges(
    State(s): State<Arc<Shared>>,
    q: Result<Query<ListParams>, QueryRejection>,
) -> Response {
    list_page::<ChargeView>(&s, q).await
}

pub(crate) async fn beneficiaries(
    State(s): State<Arc<Shared>>,
    q: Result<Query<ListParams>, QueryRejection>,
) -> Response {
    list_page::<BeneficiaryView>(&s, q).await
}

/// One order's page: its row, field by field (masked as stored), and its timeline.
async fn detail_page<T: Listed>(s: &Shared, id: &str) -> Response {
    let noun = T::NOUN;
    let Ok(id) = Uuid::parse_str(id) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &format!("{id:?} is not an id (a UUID)"),
        );
    };
    let found = async {
        let row: Option<T> = read::get(&s.pool, T::KIND, id).await?;
        let events = read::timeline(&s.pool, T::KIND, id).await?;
        Ok::<_, sqlx::Error>((row, events))
    };
    let (row, events) = match found.await {
        Ok((None, events)) if events.is_empty() => {
            return error_page(
                StatusCode::NOT_FOUND,
                &format!("No {} {id}.", noun.to_lowercase()),
            );
        }
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "console detail query failed");
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The read models are unavailable; try again.",
            );
        }
    };
    let mut body = format!(
        "<p><a href=\"/{}\">← {}</a></p><h1>{} <span id=\"order-id\">{id}</span></h1>",
        T::PATH,
        T::TITLE.to_lowercase(),
        noun
    );
    if let Some(serde_json::Value::Object(fields)) = row.map(|r| serde_json::json!(r)) {
        body.push_str("<table id=\"fields\">");
        for (k, v) in fields {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                other => serde_json::to_string_pretty(&other).unwrap_or_default(),
            };
            body.push_str(&format!(
                "<tr><th>{}</th><td id=\"field-{}\"><pre>{}</pre></td></tr>",
                esc(&k),
                esc(&k),
                esc(&text)
            ));
        }
        body.push_str("</table>");
    }
    body.push_str(&super::order_page::timeline(&events));
    Html(page(&format!("{noun} {id}"), None, &body)).into_response()
}

pub(crate) async fn charge(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    detail_page::<ChargeView>(&s, &id).await
}

pub(crate) async fn beneficiary(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    detail_page::<BeneficiaryView>(&s, &id).await
}
