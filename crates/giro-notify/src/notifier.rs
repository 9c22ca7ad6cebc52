//! The notifier: a durable consumer (`giro-notify`) on the payout and charge events that turns
//! each status change into a [`Notification`], publishes it on `<prefix>.notify.v1.<kind>.<status>`
//! and queues one webhook delivery per subscription that wants it, before the event is
//! acknowledged. Each publish carries a `Nats-Msg-Id` derived from the event's id, so an event
//! delivered again (a crash between publishing and acknowledging) is not notified twice.
//!
//! Events are handled one at a time, in stream order: an order's notifications are published in
//! the order of its events.

use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, AckKind, consumer};
use bytes::Bytes;
use futures::StreamExt;
use giro_domain::charge::ChargeDecider;
use giro_domain::notification::Notification;
use giro_domain::payout::PayoutDecider;
use giro_domain::{Decider, Envelope, OrderId, OrderKind};
use giro_eventlog::EventLog;
use serde::Deserialize;

use crate::config::NotifyConfig;
use crate::error::Error;
use crate::streams::durable;

/// The notifier's durable consumer on the event stream.
pub const NOTIFIER_CONSUMER: &str = "giro-notify";

/// Header a queued webhook delivery carries: the notification's id, sent as `Giro-Webhook-Id`.
pub(crate) const WEBHOOK_ID_HEADER: &str = "Giro-Webhook-Id";

/// How long a delivery that could not be handled now waits before it is delivered again.
const RETRY: Duration = Duration::from_secs(1);

/// Opens the notifier's consumer on the payout and charge events.
pub(crate) async fn open(
    log: &EventLog,
) -> Result<consumer::Consumer<consumer::pull::Config>, Error> {
    let prefix = &log.config().prefix;
    let wanted = consumer::pull::Config {
        durable_name: Some(NOTIFIER_CONSUMER.to_string()),
        description: Some("Giro notifier: a notification per status change".into()),
        filter_subjects: vec![
            format!("{prefix}.evt.payout.>"),
            format!("{prefix}.evt.charge.>"),
        ],
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: Duration::from_secs(30),
        max_deliver: -1,
        // From the consumer's creation on: turning notifications on in a running system does
        // not send its whole history to every subscriber. Once created, the consumer keeps its
        // place across restarts, so nothing after that is missed.
        deliver_policy: consumer::DeliverPolicy::New,
        ..Default::default()
    };
    durable(
        log.context(),
        &log.config().stream,
        NOTIFIER_CONSUMER,
        wanted,
    )
    .await
}

/// Consumes until the task is aborted.
pub(crate) async fn run(
    log: EventLog,
    config: Arc<NotifyConfig>,
    consumer: consumer::Consumer<consumer::pull::Config>,
) {
    loop {
        let mut messages = match consumer.messages().await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "notifier cannot fetch events; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        while let Some(message) = messages.next().await {
            match message {
                Ok(message) => handle(&log, &config, &message).await,
                Err(e) => {
                    tracing::warn!(error = %e, "notifier's event stream interrupted; resuming");
                    break;
                }
            }
        }
    }
}

/// What the notifier reads of an event's body: which one of its order's events it is.
#[derive(Deserialize)]
struct Position {
    version: u64,
}

/// Handles one event; always acknowledges it or asks for it again.
async fn handle(log: &EventLog, config: &NotifyConfig, message: &jetstream::Message) {
    let outcome = match notification_of(log, message).await {
        Ok(None) => Ok(()),
        Ok(Some(notification)) => publish(log.context(), config, &notification).await,
        Err(Skip(reason)) => dead_letter(log.context(), config, message, &reason).await,
    };
    let ack = match outcome {
        Ok(()) => AckKind::Ack,
        Err(e) => {
            tracing::warn!(subject = %message.subject, error = %e, "notification not published; retrying");
            AckKind::Nak(Some(RETRY))
        }
    };
    if let Err(e) = message.ack_with(ack).await {
        tracing::warn!(error = %e, "notifier's acknowledgement lost; the event comes again");
    }
}

/// An event that can never be notified (not an order's event, an unreadable log): dead-lettered.
struct Skip(String);

/// The notification of the delivered event, if it changed its order's status (waiting, in
/// [`events`], while the order cannot be read up to the event).
async fn notification_of(
    log: &EventLog,
    message: &jetstream::Message,
) -> Result<Option<Notification>, Skip> {
    let mut tokens = message.subject.rsplit('.');
    let id: Option<OrderId> = tokens.next().and_then(|t| t.parse().ok());
    let kind = tokens.next();
    let (Some(id), Some(kind)) = (id, kind) else {
        return Err(Skip("the subject names no order".into()));
    };
    let version = serde_json::from_slice::<Position>(&message.payload)
        .map_err(|e| Skip(format!("the event has no version: {e}")))?
        .version;
    if kind == OrderKind::Payout.as_str() {
        let events = events::<PayoutDecider>(log, id, version).await?;
        Ok(changed::<PayoutDecider>(&events, |before, after, event| {
            Notification::of_payout(before.as_ref(), after.as_ref()?, event)
        }))
    } else if kind == OrderKind::Charge.as_str() {
        let events = events::<ChargeDecider>(log, id, version).await?;
        Ok(changed::<ChargeDecider>(&events, |before, after, event| {
            Notification::of_charge(before.as_ref(), after.as_ref()?, event)
        }))
    } else {
        Err(Skip(format!("no notifications for {kind} events")))
    }
}

/// The order's events up to version `version`. A log that cannot be read now is retried by
/// waiting here: the notifier keeps its order, and the event is not acknowledged meanwhile.
async fn events<D: Decider>(
    log: &EventLog,
    id: OrderId,
    version: u64,
) -> Result<Vec<Arc<Envelope<D::Event>>>, Skip> {
    loop {
        match log.load::<D>(id).await {
            Ok(loaded) if loaded.version() >= version => {
                let mut events = loaded.events;
                events.truncate(usize::try_from(version).unwrap_or(usize::MAX));
                return Ok(events);
            }
            Ok(_) => tracing::debug!(order = %id, version, "event not yet readable"),
            Err(giro_eventlog::Error::Corrupt {
                sequence, reason, ..
            }) => {
                return Err(Skip(format!(
                    "the order's log is unreadable at sequence {sequence}: {reason}"
                )));
            }
            Err(e) => tracing::warn!(order = %id, error = %e, "cannot read the order; retrying"),
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// The notification of the last of `events`, when it changed the order's status.
fn changed<D: Decider>(
    events: &[Arc<Envelope<D::Event>>],
    notify: impl Fn(&D::State, &D::State, &Envelope<D::Event>) -> Option<Notification>,
) -> Option<Notification> {
    let (last, earlier) = events.split_last()?;
    let before = D::fold(earlier.iter().map(|e| e.as_ref()));
    let after = D::evolve(before.clone(), last);
    notify(&before, &after, last)
}

/// Publishes the notification, then queues its webhook deliveries; each waits for JetStream's
/// acknowledgement.
async fn publish(
    js: &jetstream::Context,
    config: &NotifyConfig,
    notification: &Notification,
) -> Result<(), String> {
    let body = Bytes::from(serde_json::to_vec(notification).map_err(|e| e.to_string())?);
    let id = notification.id.to_string();
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", id.as_str());
    let subject = notification.subject(&config.log.prefix);
    stored(js, subject, headers, body.clone()).await?;
    giro_telemetry::metrics::notification(notification.kind.as_str(), &notification.status);
    for subscription in config.subscriptions.wanting(notification) {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("{id}.{}", subscription.id).as_str());
        headers.insert(WEBHOOK_ID_HEADER, id.as_str());
        let subject = config.webhook_subject(&subscription.id);
        stored(js, subject, headers, body.clone()).await?;
    }
    Ok(())
}

/// Keeps an event that can never be notified on `<prefix>.dlq.notify.<kind>` with the reason
/// (the event itself stays in the event stream); `Err` when the dead letter is not stored, so the
/// event comes again instead of being dropped.
async fn dead_letter(
    js: &jetstream::Context,
    config: &NotifyConfig,
    message: &jetstream::Message,
    reason: &str,
) -> Result<(), String> {
    tracing::error!(subject = %message.subject, %reason, "event not notified; dead-lettered");
    let kind = message.subject.split('.').nth(2).unwrap_or("unknown");
    let mut headers = HeaderMap::new();
    headers.insert("Giro-Dead-Letter-Reason", reason);
    headers.insert("Giro-Original-Subject", message.subject.as_str());
    if let Ok(info) = message.info() {
        headers.insert(
            "Giro-Original-Sequence",
            info.stream_sequence.to_string().as_str(),
        );
    }
    let subject = format!("{}.dlq.notify.{kind}", config.log.prefix);
    stored(js, subject, headers, message.payload.clone()).await?;
    giro_telemetry::metrics::dead_letter("notify", kind);
    Ok(())
}

/// Publishes and waits for the stream's acknowledgement.
pub(crate) async fn stored(
    js: &jetstream::Context,
    subject: String,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(), String> {
    js.publish_with_headers(subject, headers, body)
        .await
        .map_err(|e| e.to_string())?
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
