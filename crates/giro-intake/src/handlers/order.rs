//! `giro.query.order.get`: an order of any kind, rebuilt from its events and masked.

use giro_domain::beneficiary::BeneficiaryDecider;
use giro_domain::charge::ChargeDecider;
use giro_domain::payout::PayoutDecider;
use giro_domain::{Decider, ErrorCode, Rejection};
use giro_eventlog::Loaded;
use serde_json::{Map, Value, json};

use super::{fields, log_failure, parse_order_ref};
use crate::reply::Reply;
use crate::service::Intake;

/// An order's state and history, masked, rebuilt from its events.
fn order_view<D: Decider>(
    kind: &str,
    loaded: &Loaded<D>,
    status: &str,
    masked: impl Fn(&D::Event) -> Value,
) -> Map<String, Value> {
    let history: Vec<Value> = loaded
        .events
        .iter()
        .map(|e| {
            json!({
                "version": e.version,
                "type": giro_domain::EventType::event_type(&e.event),
                "at": e.at,
                "data": masked(&e.event),
            })
        })
        .collect();
    let first = loaded.events.first();
    fields(json!({
        "order_id": first.map(|e| e.order_id),
        "kind": kind,
        "status": status,
        "version": loaded.version(),
        "created_at": first.map(|e| e.at),
        "updated_at": loaded.events.last().map(|e| e.at),
        "history": history,
    }))
}

pub(super) async fn get_order(intake: &Intake, body: &[u8]) -> Result<Reply, Rejection> {
    let (id, _) = parse_order_ref(body)?;
    tracing::Span::current().record("order_id", tracing::field::display(id));
    let log = &intake.log;
    let payout = log.load::<PayoutDecider>(id).await.map_err(log_failure)?;
    if let Some(p) = &payout.state {
        let mut view = order_view("payout", &payout, p.status.as_str(), |e| e.masked_data());
        view.insert(
            "order".into(),
            json!({
                "provider": p.request.provider,
                "amount": p.request.money.amount().to_string(),
                "currency": p.request.money.currency(),
                "external_id": p.request.external_id,
                "idempotency_key": p.request.idempotency_key,
                "beneficiary": p.request.beneficiary.masked(),
                "attempt": p.attempt,
                "outcome_unknown": p.outcome_unknown,
                "provider_ref": p.provider_ref,
                "fee": p.fee.map(|f| f.to_string()),
                "failure": p.failure,
                "status_since": p.status_since,
            }),
        );
        return Ok(Reply::success(view));
    }
    let charge = log.load::<ChargeDecider>(id).await.map_err(log_failure)?;
    if let Some(c) = &charge.state {
        let mut view = order_view("charge", &charge, c.status.as_str(), |e| e.masked_data());
        view.insert(
            "order".into(),
            json!({
                "provider": c.request.provider,
                "amount": c.request.money.amount().to_string(),
                "currency": c.request.money.currency(),
                "installment_count": c.request.installment_count,
                "method": c.request.method,
            }),
        );
        return Ok(Reply::success(view));
    }
    let beneficiary = log
        .load::<BeneficiaryDecider>(id)
        .await
        .map_err(log_failure)?;
    if let Some(b) = &beneficiary.state {
        let status = serde_json::to_value(b.status).ok();
        let status = status.as_ref().and_then(Value::as_str).unwrap_or("PENDING");
        let view = order_view("beneficiary", &beneficiary, status, |e| e.masked_data());
        return Ok(Reply::success(view));
    }
    Err(Rejection::at(
        ErrorCode::NotFound,
        "order_id",
        "no order has this id",
    ))
}
