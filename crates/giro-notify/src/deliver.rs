//! The webhook deliverer: a durable consumer (`giro-webhooks`) on the work queue
//! `<stream>_WEBHOOKS` that POSTs each queued notification to its subscription's URL, signed.
//! A 2xx answer removes it from the queue; anything else (another status, no answer) asks
//! JetStream to deliver it again after the policy's back-off, so a delivery waits in the stream,
//! surviving restarts; once the retry horizon has passed since it was queued, it is moved to the
//! dead-letter subject `<prefix>.dlq.webhooks.<subscription>` with the last error, from where
//! `giro webhooks replay` queues it again.

use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, AckKind, consumer};
use futures::StreamExt;
use tokio::sync::Semaphore;

use crate::config::NotifyConfig;
use crate::error::Error;
use crate::notifier::{WEBHOOK_ID_HEADER, stored};
use crate::sign::signature_header;
use crate::streams::durable;
use crate::subscriptions::Subscription;

/// The deliverer's durable consumer on the webhook work queue.
pub const DELIVERER_CONSUMER: &str = "giro-webhooks";

/// Webhook calls in flight at once per process.
const IN_FLIGHT: usize = 32;

/// Opens the deliverer's consumer; a delivery is given back to the queue when an instance dies
/// holding it longer than a call may take.
pub(crate) async fn open(
    js: &jetstream::Context,
    config: &NotifyConfig,
) -> Result<consumer::Consumer<consumer::pull::Config>, Error> {
    let wanted = consumer::pull::Config {
        durable_name: Some(DELIVERER_CONSUMER.to_string()),
        description: Some("Giro webhook deliverer".into()),
        filter_subject: format!("{}.webhook.>", config.log.prefix),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: config.http_timeout + Duration::from_secs(20),
        max_deliver: -1,
        max_ack_pending: 100_000,
        ..Default::default()
    };
    durable(js, &config.webhook_stream(), DELIVERER_CONSUMER, wanted).await
}

/// Delivers until the task is aborted.
pub(crate) async fn run(
    js: jetstream::Context,
    config: Arc<NotifyConfig>,
    http: reqwest::Client,
    consumer: consumer::Consumer<consumer::pull::Config>,
) {
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        let mut messages = match consumer.messages().await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "webhook deliverer cannot fetch; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        while let Some(message) = messages.next().await {
            let message = match message {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook queue interrupted; resuming");
                    break;
                }
            };
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let (js, config, http) = (js.clone(), config.clone(), http.clone());
            tokio::spawn(async move {
                handle(&js, &config, &http, message).await;
                drop(permit);
            });
        }
    }
}

/// One attempt of one delivery; always acknowledges, delays or dead-letters it.
async fn handle(
    js: &jetstream::Context,
    config: &NotifyConfig,
    http: &reqwest::Client,
    message: jetstream::Message,
) {
    let id = message.subject.rsplit('.').next().unwrap_or_default();
    let Some(subscription) = config.subscriptions.get(id) else {
        let reason = format!("no webhook subscription {id:?} is configured");
        dead_letter(js, config, id, &message, 0, &reason).await;
        return;
    };
    let (attempt, queued_nanos) = match message.info() {
        Ok(info) => (
            u64::try_from(info.delivered).unwrap_or(1).max(1),
            info.published.unix_timestamp_nanos(),
        ),
        Err(e) => {
            let reason = format!("no JetStream metadata: {e}");
            dead_letter(js, config, id, &message, 0, &reason).await;
            return;
        }
    };
    let webhook_id = message
        .headers
        .as_ref()
        .and_then(|h| h.get(WEBHOOK_ID_HEADER))
        .map(|v| v.as_str().to_string())
        .unwrap_or_default();
    match post(http, subscription, &webhook_id, attempt, &message.payload).await {
        Ok(()) => {
            giro_telemetry::metrics::webhook_delivery(id, "delivered");
            tracing::info!(subscription = %id, webhook = %webhook_id, attempt, "webhook delivered");
            if let Err(e) = message.ack().await {
                tracing::warn!(error = %e, "webhook acknowledgement lost; it may be sent again");
            }
        }
        Err(reason) => {
            let now = chrono::Utc::now()
                .timestamp_nanos_opt()
                .map_or(i128::MAX, i128::from);
            let waited = Duration::from_nanos(u64::try_from(now - queued_nanos).unwrap_or(0));
            if waited >= config.retry.horizon {
                dead_letter(js, config, id, &message, attempt, &reason).await;
                return;
            }
            let delay = config.retry.delay(attempt);
            giro_telemetry::metrics::webhook_delivery(id, "retried");
            tracing::warn!(subscription = %id, webhook = %webhook_id, attempt, %reason,
                retry_in_secs = delay.as_secs_f64(), "webhook not delivered; tried again later");
            if let Err(e) = message.ack_with(AckKind::Nak(Some(delay))).await {
                tracing::warn!(error = %e, "webhook retry not scheduled; it comes after ack_wait");
            }
        }
    }
}

/// POSTs the notification with its signature; `Err` says why it was not delivered.
async fn post(
    http: &reqwest::Client,
    subscription: &Subscription,
    webhook_id: &str,
    attempt: u64,
    body: &[u8],
) -> Result<(), String> {
    let timestamp = chrono::Utc::now().timestamp();
    let signature = signature_header(subscription.secret.expose().as_bytes(), timestamp, body);
    let answer = http
        .post(subscription.url.clone())
        .header("Content-Type", "application/json")
        .header("Giro-Webhook-Id", webhook_id)
        .header("Giro-Webhook-Attempt", attempt.to_string())
        .header("Giro-Signature", signature)
        .body(body.to_vec())
        .send()
        .await
        // Without the URL: it may carry a token of the subscriber's.
        .map_err(|e| format!("no answer: {}", e.without_url()))?;
    let status = answer.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("answered HTTP {}", status.as_u16()))
    }
}

/// Moves the delivery to `<prefix>.dlq.webhooks.<subscription>` with why and how often it was
/// tried, then removes it from the queue; if the dead letter is not stored, it stays queued.
async fn dead_letter(
    js: &jetstream::Context,
    config: &NotifyConfig,
    subscription: &str,
    message: &jetstream::Message,
    attempts: u64,
    reason: &str,
) {
    let mut headers = HeaderMap::new();
    if let Some(id) = message
        .headers
        .as_ref()
        .and_then(|h| h.get(WEBHOOK_ID_HEADER))
    {
        headers.insert(WEBHOOK_ID_HEADER, id.as_str());
    }
    headers.insert("Giro-Dead-Letter-Reason", reason);
    headers.insert("Giro-Original-Subject", message.subject.as_str());
    headers.insert("Giro-Webhook-Attempts", attempts.to_string().as_str());
    let subject = config.dead_letter_subject(subscription);
    match stored(js, subject, headers, message.payload.clone()).await {
        Ok(()) => {
            giro_telemetry::metrics::dead_letter("webhooks", subscription);
            giro_telemetry::metrics::webhook_delivery(subscription, "dead_lettered");
            tracing::error!(%subscription, %reason, attempts, "webhook dead-lettered");
            let _ = message.ack().await;
        }
        Err(e) => {
            tracing::error!(error = %e, "webhook dead letter not stored; the delivery stays queued");
            let _ = message
                .ack_with(AckKind::Nak(Some(Duration::from_secs(5))))
                .await;
        }
    }
}
