//! One handler per payout provider: verify, parse, store, then answer in the provider's success
//! form (A55's charges are in `a55.rs`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use giro_domain::beneficiary::{BeneficiaryCommand, BeneficiaryDecider, BeneficiaryStatusChanged};
use giro_domain::payout::{PayoutCommand, PayoutDecider, ReportSource};
use giro_eventlog::EventLog;
use giro_providers::{cashy, killb};

use crate::config::IngressConfig;
use crate::metrics::IngressMetrics;
use crate::record::{self, Callback};

/// What handlers share.
pub struct App {
    pub log: EventLog,
    pub config: IngressConfig,
    pub metrics: IngressMetrics,
}

/// Refuses a callback: counted, logged, answered with `status` and the reason; nothing appended.
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
    let provider = hook.provider.as_str();
    let envelope = match killb::wire::WebhookEnvelope::parse(&body) {
        Ok(e) => e,
        Err(e) => {
            return refuse(
                &app,
                provider,
                StatusCode::BAD_REQUEST,
                "malformed",
                &format!("unreadable webhook: {e}"),
            );
        }
    };
    if envelope.event == "ACCOUNT" {
        return killb_account(&app, hook, &envelope, &body).await;
    }
    if envelope.event != "PAYOUT" {
        // Other events (ramps, customers, …) are not Giro's business: acknowledged, not stored.
        app.metrics.callback(provider, "ignored");
        return StatusCode::OK.into_response();
    }
    let payout = match envelope.payout() {
        Ok(p) => p,
        Err(e) => {
            return refuse(
                &app,
                provider,
                StatusCode::BAD_REQUEST,
                "malformed",
                &format!("unreadable payout: {e}"),
            );
        }
    };
    let report = payout.report(ReportSource::Webhook);
    let report_id = report.report_id.clone();
    let callback = Callback {
        provider: &hook.provider,
        handle: payout.external_id.as_deref(),
        report_id: &report_id,
        body: &body,
    };
    let stored =
        record::store::<PayoutDecider>(&app, callback, PayoutCommand::RecordReport(report)).await;
    record::answer(&app, &hook.provider, stored, StatusCode::OK.into_response())
}

/// A KillB ACCOUNT webhook: the status of a beneficiary's account (`externalId` is the
/// beneficiary id), recorded as `beneficiary.status_changed`. A status KillB has not documented
/// is kept on the dead-letter subject, not guessed at.
async fn killb_account(
    app: &App,
    hook: &crate::config::KillbHook,
    envelope: &killb::wire::WebhookEnvelope,
    body: &Bytes,
) -> Response {
    let provider = hook.provider.as_str();
    let account = match envelope.account() {
        Ok(a) => a,
        Err(e) => {
            return refuse(
                app,
                provider,
                StatusCode::BAD_REQUEST,
                "malformed",
                &format!("unreadable account: {e}"),
            );
        }
    };
    let report_id = format!("{}:{}", account.id, account.status);
    let callback = Callback {
        provider: &hook.provider,
        handle: account.external_id.as_deref(),
        report_id: &report_id,
        body,
    };
    let Some(status) = account.beneficiary_status() else {
        let reason = format!("unknown KillB account status {:?}", account.status);
        let stored = record::keep(app, &callback, &reason).await;
        return record::answer(app, &hook.provider, stored, StatusCode::OK.into_response());
    };
    let command = BeneficiaryCommand::RecordStatus(BeneficiaryStatusChanged {
        status,
        provider_ref: Some(account.id.clone()),
        reason: None,
    });
    let stored = record::store::<BeneficiaryDecider>(app, callback, command).await;
    record::answer(app, &hook.provider, stored, StatusCode::OK.into_response())
}

/// `POST /webhooks/cashy`: the merchant in `MerchantId` must be configured, and `Sign` must be
/// the MD5 of the raw body and that merchant's key. The merchant decides the provider instance
/// (its orders are the only ones the callback may report on) and the success answer.
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
    let provider = hook.provider.as_str();
    let callback = match cashy::wire::Callback::parse(&body) {
        Ok(c) => c,
        Err(e) => {
            return refuse(
                &app,
                provider,
                StatusCode::BAD_REQUEST,
                "malformed",
                &format!("unreadable callback: {e}"),
            );
        }
    };
    let report = callback.report();
    let report_id = report.report_id.clone();
    let stored = record::store::<PayoutDecider>(
        &app,
        Callback {
            provider: &hook.provider,
            handle: callback.mch_order_no.as_deref(),
            report_id: &report_id,
            body: &body,
        },
        PayoutCommand::RecordReport(report),
    )
    .await;
    let ok = (StatusCode::OK, hook.country.callback_ack()).into_response();
    record::answer(&app, &hook.provider, stored, ok)
}
