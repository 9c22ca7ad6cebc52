//! One handler per provider: verify, parse, store, then answer in the provider's success form.

use std::sync::Arc;
use tracing::Instrument;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use giro_domain::payout::{PayoutCommand, PayoutDecider, ProviderReport, ReportSource};
use giro_domain::{ErrorCode, EventMeta, SubmissionHandle};
use giro_eventlog::{EventLog, ExecuteError};
use giro_executor::providers::{cashy, killb};

use crate::config::IngressConfig;
use crate::metrics::IngressMetrics;

/// What handlers share.
pub struct App {
    pub log: EventLog,
    pub config: IngressConfig,
    pub metrics: IngressMetrics,
}

/// What became of a verified callback.
pub(crate) enum Stored {
    /// Appended (a new report, perhaps with its consequence).
    New,
    /// A report already recorded: nothing appended.
    Duplicate,
    /// Not an order Giro knows: kept on the dead-letter subject.
    DeadLettered,
}

pub(crate) fn refuse(
    app: &App,
    provider: &str,
    status: StatusCode,
    result: &str,
    why: &str,
) -> Response {
    app.metrics.callback(provider, result);
    tracing::warn!(provider, result, reason = why, "callback refused");
    (status, why.to_string()).into_response()
}

/// Appends the report to the order the handle names, or dead-letters the callback.
async fn store(
    app: &App,
    provider: &str,
    handle: Option<&str>,
    report: ProviderReport,
    body: &Bytes,
) -> Result<Stored, String> {
    let order = handle
        .and_then(|h| h.parse::<SubmissionHandle>().ok())
        .map(|h| h.order_id);
    let Some(id) = order else {
        return dead_letter(
            app,
            provider,
            "the callback names no Giro submission handle",
            body,
        )
        .await;
    };
    let meta = EventMeta {
        correlation_id: id.to_string(),
        causation_id: Some(report.report_id.clone()),
    };
    let command = PayoutCommand::RecordReport(report);
    // The callback continues the order's trace, under the span of its latest event.
    let span = tracing::info_span!("ingress.record", order_id = %id, provider);
    if let Some(cx) = app.log.order_trace::<PayoutDecider>(id).await {
        giro_eventlog::trace::continue_context(&span, cx);
    }
    match app
        .log
        .execute::<PayoutDecider>(id, &command, &meta, false)
        .instrument(span)
        .await
    {
        Ok(done) if done.appended.is_empty() => Ok(Stored::Duplicate),
        Ok(_) => Ok(Stored::New),
        Err(ExecuteError::Rejected(r)) if r.code == ErrorCode::NotFound => {
            dead_letter(
                app,
                provider,
                &format!("no payout {id} in the event log"),
                body,
            )
            .await
        }
        Err(ExecuteError::Rejected(r)) => Err(format!("refused by the payout: {r}")),
        Err(ExecuteError::Log(e)) => Err(e.to_string()),
    }
}

pub(crate) async fn dead_letter(
    app: &App,
    provider: &str,
    reason: &str,
    body: &Bytes,
) -> Result<Stored, String> {
    let subject = format!("{}.dlq.ingress.{provider}", app.config.prefix);
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Giro-Dead-Letter-Reason", reason);
    let js = app.log.context();
    let ack = js
        .publish_with_headers(subject, headers, body.clone())
        .await
        .map_err(|e| e.to_string())?;
    ack.await.map_err(|e| e.to_string())?;
    giro_telemetry::metrics::dead_letter("ingress", provider);
    tracing::warn!(provider, reason, "callback dead-lettered");
    Ok(Stored::DeadLettered)
}

pub(crate) fn stored_answer(
    app: &App,
    provider: &str,
    stored: Result<Stored, String>,
    ok: Response,
) -> Response {
    match stored {
        Ok(Stored::New) => {
            app.metrics.callback(provider, "stored");
            ok
        }
        Ok(Stored::Duplicate) => {
            app.metrics.callback(provider, "duplicate");
            ok
        }
        Ok(Stored::DeadLettered) => {
            app.metrics.callback(provider, "unknown_order");
            ok
        }
        Err(e) => {
            app.metrics.callback(provider, "unavailable");
            tracing::error!(provider, error = %e, "callback not stored; asking the provider to retry");
            (StatusCode::SERVICE_UNAVAILABLE, "not stored; retry").into_response()
        }
    }
}

/// `POST /webhooks/killb`: `x-signature-sha256` over the raw body, either documented reading.
pub async fn killb(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    const P: &str = "killb";
    let Some(hook) = &app.config.killb else {
        return refuse(
            &app,
            P,
            StatusCode::NOT_FOUND,
            "not_configured",
            "KillB webhooks are not configured",
        );
    };
    let Some(signature) = headers
        .get("x-signature-sha256")
        .and_then(|v| v.to_str().ok())
    else {
        return refuse(
            &app,
            P,
            StatusCode::UNAUTHORIZED,
            "forged",
            "missing x-signature-sha256",
        );
    };
    if !killb::sign::verify_signature(hook.secret.expose(), &body, signature) {
        return refuse(
            &app,
            P,
            StatusCode::UNAUTHORIZED,
            "forged",
            "signature does not match",
        );
    }
    let envelope = match killb::wire::WebhookEnvelope::parse(&body) {
        Ok(e) => e,
        Err(e) => {
            return refuse(
                &app,
                P,
                StatusCode::BAD_REQUEST,
                "malformed",
                &format!("unreadable webhook: {e}"),
            );
        }
    };
    if envelope.event != "PAYOUT" {
        // Other events (accounts, …) are not Giro's business yet: acknowledged, not stored.
        app.metrics.callback(P, "ignored");
        return StatusCode::OK.into_response();
    }
    let payout = match envelope.payout() {
        Ok(p) => p,
        Err(e) => {
            return refuse(
                &app,
                P,
                StatusCode::BAD_REQUEST,
                "malformed",
                &format!("unreadable payout: {e}"),
            );
        }
    };
    let report = payout.report(ReportSource::Webhook);
    let stored = store(&app, P, payout.external_id.as_deref(), report, &body).await;
    stored_answer(&app, P, stored, StatusCode::OK.into_response())
}

/// `POST /webhooks/cashy`: the merchant in `MerchantId` must be configured, and `Sign` must be
/// the MD5 of the raw body and that merchant's key.
pub async fn cashy(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    const P: &str = "cashy";
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(merchant) = header("MerchantId") else {
        return refuse(
            &app,
            P,
            StatusCode::UNAUTHORIZED,
            "forged",
            "missing MerchantId",
        );
    };
    let Some(hook) = app.config.cashy.iter().find(|h| h.merchant_id == merchant) else {
        return refuse(
            &app,
            P,
            StatusCode::UNAUTHORIZED,
            "forged",
            "unknown MerchantId",
        );
    };
    let Some(sign) = header("Sign") else {
        return refuse(&app, P, StatusCode::UNAUTHORIZED, "forged", "missing Sign");
    };
    if !cashy::verify_sign(&body, hook.api_key.expose(), sign) {
        return refuse(
            &app,
            P,
            StatusCode::UNAUTHORIZED,
            "forged",
            "Sign does not match",
        );
    }
    let callback = match cashy::wire::Callback::parse(&body) {
        Ok(c) => c,
        Err(e) => {
            return refuse(
                &app,
                P,
                StatusCode::BAD_REQUEST,
                "malformed",
                &format!("unreadable callback: {e}"),
            );
        }
    };
    let provider = hook.provider.as_str();
    let stored = store(
        &app,
        provider,
        callback.mch_order_no.as_deref(),
        callback.report(),
        &body,
    )
    .await;
    let ack = hook.country.callback_ack();
    let ok = (StatusCode::OK, ack).into_response();
    stored_answer(&app, provider, stored, ok)
}
