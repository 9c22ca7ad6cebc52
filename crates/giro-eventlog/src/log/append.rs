//! Appending events to an order's subject, each publish naming the sequence it expects to follow.

use async_nats::HeaderMap;
use async_nats::jetstream::{context::PublishErrorKind, message::PublishMessage};
use chrono::{DateTime, Utc};
use giro_domain::seal::{Sealing, with_sealing};
use giro_domain::{Envelope, EventId, EventMeta, EventType, OrderId};
use serde::Serialize;
use tracing::Instrument;

use super::EventLog;
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

    /// [`EventLog::append`], with the trace headers stored with the last event.
    pub(super) async fn append_traced<E: Serialize + EventType + Clone>(
        &self,
        subject: &str,
        id: OrderId,
        tail: Tail,
        events: Vec<(E, Option<String>)>,
        meta: &EventMeta,
        now: DateTime<Utc>,
    ) -> Result<(Appended<E>, Option<HeaderMap>), Error> {
        let mut trace = None;
        let sealing = if tail.version == 0 {
            Some(self.keys.create(subject).await?)
        } else {
            self.keys.sealing(subject).await?
        };
        let mut expected = tail.last_sequence;
        let first_version = tail.version + 1;
        let mut stored = Vec::with_capacity(events.len());
        // The step that decided these events fails, in its trace, when one records a failure.
        let failure = events
            .iter()
            .find(|(e, _)| e.is_failure())
            .map(|(e, _)| e.event_type());
        if let Some(event_type) = failure {
            giro_telemetry::trace::fail(&tracing::Span::current(), event_type, event_type);
        }
        // One producer span for the decision's events; the consumers continue its trace.
        let span = tracing::info_span!(
            "eventlog.append",
            otel.name = %format_args!("send {}", self.config.stream),
            otel.kind = "producer",
            messaging.system = "nats",
            messaging.operation.type = "send",
            messaging.operation.name = "publish",
            messaging.destination.name = %subject,
            messaging.batch.message_count = events.len(),
            order_id = %id,
        );
        async {
            for (i, (event, route)) in events.into_iter().enumerate() {
                let envelope = Envelope {
                    id: EventId::new(),
                    event,
                    order_id: id,
                    version: first_version + i as u64,
                    at: now,
                    meta: meta.clone(),
                };
                (expected, trace) = self
                    .publish(
                        subject,
                        expected,
                        &envelope,
                        route.as_deref(),
                        sealing.as_ref(),
                    )
                    .await
                    .inspect_err(|e| {
                        giro_telemetry::trace::fail(
                            &tracing::Span::current(),
                            e.kind(),
                            e.to_string(),
                        )
                    })?;
                stored.push(envelope);
            }
            Ok::<_, Error>(())
        }
        .instrument(span)
        .await?;
        Ok((
            Appended {
                events: stored,
                last_sequence: expected,
            },
            trace,
        ))
    }

    async fn publish<E: Serialize + EventType>(
        &self,
        subject: &str,
        expected: u64,
        envelope: &Envelope<E>,
        route: Option<&str>,
        sealing: Option<&Sealing>,
    ) -> Result<(u64, Option<HeaderMap>), Error> {
        let encode = || serde_json::to_vec(envelope);
        let payload = match sealing {
            Some(sealing) => with_sealing(sealing, envelope.order_id.as_uuid(), encode),
            None => encode(),
        }
        .map_err(|e| Error::Unavailable(format!("encoding an event: {e}")))?;
        let mut headers = HeaderMap::new();
        headers.insert(EVENT_TYPE_HEADER, envelope.event.event_type());
        if let Some(provider) = route {
            headers.insert(PROVIDER_HEADER, provider);
        }
        trace::inject(&mut headers);
        let trace = trace_headers(&headers);
        let message = PublishMessage::build()
            .payload(payload.into())
            .headers(headers)
            .message_id(envelope.id.to_string())
            .expected_last_subject_sequence(expected);
        let unavailable = |e: &dyn std::fmt::Display| Error::Unavailable(format!("{subject}: {e}"));
        let ack = self
            .js
            .send_publish(subject.to_string(), message)
            .await
            .map_err(|e| unavailable(&e))?;
        match ack.await {
            Ok(ack) => {
                let event_type = envelope.event.event_type();
                let kind = event_type.split('.').next().unwrap_or(event_type);
                giro_telemetry::metrics::event_appended(kind, event_type);
                Ok((ack.sequence, trace))
            }
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => {
                Err(Error::Conflict { expected })
            }
            Err(e) => Err(unavailable(&e)),
        }
    }
}
