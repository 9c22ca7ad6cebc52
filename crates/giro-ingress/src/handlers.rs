//! `POST /webhooks/{path}`, for every provider alike: the receiver registered at `path` verifies
//! and reads the callback, what it reports is stored, and only then does the provider get its
//! own success answer.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use giro_domain::beneficiary::{ACCOUNTS_PROVIDER, BeneficiaryCommand, BeneficiaryDecider};
use giro_domain::charge::{ChargeCommand, ChargeDecider};
use giro_domain::payout::{PayoutCommand, PayoutDecider};
use giro_eventlog::EventLog;
use giro_providers::{Received, WebhookReport};

use crate::config::IngressConfig;
use crate::metrics::IngressMetrics;
use crate::record::{self, Callback, NotStored, Stored};

/// What handlers share.
pub struct App {
    pub log: EventLog,
    pub config: IngressConfig,
    pub metrics: IngressMetrics,
}

/// The callbacks metric's provider label of a request at `/webhooks/<path>` before it is
/// verified: the path when a receiver serves it, else `other` (so that stray requests cannot
/// grow the metric).
pub(crate) fn path_label<'a>(app: &App, path: &'a str) -> &'a str {
    if app.config.providers.receiver(path).is_some() {
        path
    } else {
        "other"
    }
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

/// `POST /webhooks/{path}`.
pub async fn webhook(
    State(app): State<Arc<App>>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(receiver) = app.config.providers.receiver(&path).cloned() else {
        let why = format!("no provider's webhooks are served at /webhooks/{path}");
        return refuse(&app, "other", StatusCode::NOT_FOUND, "not_configured", &why);
    };
    let received = match receiver.receive(&headers, &body, chrono::Utc::now()).await {
        Ok(received) => received,
        Err(r) => {
            let label = r.instance.as_ref().map_or(path.as_str(), |i| i.as_str());
            return refuse(&app, label, r.status, r.result, &r.reason);
        }
    };
    store(&app, received, &body).await
}

/// Stores what a verified callback reports, in order (stopping at the first that cannot be
/// stored), and answers.
async fn store(app: &App, received: Received, body: &Bytes) -> Response {
    let provider = &received.instance;
    let ok = (received.answer.status, received.answer.body).into_response();
    if received.reports.is_empty() {
        // Not Giro's business (KillB ramps, customers, …): acknowledged, not stored.
        app.metrics.callback(provider.as_str(), "ignored");
        return ok;
    }
    let mut stored: Result<Stored, NotStored> = Ok(Stored::Duplicate);
    for report in received.reports {
        stored = store_one(app, &received.instance, report, body).await;
        if stored.is_err() {
            break;
        }
    }
    record::answer(app, provider, stored, ok)
}

/// Whether `provider` may report on beneficiary accounts: an instance the registry lists without
/// the accounts capability never vouches for one.
fn keeps_accounts(app: &App, provider: &giro_domain::ProviderId) -> bool {
    app.config
        .providers
        .instance(provider.as_str())
        .is_none_or(|i| i.accounts.is_some())
}

/// The attempt a submission handle names.
fn attempt_of(handle: Option<&str>) -> Option<u32> {
    handle
        .and_then(|h| h.parse::<giro_domain::SubmissionHandle>().ok())
        .map(|h| h.attempt)
}

/// Stores one report on the order its handle names (or keeps it on the dead-letter subject).
async fn store_one(
    app: &App,
    provider: &giro_domain::ProviderId,
    report: WebhookReport,
    body: &Bytes,
) -> Result<Stored, NotStored> {
    let callback = |handle, report_id| Callback {
        provider,
        handle,
        report_id,
        body,
    };
    match report {
        WebhookReport::Payout { handle, mut report } => {
            // The report belongs to the attempt its handle names, whatever the order's attempt is
            // now: the decider keeps a report about another attempt apart.
            report.attempt = attempt_of(handle.as_deref());
            let report_id = report.report_id.clone();
            let callback = callback(handle.as_deref(), &report_id);
            let command = PayoutCommand::RecordReport(report);
            record::store::<PayoutDecider>(app, callback, command).await
        }
        WebhookReport::Charge { handle, mut report } => {
            report.attempt = attempt_of(handle.as_deref());
            let report_id = report.report_id.clone();
            let callback = callback(handle.as_deref(), &report_id);
            let command = ChargeCommand::RecordReport(report);
            record::store::<ChargeDecider>(app, callback, command).await
        }
        WebhookReport::Beneficiary {
            handle,
            report_id,
            status,
        } => {
            let order = handle.as_deref().and_then(|h| h.parse().ok());
            if let (Some(order), false) = (order, keeps_accounts(app, provider)) {
                return Err(NotStored::WrongProvider {
                    kind: "beneficiary",
                    order,
                    owner: ACCOUNTS_PROVIDER.to_string(),
                });
            }
            let callback = callback(handle.as_deref(), &report_id);
            let command = BeneficiaryCommand::RecordStatus(status);
            record::store::<BeneficiaryDecider>(app, callback, command).await
        }
        WebhookReport::Keep { reason } => record::keep(app, &callback(None, ""), &reason).await,
    }
}
