//! `POST /webhooks/a55`: A55's charge webhooks. The signed form (`X-Webhook-Signature` = hex
//! HMAC-SHA256 over `"<X-Webhook-Timestamp>." + body`, at most 300 s old or ahead) is verified in
//! constant time; the older unsigned form is accepted only when configured, and then only what
//! A55 says when the charge is read counts. The charge's order is the one its
//! `reference_external_id` (the submission handle) names; a report is recorded once by its
//! identity (charge uuid + status), before A55 gets its 200.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::Utc;
use giro_domain::charge::{ChargeCommand, ChargeDecider, ChargeReport, ReportSource};
use giro_providers::a55::sign::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use giro_providers::a55::wire::{Charge, LegacyWebhook};
use giro_providers::a55::{A55Error, MAX_AGE, SignatureError, verify_signature};

use crate::handlers::{App, refuse};
use crate::record::{self, Callback};

/// What a webhook turned out to say, once verified (or confirmed).
#[derive(Debug)]
pub struct Verified {
    pub report: ChargeReport,
    /// `reference_external_id`: the submission handle naming the order.
    pub handle: Option<String>,
}

/// Why a webhook is refused, with the HTTP status and metric result it gets.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub result: &'static str,
    pub reason: String,
}

fn refusal(status: StatusCode, result: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal {
        status,
        result,
        reason: reason.into(),
    }
}

/// Verifies and parses a signed webhook; `Ok(None)` when it carries no signature headers at all
/// (the legacy form). Never panics, whatever the bytes and headers.
pub fn verify_signed(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: chrono::DateTime<Utc>,
) -> Result<Option<Verified>, Refusal> {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or(""));
    let (signature, timestamp) = match (header(SIGNATURE_HEADER), header(TIMESTAMP_HEADER)) {
        (None, None) => return Ok(None),
        (Some(s), Some(t)) => (s, t),
        _ => {
            return Err(refusal(
                StatusCode::UNAUTHORIZED,
                "forged",
                "X-Webhook-Signature and X-Webhook-Timestamp come together",
            ));
        }
    };
    match verify_signature(secret, timestamp, body, signature, now, MAX_AGE) {
        Ok(()) => {}
        Err(e @ SignatureError::Stale { .. }) => {
            return Err(refusal(StatusCode::UNAUTHORIZED, "stale", e.to_string()));
        }
        Err(e) => return Err(refusal(StatusCode::UNAUTHORIZED, "forged", e.to_string())),
    }
    let charge = Charge::parse(body).map_err(|e| {
        refusal(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("unreadable charge: {e}"),
        )
    })?;
    Ok(Some(Verified {
        report: charge.report(ReportSource::Webhook),
        handle: charge.reference_external_id,
    }))
}

/// Confirms an unsigned webhook by reading its charge from A55: the report is what A55 answers,
/// not what the webhook claims.
async fn confirm_legacy(app: &App, body: &[u8]) -> Result<Verified, Refusal> {
    let Some(client) = app.config.a55.as_ref().and_then(|h| h.legacy.as_ref()) else {
        return Err(refusal(
            StatusCode::UNAUTHORIZED,
            "forged",
            "missing X-Webhook-Signature (unsigned webhooks are not accepted)",
        ));
    };
    let legacy = LegacyWebhook::parse(body).map_err(|e| {
        refusal(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("unreadable webhook: {e}"),
        )
    })?;
    match client.get_charge(&legacy.charge_uuid).await {
        Ok(charge) => Ok(Verified {
            report: charge.report(ReportSource::Webhook),
            handle: charge.reference_external_id,
        }),
        Err(A55Error::Refused { status: 404, .. }) => Err(refusal(
            StatusCode::UNAUTHORIZED,
            "unconfirmed",
            "A55 does not know the charge the unsigned webhook names",
        )),
        Err(e) => Err(refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("cannot confirm the unsigned webhook with A55 now: {e}"),
        )),
    }
}

/// `POST /webhooks/a55`.
pub async fn webhook(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    const P: &str = "a55";
    let Some(hook) = &app.config.a55 else {
        return refuse(
            &app,
            P,
            StatusCode::NOT_FOUND,
            "not_configured",
            "A55 webhooks are not configured",
        );
    };
    let verified = match verify_signed(hook.secret.expose(), &headers, &body, Utc::now()) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => confirm_legacy(&app, &body).await,
        Err(r) => Err(r),
    };
    let verified = match verified {
        Ok(v) => v,
        Err(r) => return refuse(&app, P, r.status, r.result, &r.reason),
    };
    let report_id = verified.report.report_id.clone();
    let callback = Callback {
        provider: &hook.provider,
        handle: verified.handle.as_deref(),
        report_id: &report_id,
        body: &body,
    };
    let command = ChargeCommand::RecordReport(verified.report);
    let stored = record::store::<ChargeDecider>(&app, callback, command).await;
    record::answer(&app, &hook.provider, stored, StatusCode::OK.into_response())
}
