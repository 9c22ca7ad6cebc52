//! Charge endpoints: create, read, refund, cancel, capture; and the hosted pages the URLs point to.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::{Extension, Json};
use chrono::Utc;
use rust_decimal::{Decimal, RoundingStrategy};

use super::errors::A55Error;
use super::extras;
use super::lifecycle::{Move, Mover, plan, webhooks};
use super::payloads::{boleto, pix_code};
use super::state::{A55, Charge, Instructions, PROVIDER, Status};
use super::validate::{self, ChargeRequest};
use super::wire::{ChargeOut, exponent};
use crate::faults::{ForcedFaults, OrderFaults};
use crate::introspect::{NewOrder, Truncation};
use crate::json::RawObject;
use crate::lifecycle::{self, Step};

/// `POST /api/v1/bank/wallet/charge/`.
pub(crate) async fn create(
    State(a55): State<Arc<A55>>,
    Extension(forced): Extension<ForcedFaults>,
    body: Bytes,
) -> Result<Json<ChargeOut>, A55Error> {
    let registry = &a55.common.registry;
    let reference = RawObject::parse(&body)
        .ok()
        .and_then(|o| o.string("reference_external_id").ok().flatten());
    if let Some(reference) = &reference {
        registry.submitted(PROVIDER, reference);
    }
    let refuse = |error: A55Error| {
        if let Some(reference) = &reference {
            registry.refused(PROVIDER, reference);
        }
        error
    };
    let request = validate::charge(&body).map_err(refuse)?;
    if !a55.config.wallets.contains(&request.wallet_uuid) {
        return Err(refuse(A55Error::wallet_not_found()));
    }
    let uuid = a55.common.random.uuid().to_string();
    // CLP and COP have no decimals: A55 truncates (50000.50 → 50000) instead of refusing.
    let kept = request
        .installment_value
        .round_dp_with_strategy(exponent(&request.currency), RoundingStrategy::ToZero);
    let faults = a55.common.faults.draw_order(&forced);
    let (initial, steps) = plan(&a55, &request, &faults);
    let instructions = instructions(&a55, &request.type_charge, &uuid, kept);
    let charge = Charge {
        uuid: uuid.clone(),
        wallet_uuid: request.wallet_uuid.clone(),
        currency: request.currency.clone(),
        value: kept,
        installment_count: request.installment_count,
        type_charge: request.type_charge.clone(),
        description: request.description.clone(),
        date: Utc::now().date_naive(),
        due_date: request.due_date,
        status: initial.status,
        problem: initial.problem,
        webhook_url: request.webhook_url.clone(),
        reference_external_id: reference.clone(),
        subscription: request
            .subscription
            .clone()
            .map(|(cycle, end)| (a55.common.random.uuid().to_string(), cycle, end)),
        hosted: request.card.is_none() && instructions == Instructions::None,
        threeds: request.threeds && request.card.is_some(),
        instructions,
        transaction_reference: format!("TR{}", a55.common.random.digits(12)),
        received: extras::received(&body),
        generation: 0,
        updated_at: a55.common.clock.now(),
    };
    let out = a55.render(&charge);
    a55.charges().push(charge);
    announce(
        &a55,
        &uuid,
        reference.as_ref(),
        &request,
        kept,
        initial.status,
    );
    let mover = Mover {
        a55: Arc::clone(&a55),
        uuid,
        generation: 0,
    };
    lifecycle::spawn(a55.common.clone(), mover, steps, faults);
    Ok(Json(out))
}

/// How the payer pays a charge of `type_charge` outside a card: a PIX code or a boleto, else
/// nothing (the hosted page).
fn instructions(a55: &A55, type_charge: &str, uuid: &str, kept: Decimal) -> Instructions {
    match type_charge {
        "pix" => Instructions::Pix(pix_code(uuid, kept)),
        "boleto" => {
            let (barcode, digitable_line) = boleto(&a55.common.random, kept);
            Instructions::Boleto {
                barcode,
                digitable_line,
            }
        }
        _ => Instructions::None,
    }
}

/// Tells the registry of the new charge: its handle (submitted now when it had no reference),
/// what it is, and whether its amount was truncated.
fn announce(
    a55: &A55,
    uuid: &str,
    reference: Option<&String>,
    request: &ChargeRequest,
    kept: Decimal,
    status: Status,
) {
    let registry = &a55.common.registry;
    let handle = reference.cloned().unwrap_or_else(|| uuid.to_string());
    if reference.is_none() {
        registry.submitted(PROVIDER, &handle);
    }
    registry.created(NewOrder {
        provider: PROVIDER,
        order_id: uuid,
        handle: &handle,
        external_id: reference.map(String::as_str),
        amount: kept.to_string(),
        currency: &request.currency,
        status: status.as_str(),
    });
    if kept != request.installment_value {
        let truncation = Truncation {
            sent: request.installment_value.to_string(),
            kept: kept.to_string(),
        };
        registry.truncated(PROVIDER, uuid, truncation);
    }
}

/// `GET /api/v1/bank/wallet/charge/{charge_uuid}/`.
pub(crate) async fn get(
    State(a55): State<Arc<A55>>,
    Path(uuid): Path<String>,
) -> Result<Json<ChargeOut>, A55Error> {
    let charge = a55
        .find(&uuid)
        .ok_or_else(|| A55Error::charge_not_found(&uuid))?;
    Ok(Json(a55.render(&charge)))
}

fn owned(a55: &A55, uuid: &str, wallet: &str) -> Result<Charge, A55Error> {
    let charge = a55
        .find(uuid)
        .ok_or_else(|| A55Error::charge_not_found(uuid))?;
    if charge.wallet_uuid != wallet {
        return Err(A55Error::wallet_not_found());
    }
    Ok(charge)
}

/// `GET /_sandbox/a55/charges/{charge_uuid}/request` (the sandbox's own): the optional fields
/// the charge was created with, as received (a wallet token only as `wallet_token_received`).
pub(crate) async fn received(
    State(a55): State<Arc<A55>>,
    Path(uuid): Path<String>,
) -> Result<Json<serde_json::Value>, A55Error> {
    let charge = a55
        .find(&uuid)
        .ok_or_else(|| A55Error::charge_not_found(&uuid))?;
    Ok(Json(charge.received))
}

/// The optional `amount` of a refund or capture: positive, at most the charge's amount, with the
/// currency's decimals (none for CLP and COP, 2 for the others).
fn optional_amount(body: &[u8], charge: &Charge) -> Result<Option<Decimal>, A55Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let obj = RawObject::parse(body)
        .map_err(|e| A55Error::invalid("body", format!("body is not a JSON object: {e}")))?;
    match obj.decimal("amount") {
        Err(_) => Err(A55Error::invalid("amount", "amount must be a number")),
        Ok(Some(amount)) if amount <= Decimal::ZERO || amount > charge.value => {
            Err(A55Error::invalid(
                "amount",
                "amount must be positive and at most the charge's amount",
            ))
        }
        Ok(Some(amount)) if amount.normalize().scale() > exponent(&charge.currency) => {
            Err(A55Error::invalid(
                "amount",
                format!(
                    "amount must have at most {} decimals in {}",
                    exponent(&charge.currency),
                    charge.currency
                ),
            ))
        }
        Ok(amount) => Ok(amount),
    }
}

fn settle(a55: &A55, uuid: &str, status: Status) -> Result<Json<ChargeOut>, A55Error> {
    let charge = a55
        .move_to(uuid, status, None, None)
        .ok_or_else(|| A55Error::charge_not_found(uuid))?;
    lifecycle::notify(
        &a55.common,
        &OrderFaults::default(),
        webhooks(a55, &charge),
        Duration::ZERO,
    );
    Ok(Json(a55.render(&charge)))
}

/// `POST /api/v1/bank/wallet/charge/{charge_uuid}/refund/{wallet_uuid}/ {amount?, reason?}`.
pub(crate) async fn refund(
    State(a55): State<Arc<A55>>,
    Path((uuid, wallet)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<ChargeOut>, A55Error> {
    let charge = owned(&a55, &uuid, &wallet)?;
    if !matches!(charge.status, Status::Paid | Status::Confirmed) {
        return Err(A55Error::new(
            StatusCode::BAD_REQUEST,
            "errors.charge.not_refundable",
            "status",
            format!("A {} charge cannot be refunded", charge.status.as_str()),
        ));
    }
    optional_amount(&body, &charge)?;
    settle(&a55, &uuid, Status::Refunded)
}

/// `POST /api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}/`: 400 when not
/// cancellable, 409 when already cancelled or settled.
pub(crate) async fn cancel(
    State(a55): State<Arc<A55>>,
    Path((uuid, wallet)): Path<(String, String)>,
) -> Result<Json<ChargeOut>, A55Error> {
    let charge = owned(&a55, &uuid, &wallet)?;
    let conflict = |code: &str, what: &str| {
        A55Error::new(
            StatusCode::CONFLICT,
            code,
            "status",
            format!("The charge is already {what}"),
        )
    };
    match charge.status {
        Status::Issued | Status::Pending | Status::PreCaptured => {
            settle(&a55, &uuid, Status::Canceled)
        }
        Status::Canceled => Err(conflict("errors.charge.already_canceled", "canceled")),
        Status::Confirmed | Status::Paid | Status::Refunded => {
            Err(conflict("errors.charge.already_settled", "settled"))
        }
        Status::Error => Err(A55Error::new(
            StatusCode::BAD_REQUEST,
            "errors.charge.not_cancellable",
            "status",
            "A charge in error cannot be canceled",
        )),
    }
}

/// `POST /api/v1/bank/wallet/charge/capture/ {charge_uuid, wallet_uuid, amount?}`.
pub(crate) async fn capture(
    State(a55): State<Arc<A55>>,
    body: Bytes,
) -> Result<Json<ChargeOut>, A55Error> {
    let obj = RawObject::parse(&body)
        .map_err(|e| A55Error::invalid("body", format!("body is not a JSON object: {e}")))?;
    let field = |name: &str| {
        obj.string(name)
            .map_err(|_| A55Error::invalid(name, format!("{name} must be a string")))?
            .ok_or_else(|| A55Error::required(name))
    };
    let (uuid, wallet) = (field("charge_uuid")?, field("wallet_uuid")?);
    let charge = owned(&a55, &uuid, &wallet)?;
    if charge.status != Status::PreCaptured {
        return Err(A55Error::new(
            StatusCode::BAD_REQUEST,
            "errors.charge.not_capturable",
            "status",
            format!("A {} charge cannot be captured", charge.status.as_str()),
        ));
    }
    // A partial capture charges the amount captured; the rest of the authorisation is released.
    if let Some(amount) = optional_amount(&body, &charge)? {
        a55.set_value(&uuid, amount);
    }
    let charge = a55
        .move_to(&uuid, Status::Confirmed, None, None)
        .ok_or_else(|| A55Error::charge_not_found(&uuid))?;
    let announce = Move {
        status: Status::Confirmed,
        problem: None,
        announce_only: true,
    };
    let paid = Move {
        status: Status::Paid,
        ..announce.clone()
    };
    let steps = vec![
        Step::new(Duration::ZERO, announce, true),
        Step::new(
            a55.common.timing.step_delay,
            Move {
                announce_only: false,
                ..paid
            },
            true,
        ),
    ];
    let mover = Mover {
        a55: Arc::clone(&a55),
        uuid,
        generation: charge.generation,
    };
    lifecycle::spawn(a55.common.clone(), mover, steps, OrderFaults::default());
    Ok(Json(a55.render(&charge)))
}

/// The hosted checkout, 3DS and boleto pages a payer would open.
pub(crate) async fn hosted(
    Path((page, uuid)): Path<(String, String)>,
) -> Result<Html<String>, StatusCode> {
    if !matches!(page.as_str(), "checkout" | "3ds" | "boleto") {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(Html(format!(
        "<!doctype html><title>A55 sandbox {page}</title><h1>A55 sandbox {page}</h1><p>Charge {uuid}. The sandbox completes it by itself.</p>"
    )))
}
