//! Appending events to an order's subject: one decision is one publish or one atomic batch, naming
//! the sequence it expects to follow.

use async_nats::HeaderMap;
use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use chrono::{DateTime, Utc};
use giro_domain::{Envelope, EventId, EventMeta, EventType, OrderId};
use serde::Serialize;

use super::EventLog;
use super::batch::{BATCH_DUPLICATE_MSG_ID, Batch, EXPECTED_LAST_SUBJECT_SEQUENCE, MSG_ID, Step};
use super::order::{Appended, Tail, trace_headers};
use crate::error::Error;
use crate::{EVENT_TYPE_HEADER, PROVIDER_HEADER, trace};

impl EventLog {
    /// Appends events after `tail` (the order's log as loaded), numbering them on from its
    /// version. On a lost race returns [`Error::Conflict`] having stored nothing; a multi-event
    /// append that loses a race midway leaves the stored prefix, which the next decision sees.
    pub async fn append<E: Serialize + EventType + Clone>(
        &self,
        subject: &str,
        id: OrderId,
        tail: Tail,
        events: Vec<(E, Option<String>)>,
        meta: &EventMeta,
        now: DateTime<Utc>,
    ) -> Result<Appended<E>, Error> {
        Ok(self
            .append_traced(subject, id, tail, events, meta, now)
            .await?
            .0)
    }

    /// [`EventLog::append`], with the trace headers stored with the last event. One event is one
    /// publish; several are one atomic batch (NATS 2.12, ADR-50) whose first message names the
    /// sequence it expects to follow: all of them are stored or none is, so a crash or a lost race
    /// never leaves half a decision in the log.
    pub(super) async fn append_traced<E: Serialize + EventType + Clone>(
        &self,
        subject: &str,
        id: OrderId,
        tail: Tail,
        events: Vec<(E, Option<String>)>,
        meta: &EventMeta,
        now: DateTime<Utc>,
    ) -> Result<(Appended<E>, Option<HeaderMap>), Error> {
        let first_version = tail.version + 1;
        let stored: Vec<(Envelope<E>, Option<String>)> = events
            .into_iter()
            .enumerate()
            .map(|(i, (event, route))| {
                let envelope = Envelope {
                    id: EventId::new(),
                    event,
                    order_id: id,
                    version: first_version + i as u64,
                    at: now,
                    meta: meta.clone(),
                };
                (envelope, route)
            })
            .collect();
        let batch = Batch::for_events(stored.len());
        let mut trace = None;
        let mut last_sequence = tail.last_sequence;
        for (i, (envelope, route)) in stored.iter().enumerate() {
            let mut headers = event_headers(envelope, route.as_deref());
            trace = trace_headers(&headers);
            if i == 0 {
                headers.insert(
                    EXPECTED_LAST_SUBJECT_SEQUENCE,
                    tail.last_sequence.to_string(),
                );
            }
            let payload = serde_json::to_vec(envelope)
                .map_err(|e| Error::Unavailable(format!("encoding an event: {e}")))?;
            match batch.mark(&mut headers, i) {
                Step::Staged => self.stage(subject, headers, payload).await?,
                Step::Commit => {
                    last_sequence = self
                        .commit(subject, tail.last_sequence, headers, payload)
                        .await?;
                }
            }
        }
        for (envelope, _) in &stored {
            let event_type = envelope.event.event_type();
            let kind = event_type.split('.').next().unwrap_or(event_type);
            giro_telemetry::metrics::event_appended(kind, event_type);
        }
        Ok((
            Appended {
                events: stored.into_iter().map(|(e, _)| e).collect(),
                last_sequence,
            },
            trace,
        ))
    }

    /// Sends a message of a batch that is not its last: the server holds it until the commit
    /// (and drops the batch if the commit never comes).
    async fn stage(
        &self,
        subject: &str,
        headers: HeaderMap,
        payload: Vec<u8>,
    ) -> Result<(), Error> {
        self.js
            .client()
            .publish_with_headers(subject.to_string(), headers, payload.into())
            .await
            .map_err(|e| Error::Unavailable(format!("{subject}: {e}")))
    }

    /// Sends the message that stores the append (a lone event, or a batch's last) and waits for
    /// JetStream's acknowledgement: the stream sequence of the last event stored.
    async fn commit(
        &self,
        subject: &str,
        expected: u64,
        headers: HeaderMap,
        payload: Vec<u8>,
    ) -> Result<u64, Error> {
        let message = PublishMessage::build()
            .payload(payload.into())
            .headers(headers);
        let unavailable = |e: &dyn std::fmt::Display| Error::Unavailable(format!("{subject}: {e}"));
        let ack = self
            .js
            .send_publish(subject.to_string(), message)
            .await
            .map_err(|e| unavailable(&e))?;
        match ack.await {
            Ok(ack) => Ok(ack.sequence),
            Err(e) if lost_race(&e) => Err(Error::Conflict { expected }),
            Err(e) => Err(unavailable(&e)),
        }
    }
}

/// The headers of an event's message: its type, its id (JetStream de-duplicates a retried
/// append), the instance it is routed to and the trace context.
fn event_headers<E: Serialize + EventType>(
    envelope: &Envelope<E>,
    route: Option<&str>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(EVENT_TYPE_HEADER, envelope.event.event_type());
    headers.insert(MSG_ID, envelope.id.to_string());
    if let Some(provider) = route {
        headers.insert(PROVIDER_HEADER, provider);
    }
    trace::inject(&mut headers);
    headers
}

/// Whether JetStream refused the append because the order's subject moved on: a stale expected
/// sequence, or (for a batch sent again after its acknowledgement was lost) an event id it has
/// already stored.
fn lost_race(e: &PublishError) -> bool {
    if e.kind() == PublishErrorKind::WrongLastSequence {
        return true;
    }
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<async_nats::jetstream::Error>())
        .is_some_and(|api| api.error_code().0 == BATCH_DUPLICATE_MSG_ID)
}
