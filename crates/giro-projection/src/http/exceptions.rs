//! `GET /v1/exceptions`: every order that needs a person, with its reason, age, amount and
//! provider (`crate::read::exceptions`), the count and amount at risk per provider, the provider
//! accounts short of funds, and the dead letters kept in `<stream>_DLQ`.

use std::sync::Arc;

use async_nats::jetstream::stream::DirectGetErrorKind;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Shared;
use super::error::ApiError;
use super::params::query;
use crate::read::exceptions::{self, ExceptionFilter, KINDS};

/// Most dead letters listed.
const DEAD_LETTERS: usize = 500;

/// `?provider=&kind=&order_id=&state=&limit=`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExceptionParams {
    provider: Option<String>,
    kind: Option<String>,
    order_id: Option<String>,
    state: Option<String>,
    limit: Option<String>,
}

/// Validates the parameters, naming the one that is wrong.
pub(crate) fn filter(p: ExceptionParams) -> Result<ExceptionFilter, ApiError> {
    let kind = p.kind.filter(|k| !k.is_empty());
    if let Some(kind) = &kind
        && !KINDS.contains(&kind.as_str())
    {
        return Err(ApiError::invalid(format!(
            "kind {kind:?} is not one of {}",
            KINDS.join(", ")
        )));
    }
    let resolved = match p.state.as_deref() {
        None | Some("") | Some("open") => false,
        Some("resolved") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "state {other:?} is not one of open, resolved"
            )));
        }
    };
    let order_id = match p.order_id.filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            Uuid::parse_str(&s)
                .map_err(|_| ApiError::invalid(format!("order_id {s:?} is not a UUID")))?,
        ),
    };
    let limit = match p.limit.filter(|s| !s.is_empty()) {
        None => 100,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid(
                    "limit must be a whole number from 1 to 1000",
                ));
            }
        },
    };
    Ok(ExceptionFilter {
        provider: p.provider.filter(|s| !s.is_empty()),
        kind,
        order_id,
        resolved,
        limit,
    })
}

/// One message of `<stream>_DLQ`: what was given up on, by which component, and why.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeadLetterView {
    pub sequence: u64,
    pub subject: String,
    /// `executor`, `ingress`, `notify` or `webhooks`: the subject's family.
    pub component: String,
    /// The provider instance (executor, ingress) or subscription (webhooks) it came from.
    pub source: String,
    pub reason: String,
    pub original_subject: Option<String>,
    /// The order, when the original subject names one, and its kind (`payout`, `charge`).
    pub order_id: Option<Uuid>,
    #[serde(skip)]
    pub order_kind: Option<String>,
    pub dead_lettered_at: DateTime<Utc>,
}

/// The dead letters kept in `<stream>_DLQ` of `f`'s provider and order, oldest first (at most
/// 500 read); a dead letter is removed when it is replayed, so these are the ones nobody handled.
pub(crate) async fn dead_letters(
    s: &Shared,
    f: &ExceptionFilter,
) -> Result<Vec<DeadLetterView>, ApiError> {
    let name = s.config.log.dead_letter_stream();
    let stream = match s.js.get_stream(&name).await {
        Ok(stream) => stream,
        Err(e) => {
            tracing::warn!(error = %e, stream = %name, "dead letters unavailable");
            return Err(ApiError::unavailable(format!(
                "stream {name} is unavailable"
            )));
        }
    };
    let filter = format!("{}.dlq.>", s.config.log.prefix);
    let family = filter.trim_end_matches('>');
    let mut found = Vec::new();
    let mut next = 1;
    while found.len() < DEAD_LETTERS {
        let message = match stream
            .direct_get_next_for_subject(filter.as_str(), Some(next))
            .await
        {
            Ok(message) => message,
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => break,
            Err(e) => {
                tracing::warn!(error = %e, stream = %name, "reading dead letters failed");
                return Err(ApiError::unavailable(format!(
                    "stream {name} is unavailable"
                )));
            }
        };
        next = message.sequence + 1;
        let header = |name: &str| message.headers.get(name).map(|v| v.as_str().to_string());
        let rest = message.subject.as_str().strip_prefix(family).unwrap_or("");
        let (component, source) = rest.split_once('.').unwrap_or((rest, ""));
        let original_subject = header("Giro-Original-Subject");
        // `<prefix>.evt.<kind>.<order id>`.
        let mut tail = original_subject.as_deref().unwrap_or("").rsplit('.');
        let order_id = tail.next().and_then(|id| Uuid::parse_str(id).ok());
        let order_kind = order_id.and(tail.next()).map(str::to_string);
        let at = i64::try_from(message.time.unix_timestamp_nanos())
            .map(DateTime::from_timestamp_nanos)
            .unwrap_or_default();
        found.push(DeadLetterView {
            sequence: message.sequence,
            subject: message.subject.to_string(),
            component: component.to_string(),
            source: source.to_string(),
            reason: header("Giro-Dead-Letter-Reason").unwrap_or_default(),
            original_subject,
            order_id,
            order_kind,
            dead_lettered_at: at,
        });
    }
    found.retain(|d| {
        f.provider.as_ref().is_none_or(|p| p == &d.source)
            && f.order_id.is_none_or(|id| d.order_id == Some(id))
    });
    Ok(found)
}

pub(crate) async fn exceptions(
    State(s): State<Arc<Shared>>,
    q: Result<Query<ExceptionParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let f = filter(query(q)?)?;
    let now = Utc::now();
    let items = exceptions::list(&s.pool, &s.config.stuck, now, &f).await?;
    let (by_kind, at_risk) = exceptions::totals(&s.pool, &s.config.stuck, now, &f).await?;
    let totals: Vec<Value> = at_risk
        .into_iter()
        .map(|t| {
            json!({"provider": t.provider, "currency": t.currency, "orders": t.orders,
                   "amount_at_risk": t.amount_at_risk.normalize()})
        })
        .collect();
    let by_kind: serde_json::Map<String, Value> =
        by_kind.into_iter().map(|(k, n)| (k, json!(n))).collect();
    let items: Vec<Value> = items
        .into_iter()
        .map(|i| {
            let age = (now - i.raised_at).num_seconds().max(0);
            let mut v = json!(i);
            v["age_seconds"] = json!(age);
            v
        })
        .collect();
    let dead_letters = dead_letters(&s, &f).await?;
    let accounts = super::money::accounts_needing_a_person(&s, f.provider.as_deref()).await?;
    Ok(Json(json!({
        "state": if f.resolved { "resolved" } else { "open" },
        "items": items,
        "by_kind": by_kind,
        "totals": totals,
        "accounts": accounts,
        "dead_letters": dead_letters,
    })))
}
