//! Webhook dead letters: deliveries whose endpoint did not take them within the retry horizon,
//! kept on `<prefix>.dlq.webhooks.<subscription>` in `<stream>_DLQ`. `giro webhooks dead-letters`
//! lists them; `giro webhooks replay <sequence>` queues one again (its retries start afresh) and
//! removes it from the dead letters.

use async_nats::HeaderMap;
use async_nats::jetstream::{self, stream::DirectGetErrorKind};
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::config::NotifyConfig;
use crate::error::Error;
use crate::notifier::{WEBHOOK_ID_HEADER, stored};

/// One dead-lettered delivery.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// Its sequence in `<stream>_DLQ`: what `replay` takes.
    pub sequence: u64,
    pub subscription: String,
    /// The notification's id (`Giro-Webhook-Id`).
    pub webhook_id: String,
    /// The last error (`Giro-Dead-Letter-Reason`).
    pub reason: String,
    pub attempts: u64,
    pub dead_lettered_at: DateTime<Utc>,
    /// The notification, as it was to be sent.
    pub body: Bytes,
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|v| v.as_str().to_string())
        .unwrap_or_default()
}

impl DeadLetter {
    fn of(config: &NotifyConfig, message: jetstream::message::StreamMessage) -> Option<Self> {
        let family = format!("{}.dlq.webhooks.", config.log.prefix);
        let subscription = message.subject.as_str().strip_prefix(&family)?.to_string();
        let at = message.time.unix_timestamp_nanos();
        Some(DeadLetter {
            sequence: message.sequence,
            subscription,
            webhook_id: header(&message.headers, WEBHOOK_ID_HEADER),
            reason: header(&message.headers, "Giro-Dead-Letter-Reason"),
            attempts: header(&message.headers, "Giro-Webhook-Attempts")
                .parse()
                .unwrap_or(0),
            dead_lettered_at: i64::try_from(at)
                .map(DateTime::from_timestamp_nanos)
                .unwrap_or_default(),
            body: message.payload,
        })
    }
}

async fn dead_letter_stream(
    js: &jetstream::Context,
    config: &NotifyConfig,
) -> Result<jetstream::stream::Stream, Error> {
    let name = config.log.dead_letter_stream();
    js.get_stream(&name)
        .await
        .map_err(|e| Error::nats(format!("opening stream {name}"), e))
}

/// Every webhook dead letter, oldest first.
pub async fn list(
    js: &jetstream::Context,
    config: &NotifyConfig,
) -> Result<Vec<DeadLetter>, Error> {
    let stream = dead_letter_stream(js, config).await?;
    let filter = format!("{}.dlq.webhooks.>", config.log.prefix);
    let mut found = Vec::new();
    let mut next = 1;
    loop {
        match stream
            .direct_get_next_for_subject(filter.as_str(), Some(next))
            .await
        {
            Ok(message) => {
                next = message.sequence + 1;
                found.extend(DeadLetter::of(config, message));
            }
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => return Ok(found),
            Err(e) => return Err(Error::nats("reading the webhook dead letters", e)),
        }
    }
}

/// Queues dead letter `sequence` for delivery again, then removes it from the dead letters.
pub async fn replay(
    js: &jetstream::Context,
    config: &NotifyConfig,
    sequence: u64,
) -> Result<DeadLetter, Error> {
    let stream = dead_letter_stream(js, config).await?;
    let message = match stream.direct_get(sequence).await {
        Ok(message) => message,
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => {
            return Err(Error::NoDeadLetter(sequence));
        }
        Err(e) => return Err(Error::nats(format!("reading dead letter {sequence}"), e)),
    };
    let dead = DeadLetter::of(config, message).ok_or(Error::NoDeadLetter(sequence))?;
    let mut headers = HeaderMap::new();
    // A replay retried at once (a lost answer) is queued once.
    headers.insert("Nats-Msg-Id", format!("replay.{sequence}").as_str());
    headers.insert(WEBHOOK_ID_HEADER, dead.webhook_id.as_str());
    let subject = config.webhook_subject(&dead.subscription);
    stored(js, subject, headers, dead.body.clone())
        .await
        .map_err(|e| Error::nats(format!("queueing dead letter {sequence} again"), e))?;
    stream
        .delete_message(sequence)
        .await
        .map_err(|e| Error::nats(format!("removing replayed dead letter {sequence}"), e))?;
    Ok(dead)
}
