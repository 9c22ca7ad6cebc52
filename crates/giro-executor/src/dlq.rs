//! Poison messages: an event the executor cannot handle is kept on a dead-letter subject with the
//! reason, counted, and terminated, so the consumer keeps going.

use std::sync::atomic::{AtomicU64, Ordering};

use async_nats::HeaderMap;
use async_nats::jetstream::{self, AckKind};

use crate::config::ExecutorConfig;

static DEAD_LETTERED: AtomicU64 = AtomicU64::new(0);

/// Messages dead-lettered by this process.
pub fn dead_lettered() -> u64 {
    DEAD_LETTERED.load(Ordering::Relaxed)
}

/// Stores the message with its reason on the dead-letter subject (kept by the `<stream>_DLQ`
/// stream) and terminates it. If the dead letter is not stored the message is left for
/// redelivery: nothing is dropped silently.
pub async fn dead_letter(
    js: &jetstream::Context,
    config: &ExecutorConfig,
    message: &jetstream::Message,
    reason: &str,
) {
    tracing::error!(subject = %message.subject, %reason, "dead-lettering an event");
    // The event's own headers travel with it, but not its append conditions: JetStream keeps
    // `Nats-Expected-*` on the stored event, and on the dead-letter subject they would refuse it.
    let mut headers = HeaderMap::new();
    for (name, values) in message.headers.iter().flat_map(|h| h.iter()) {
        if AsRef::<str>::as_ref(name).starts_with("Nats-Expected-") {
            continue;
        }
        for value in values {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.insert("Giro-Dead-Letter-Reason", reason);
    headers.insert("Giro-Original-Subject", message.subject.as_str());
    if let Ok(info) = message.info() {
        headers.insert(
            "Giro-Original-Sequence",
            info.stream_sequence.to_string().as_str(),
        );
    }
    let headers: HeaderMap = headers;
    let published = match js
        .publish_with_headers(
            config.dead_letter_subject(),
            headers,
            message.payload.clone(),
        )
        .await
    {
        Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match published {
        Ok(()) => {
            DEAD_LETTERED.fetch_add(1, Ordering::Relaxed);
            giro_telemetry::metrics::dead_letter("executor", config.provider.as_str());
            let _ = message.ack_with(AckKind::Term).await;
        }
        Err(e) => {
            tracing::error!(error = %e, "dead-letter publish failed; leaving the event for redelivery");
        }
    }
}
