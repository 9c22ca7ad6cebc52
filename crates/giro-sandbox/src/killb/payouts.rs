//! `POST /api/v2/payouts` (with Idempotency-Key), `GET /api/v2/payouts/{id}` and the listing.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};

use super::errors::KillbError;
use super::lifecycle::{Mover, plan};
use super::state::{Killb, PROVIDER, Payout, Status};
use super::validate::{self, PayoutRequest};
use super::wire::{PayoutOut, PayoutPage};
use crate::faults::ForcedFaults;
use crate::introspect::NewOrder;
use crate::json::RawObject;
use crate::lifecycle;
use crate::scenario::{self, Scenario};

type Created = (
    StatusCode,
    [(&'static str, &'static str); 1],
    Json<PayoutOut>,
);

/// Creates a payout, or answers a repeated Idempotency-Key with the original payout.
pub(crate) async fn create(
    State(killb): State<Arc<Killb>>,
    Extension(forced): Extension<ForcedFaults>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Created, KillbError> {
    let key = idempotency_key(&headers)?;
    let external_id = RawObject::parse(&body)
        .ok()
        .and_then(|o| o.string("externalId").ok().flatten());
    let handle = key.clone().or(external_id);
    let registry = &killb.common.registry;
    if let Some(handle) = &handle {
        registry.submitted(PROVIDER, handle);
    }
    if let Some(key) = &key {
        let existing = {
            let books = killb.books();
            books.by_key.get(key).map(|&i| books.payouts[i].wire())
        };
        if let Some(existing) = existing {
            registry.replayed(PROVIDER, key);
            return Ok(replayed(existing));
        }
    }
    let refuse = |error: KillbError| {
        if let Some(handle) = &handle {
            registry.refused(PROVIDER, handle);
        }
        error
    };
    let request = validate::payout(&body).map_err(refuse)?;
    let request_amount = request.amount;
    let payout = match book(&killb, key.as_ref(), request, refuse)? {
        Booked::New(payout) => payout,
        Booked::Replayed(existing) => {
            registry.replayed(PROVIDER, key.as_deref().unwrap_or_default());
            return Ok(replayed(existing));
        }
    };
    registry.created(NewOrder {
        provider: PROVIDER,
        order_id: &payout.id,
        handle: handle.as_deref().unwrap_or(&payout.external_id),
        external_id: Some(&payout.external_id),
        amount: payout.amount.to_string(),
        currency: &payout.currency,
        status: payout.status.as_str(),
    });
    let faults = killb.common.faults.draw_order(&forced);
    let steps = plan(&killb, Scenario::of(request_amount), &faults);
    let mover = Mover {
        killb: Arc::clone(&killb),
        payout_id: payout.id.clone(),
    };
    lifecycle::spawn(killb.common.clone(), mover, steps, faults);
    Ok((
        StatusCode::CREATED,
        [("idempotent-replayed", "false")],
        Json(payout.wire()),
    ))
}

/// The request's Idempotency-Key, trimmed; refused when present but blank or not ASCII.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, KillbError> {
    match headers.get("idempotency-key").map(|v| v.to_str()) {
        None => Ok(None),
        Some(Ok(key)) if !key.trim().is_empty() => Ok(Some(key.trim().to_owned())),
        Some(_) => Err(KillbError::invalid(
            "Idempotency-Key",
            "Idempotency-Key must be a non-empty ASCII string",
        )),
    }
}

/// The answer to a repeated Idempotency-Key: the original payout.
fn replayed(existing: PayoutOut) -> Created {
    (
        StatusCode::CREATED,
        [("idempotent-replayed", "true")],
        Json(existing),
    )
}

/// What booking a validated payout did.
enum Booked {
    /// Another request with the same key booked it first: its payout as it is now.
    Replayed(PayoutOut),
    /// The new payout, its amount taken from the pre-fund account.
    New(Payout),
}

/// Books the payout under the books' lock: debits its pre-fund account and records it (under
/// its Idempotency-Key, if any), unless a request with the same key got there first.
fn book(
    killb: &Killb,
    key: Option<&String>,
    request: PayoutRequest,
    refuse: impl Fn(KillbError) -> KillbError,
) -> Result<Booked, KillbError> {
    let now = killb.common.clock.now();
    let mut books = killb.books();
    if let Some(existing) = key
        .and_then(|k| books.by_key.get(k))
        .map(|&i| books.payouts[i].wire())
    {
        return Ok(Booked::Replayed(existing));
    }
    let account = books
        .account_mut(&request.pre_fund_account_id)
        .ok_or_else(|| {
            refuse(KillbError::not_found(
                "PREFUND.0001",
                format!("Pre-fund account {} not found", request.pre_fund_account_id),
            ))
        })?;
    // What the provider actually pays (and reports): the asked amount unless the scenario says
    // otherwise, kept to the currency's precision.
    let scale = if account.currency == "COP" { 0 } else { 2 };
    let paid = scenario::paid(request.amount, scale);
    if account.amount < paid {
        return Err(refuse(KillbError::new(
            StatusCode::BAD_REQUEST,
            "BALANCE.0001",
            format!(
                "Insufficient balance: available {}, required {}",
                account.amount, paid
            ),
        )));
    }
    account.amount -= paid;
    let payout = Payout {
        id: killb.common.random.uuid().to_string(),
        amount: paid,
        currency: account.currency.clone(),
        status: Status::Pending,
        external_id: request.external_id,
        account_id: request.pre_fund_account_id,
        beneficiary: request.beneficiary,
        created_at: now,
        updated_at: now,
    };
    books.payouts.push(payout.clone());
    if let Some(key) = key {
        let index = books.payouts.len() - 1;
        books.by_key.insert(key.clone(), index);
    }
    Ok(Booked::New(payout))
}

/// `GET /api/v2/payouts/{id}`.
pub(crate) async fn get(
    State(killb): State<Arc<Killb>>,
    Path(id): Path<String>,
) -> Result<Json<PayoutOut>, KillbError> {
    killb
        .books()
        .payouts
        .iter()
        .find(|p| p.id == id)
        .map(|p| Json(p.wire()))
        .ok_or_else(|| KillbError::not_found("PAYOUT.0001", format!("Payout {id} not found")))
}

fn number(
    query: &HashMap<String, String>,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, KillbError> {
    match query.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                KillbError::invalid(name, format!("{name} must be a number from 1 to {max}"))
            }),
    }
}

/// `GET /api/v2/payouts?page&limit&status&externalId&id` → `{payouts, totalPage}`, newest first.
pub(crate) async fn list(
    State(killb): State<Arc<Killb>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<PayoutPage>, KillbError> {
    let page = number(&query, "page", 1, usize::MAX)?;
    let limit = number(&query, "limit", 20, 100)?;
    let books = killb.books();
    let matching: Vec<PayoutOut> = books
        .payouts
        .iter()
        .rev()
        .filter(|p| query.get("status").is_none_or(|s| s == p.status.as_str()))
        .filter(|p| query.get("externalId").is_none_or(|e| *e == p.external_id))
        .filter(|p| query.get("id").is_none_or(|i| *i == p.id))
        .map(Payout::wire)
        .collect();
    let total_page = matching.len().div_ceil(limit);
    let payouts = matching
        .into_iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .collect();
    Ok(Json(PayoutPage {
        payouts,
        total_page,
    }))
}
