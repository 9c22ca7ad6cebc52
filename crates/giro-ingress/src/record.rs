//! Storing a verified report, for payouts and charges alike: on the order its handle names when
//! that order belongs to the provider instance whose credentials verified the callback; on the
//! ingress dead-letter subject when Giro cannot take it (no such order, or the order refuses it
//! for good); and a 5xx only when the event log itself cannot store, so that the provider retries
//! exactly when a retry can help.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use giro_domain::beneficiary::BeneficiaryDecider;
use giro_domain::charge::ChargeDecider;
use giro_domain::payout::PayoutDecider;
use giro_domain::{Decider, ErrorCode, EventMeta, OrderId, ProviderId, SubmissionHandle};
use giro_eventlog::ExecuteError;
use tracing::Instrument;

use crate::handlers::{App, refuse};

/// Header carrying why a callback was dead-lettered.
pub const DEAD_LETTER_REASON_HEADER: &str = "Giro-Dead-Letter-Reason";

/// An order kind provider callbacks report on.
pub(crate) trait Reported: Decider {
    /// Whether the order belongs to `provider`, the instance whose credentials verified the
    /// callback: `None` when there is no such order, else `Err(owner)` for another's order.
    fn owned_by(state: &Self::State, provider: &ProviderId) -> Option<Result<(), String>>;

    /// The order a callback's handle names.
    fn order_of(handle: &str) -> Option<OrderId> {
        handle.parse::<SubmissionHandle>().ok().map(|h| h.order_id)
    }
}

/// Whether `owner` is `provider`, as [`Reported::owned_by`] answers it.
fn same(owner: &ProviderId, provider: &ProviderId) -> Result<(), String> {
    if owner == provider {
        Ok(())
    } else {
        Err(owner.to_string())
    }
}

impl Reported for PayoutDecider {
    fn owned_by(state: &Self::State, provider: &ProviderId) -> Option<Result<(), String>> {
        state.as_ref().map(|p| same(&p.request.provider, provider))
    }
}

impl Reported for ChargeDecider {
    fn owned_by(state: &Self::State, provider: &ProviderId) -> Option<Result<(), String>> {
        state.as_ref().map(|c| same(&c.request.provider, provider))
    }
}

/// Beneficiaries are accounts at the provider that keeps them, named by the beneficiary id they
/// were created under (`externalId`). Which instances may report on them is the registry's to say
/// (the accounts capability), checked before the report is stored.
impl Reported for BeneficiaryDecider {
    fn owned_by(state: &Self::State, _provider: &ProviderId) -> Option<Result<(), String>> {
        state.as_ref().map(|_| Ok(()))
    }

    fn order_of(handle: &str) -> Option<OrderId> {
        handle.parse().ok()
    }
}

/// A verified callback, as far as storing it is concerned.
pub(crate) struct Callback<'a> {
    /// The provider instance whose credentials verified it.
    pub provider: &'a ProviderId,
    /// The submission handle it names (KillB `externalId`, Cashy `mchOrderNo`, A55
    /// `reference_external_id`).
    pub handle: Option<&'a str>,
    /// The report's identity: the causation id of what it appends.
    pub report_id: &'a str,
    /// The raw body, kept on the dead-letter subject when Giro cannot take it.
    pub body: &'a Bytes,
}

/// Why a verified callback went to the dead-letter subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeadLetter {
    /// It names no order Giro has.
    UnknownOrder,
    /// The order refused it for good: retrying cannot change that.
    Rejected,
}

impl DeadLetter {
    /// The `result` label of the callbacks metric.
    pub(crate) fn result(self) -> &'static str {
        match self {
            DeadLetter::UnknownOrder => "unknown_order",
            DeadLetter::Rejected => "rejected",
        }
    }
}

/// What became of a verified callback that Giro holds now: the provider gets its success answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stored {
    /// Appended (a new report, perhaps with its consequence).
    New,
    /// A report already recorded: nothing appended.
    Duplicate,
    /// Kept on `<prefix>.dlq.ingress.<provider>` with the reason.
    DeadLettered(DeadLetter),
}

/// Why a verified callback was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotStored {
    /// The order belongs to another provider instance: one instance's credentials never vouch
    /// for a report about another's order.
    WrongProvider {
        kind: &'static str,
        order: OrderId,
        owner: String,
    },
    /// The event log (or the dead-letter stream) could not take it: the provider must retry.
    Unavailable(String),
}

/// Appends the report (`command`) to the order the callback's handle names, after checking the
/// order is the verifying provider instance's; dead-letters what Giro cannot take.
pub(crate) async fn store<D: Reported>(
    app: &App,
    callback: Callback<'_>,
    command: D::Command,
) -> Result<Stored, NotStored> {
    let kind = D::KIND.as_str();
    let order = callback.handle.and_then(D::order_of);
    let Some(id) = order else {
        let reason = "the callback names no Giro submission handle";
        return dead_letter(app, &callback, DeadLetter::UnknownOrder, reason).await;
    };
    // One read of the order serves the owner check and the append: the order as this ingress
    // last saw it (a provider reporting twice), else read from the log. The append names the
    // last sequence it knows, so a report decided on a stale order is decided again on the
    // order read on (`EventLog::execute_on`).
    let (mut loaded, mut read) = app
        .log
        .load_cached::<D>(id)
        .await
        .map_err(|e| NotStored::Unavailable(e.to_string()))?;
    if !read && D::owned_by(&loaded.state, callback.provider).is_none() {
        loaded = app
            .log
            .confirm::<D>(id, loaded)
            .await
            .map_err(|e| NotStored::Unavailable(e.to_string()))?;
        read = true;
    }
    // The callback continues the order's trace, under the span of its latest event.
    let span = tracing::info_span!("ingress.record", order_id = %id, provider = %callback.provider);
    if let Some(cx) = loaded.trace() {
        giro_eventlog::trace::continue_context(&span, cx);
        // The webhook's own request span stays reachable from the order's trace.
        giro_telemetry::trace::link_current(&span);
    }
    match D::owned_by(&loaded.state, callback.provider) {
        None => {
            let reason = format!("no {kind} {id} in the event log");
            return dead_letter(app, &callback, DeadLetter::UnknownOrder, &reason).await;
        }
        Some(Err(owner)) => {
            return Err(NotStored::WrongProvider {
                kind,
                order: id,
                owner,
            });
        }
        Some(Ok(())) => {}
    }
    let meta = EventMeta {
        correlation_id: id.to_string(),
        causation_id: Some(callback.report_id.to_string()),
    };
    let executed = app
        .log
        .execute_on::<D>(id, loaded, read, &command, &meta)
        .instrument(span)
        .await
        .map(|done| !done.appended.is_empty());
    settle(app, &callback, kind, id, executed).await
}

/// What the outcome of carrying out the report means: stored, a repeat, refused for good
/// (dead-lettered), or not stored for now.
async fn settle(
    app: &App,
    callback: &Callback<'_>,
    kind: &str,
    id: OrderId,
    executed: Result<bool, ExecuteError>,
) -> Result<Stored, NotStored> {
    match executed {
        Ok(true) => Ok(Stored::New),
        Ok(false) => Ok(Stored::Duplicate),
        Err(ExecuteError::Rejected(r)) if r.code == ErrorCode::NotFound => {
            let reason = format!("no {kind} {id} in the event log");
            dead_letter(app, callback, DeadLetter::UnknownOrder, &reason).await
        }
        Err(ExecuteError::Rejected(r)) => {
            let reason = format!("refused by {kind} {id}: {r}");
            dead_letter(app, callback, DeadLetter::Rejected, &reason).await
        }
        Err(ExecuteError::Log(e)) => Err(NotStored::Unavailable(e.to_string())),
    }
}

/// Keeps a verified callback Giro cannot read into a report (an undocumented status) on the
/// dead-letter subject, so that nothing the provider said is lost.
pub(crate) async fn keep(
    app: &App,
    callback: &Callback<'_>,
    reason: &str,
) -> Result<Stored, NotStored> {
    dead_letter(app, callback, DeadLetter::Rejected, reason).await
}

/// Keeps the callback's body on `<prefix>.dlq.ingress.<provider>` with the reason, stored (acked
/// by JetStream) before the provider is answered.
async fn dead_letter(
    app: &App,
    callback: &Callback<'_>,
    why: DeadLetter,
    reason: &str,
) -> Result<Stored, NotStored> {
    let provider = callback.provider.as_str();
    let subject = format!("{}.dlq.ingress.{provider}", app.config.prefix);
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(DEAD_LETTER_REASON_HEADER, reason);
    let unavailable = |e: String| NotStored::Unavailable(format!("dead-lettering: {e}"));
    let ack = app
        .log
        .context()
        .publish_with_headers(subject, headers, callback.body.clone())
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    ack.await.map_err(|e| unavailable(e.to_string()))?;
    giro_telemetry::metrics::dead_letter("ingress", provider);
    tracing::warn!(
        provider,
        result = why.result(),
        reason,
        "callback dead-lettered"
    );
    Ok(Stored::DeadLettered(why))
}

/// The provider's answer: `ok` (its success form) once Giro holds the callback, 401 for a
/// report about another instance's order, 503 when it must retry.
pub(crate) fn answer(
    app: &App,
    provider: &ProviderId,
    stored: Result<Stored, NotStored>,
    ok: Response,
) -> Response {
    let provider = provider.as_str();
    match stored {
        Ok(Stored::New) => {
            app.metrics.callback(provider, "stored");
            ok
        }
        Ok(Stored::Duplicate) => {
            app.metrics.callback(provider, "duplicate");
            ok
        }
        Ok(Stored::DeadLettered(why)) => {
            app.metrics.callback(provider, why.result());
            ok
        }
        Err(NotStored::WrongProvider { kind, order, owner }) => refuse(
            app,
            provider,
            StatusCode::UNAUTHORIZED,
            "wrong_provider",
            &format!(
                "{kind} {order} is {owner}'s; a callback verified as {provider}'s cannot report on it"
            ),
        ),
        Err(NotStored::Unavailable(e)) => {
            app.metrics.callback(provider, "unavailable");
            tracing::error!(provider, error = %e, "callback not stored; asking the provider to retry");
            (StatusCode::SERVICE_UNAVAILABLE, "not stored; retry").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use giro_domain::Rejection;
    use giro_eventlog::test_support::TestLog;

    use super::*;
    use crate::{IngressConfig, IngressMetrics};

    fn app(log: &TestLog) -> App {
        let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
        App {
            log: log.log.clone(),
            config: IngressConfig::new(any, log.config.prefix.clone(), Default::default()),
            metrics: IngressMetrics::default(),
        }
    }

    #[tokio::test]
    async fn a_report_the_order_refuses_for_good_is_dead_lettered_and_answered_as_received() {
        let log = TestLog::new().await;
        let app = app(&log);
        let provider = ProviderId::try_from("cashy-co".to_string()).expect("provider id");
        let body = Bytes::from_static(br#"{"orderStatus":"SUCCESS"}"#);
        let callback = Callback {
            provider: &provider,
            handle: None,
            report_id: "r-1",
            body: &body,
        };
        let id = OrderId::from_uuid(uuid::Uuid::new_v4());
        let refused = Err(ExecuteError::Rejected(Rejection::new(
            ErrorCode::InvalidState,
            "cannot record a report: payout is cancelled",
        )));
        let stored = settle(&app, &callback, "payout", id, refused).await;
        assert_eq!(stored, Ok(Stored::DeadLettered(DeadLetter::Rejected)));
        let response = answer(
            &app,
            &provider,
            stored,
            (StatusCode::OK, "SUCCESS").into_response(),
        );
        assert_eq!(response.status(), StatusCode::OK);
        let text = String::from_utf8(
            axum::body::to_bytes(response.into_body(), 1024)
                .await
                .expect("body")
                .to_vec(),
        )
        .expect("utf-8");
        assert_eq!(text, "SUCCESS");

        let dlq = log
            .log
            .context()
            .get_stream(log.config.dead_letter_stream())
            .await
            .expect("dead-letter stream");
        let letter = dlq
            .direct_get_last_for_subject(format!("{}.dlq.ingress.cashy-co", log.config.prefix))
            .await
            .expect("dead letter stored");
        assert_eq!(letter.payload, body);
        let reason = letter
            .headers
            .get(DEAD_LETTER_REASON_HEADER)
            .map(|v| v.to_string())
            .unwrap_or_default();
        assert!(
            reason.contains(&id.to_string()) && reason.contains("payout is cancelled"),
            "{reason}"
        );
        let metrics = app.metrics.render();
        assert!(
            metrics.contains(r#"provider="cashy-co",result="rejected""#),
            "{metrics}"
        );
    }

    #[tokio::test]
    async fn an_event_log_failure_is_not_dead_lettered_but_retried() {
        let log = TestLog::new().await;
        let app = app(&log);
        let provider = ProviderId::try_from("killb".to_string()).expect("provider id");
        let body = Bytes::from_static(b"{}");
        let callback = Callback {
            provider: &provider,
            handle: None,
            report_id: "r-1",
            body: &body,
        };
        let down = Err(ExecuteError::Log(giro_eventlog::Error::Unavailable(
            "no JetStream".into(),
        )));
        let stored = settle(
            &app,
            &callback,
            "payout",
            OrderId::from_uuid(uuid::Uuid::new_v4()),
            down,
        )
        .await;
        assert!(
            matches!(stored, Err(NotStored::Unavailable(_))),
            "{stored:?}"
        );
        let response = answer(&app, &provider, stored, StatusCode::OK.into_response());
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
