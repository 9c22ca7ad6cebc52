//! Scheduled payouts sleep in JetStream until their `execute_at` (ADR-51 message schedules,
//! nats-server 2.12), not in a consumer's pending messages.
//!
//! A timer on an order's latest event (a `NAK` with a delay, see `runtime`) suits waits of
//! seconds to minutes: one message, cancelled in memory when the order moves on. A payout
//! scheduled for next month would hold that message pending for a month, and a payroll of them
//! would fill the consumer's `max_ack_pending`. So a scheduled payout's executor step stores a
//! schedule instead and acks the event:
//!
//! - `<prefix>.schedule.payout.<order_id>` in stream `<events stream>_SCHEDULES`, with
//!   `Nats-Schedule: @at <execute_at>` and `Nats-Schedule-Target: <prefix>.wake.payout.<order_id>`.
//!   The server keeps one schedule per subject (a new one rolls the old up), so setting it again
//!   after a redelivery or a restart changes nothing; `nats stream view` shows what is pending.
//! - At that time the server publishes the schedule's body to the wake subject and drops the
//!   schedule. The durable consumer `giro-wakes` (every executor process binds it) turns each wake
//!   into `PayoutCommand::Wake` on the order; its `payout.became_due` event then drives the
//!   payout like any requested one. A wake that comes early by the clocks' difference is looked
//!   at again a second later; a wake for a payout cancelled meanwhile changes nothing. A wake
//!   that has done its work is deleted, so the stream holds only what is still to come.
//! - Cancelling a scheduled payout removes its schedule (a purge of its subject).

use std::time::Duration;

use async_nats::jetstream::consumer::{self, pull};
use async_nats::jetstream::{self, AckKind, message::PublishMessage, stream};
use chrono::{DateTime, SecondsFormat, Utc};
use futures::StreamExt;
use giro_domain::payout::{PayoutCommand, PayoutDecider};
use giro_domain::{ErrorCode, EventMeta, OrderId, OrderKind};
use giro_eventlog::provision::{consumer_transient, provision, stream_transient};
use giro_eventlog::{Error, EventLog, ExecuteError};

/// The durable consumer of wakes, shared by every executor process.
pub const WAKES_CONSUMER: &str = "giro-wakes";

/// How many wakes are turned into commands at once (a payroll scheduled for one instant wakes
/// together).
const WAKES_AT_ONCE: usize = 32;

/// The schedules of one event log; cheap to clone.
#[derive(Clone)]
pub struct Wakes {
    js: jetstream::Context,
    stream: String,
    prefix: String,
}

impl std::fmt::Debug for Wakes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wakes")
            .field("stream", &self.stream)
            .finish()
    }
}

/// Where order `id`'s pending schedule is kept (`id` may be a wildcard).
pub fn schedule_subject(prefix: &str, kind: &str, id: &str) -> String {
    format!("{prefix}.schedule.{kind}.{id}")
}

/// Where the server publishes order `id`'s wake when its schedule is due.
pub fn wake_subject(prefix: &str, kind: &str, id: &str) -> String {
    format!("{prefix}.wake.{kind}.{id}")
}

/// The stream holding the schedules of the event stream `events`.
pub fn schedules_stream(events: &str) -> String {
    format!("{events}_SCHEDULES")
}

impl Wakes {
    /// Opens (creating or updating) the schedules stream of `log`'s event stream, on as many
    /// replicas.
    pub async fn open(log: &EventLog) -> Result<Self, Error> {
        let js = log.context().clone();
        let config = log.config();
        let name = schedules_stream(&config.stream);
        let prefix = config.prefix.clone();
        let stream_config = stream::Config {
            name: name.clone(),
            subjects: vec![format!("{prefix}.schedule.>"), format!("{prefix}.wake.>")],
            storage: stream::StorageType::File,
            num_replicas: config.replicas,
            allow_message_schedules: true,
            // Required by schedules: a schedule replaces the one before it on its subject.
            allow_rollup: true,
            description: Some(
                "Giro schedules: <prefix>.schedule.<kind>.<order> wakes <prefix>.wake.<kind>.<order>"
                    .into(),
            ),
            ..Default::default()
        };
        provision(&name, stream_transient, || {
            js.create_or_update_stream(stream_config.clone())
        })
        .await
        .map_err(|e| Error::Provision(e.to_string()))?;
        let stream = js
            .get_stream_no_info(&name)
            .await
            .map_err(|e| Error::Provision(e.to_string()))?;
        let consumer = consumer_config(&prefix);
        let mut consumer = provision(WAKES_CONSUMER, consumer_transient, || {
            stream.get_or_create_consumer(WAKES_CONSUMER, consumer.clone())
        })
        .await
        .map_err(|e| Error::Provision(e.to_string()))?;
        sweep_fired(&stream, &mut consumer, &prefix).await;
        Ok(Wakes {
            js,
            stream: name,
            prefix,
        })
    }

    fn schedule_subject(&self, kind: OrderKind, id: OrderId) -> String {
        schedule_subject(&self.prefix, kind.as_str(), &id.to_string())
    }

    fn wake_subject(&self, kind: OrderKind, id: OrderId) -> String {
        wake_subject(&self.prefix, kind.as_str(), &id.to_string())
    }

    /// Stores order `id`'s schedule: a wake at `at` (rounded up to the second, the schedule's
    /// precision, so it never comes before `at`). Setting it again replaces it.
    pub async fn set(&self, kind: OrderKind, id: OrderId, at: DateTime<Utc>) -> Result<(), Error> {
        let at = round_up_to_second(at);
        let when = at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let body = serde_json::json!({"kind": kind.as_str(), "order_id": id, "execute_at": when});
        let message = PublishMessage::build()
            .payload(body.to_string().into())
            .header("Nats-Schedule", format!("@at {when}"))
            .header("Nats-Schedule-Target", self.wake_subject(kind, id));
        let subject = self.schedule_subject(kind, id);
        let unavailable = |e: &dyn std::fmt::Display| Error::Unavailable(format!("{subject}: {e}"));
        let ack = self
            .js
            .send_publish(subject.clone(), message)
            .await
            .map_err(|e| unavailable(&e))?;
        ack.await.map_err(|e| unavailable(&e))?;
        Ok(())
    }

    /// Removes order `id`'s schedule, if it has one.
    pub async fn clear(&self, kind: OrderKind, id: OrderId) -> Result<(), Error> {
        let subject = self.schedule_subject(kind, id);
        let unavailable = |e: &dyn std::fmt::Display| Error::Unavailable(format!("{subject}: {e}"));
        let stream = self
            .js
            .get_stream_no_info(&self.stream)
            .await
            .map_err(|e| unavailable(&e))?;
        stream
            .purge()
            .filter(subject.clone())
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(())
    }

    /// Turns wakes into `Wake` commands on `log`, for as long as the task runs.
    pub async fn run(self, log: EventLog) {
        loop {
            match self.consume(&log).await {
                Ok(()) => tracing::warn!("the wakes consumer ended; opening it again"),
                Err(e) => {
                    tracing::warn!(error = %e, consumer = WAKES_CONSUMER, "scheduled payouts wait: the wakes consumer is unavailable")
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn consume(&self, log: &EventLog) -> Result<(), String> {
        let stream = self
            .js
            .get_stream_no_info(&self.stream)
            .await
            .map_err(|e| e.to_string())?;
        let config = consumer_config(&self.prefix);
        let consumer = provision(WAKES_CONSUMER, consumer_transient, || {
            stream.get_or_create_consumer(WAKES_CONSUMER, config.clone())
        })
        .await
        .map_err(|e| e.to_string())?;
        let messages = consumer.messages().await.map_err(|e| e.to_string())?;
        let stream = &stream;
        messages
            .for_each_concurrent(WAKES_AT_ONCE, |message| async move {
                match message {
                    Ok(message) => wake(log, stream, &message).await,
                    Err(e) => tracing::debug!(error = %e, "wakes consumer"),
                }
            })
            .await;
        Ok(())
    }
}

/// Deletes the wakes the consumer has acknowledged up to its ack floor: the ones versions before
/// the deletion of done wakes left behind, and any whose deletion failed. Best effort: a failure
/// is logged and start-up goes on.
async fn sweep_fired(
    stream: &stream::Stream<()>,
    consumer: &mut consumer::Consumer<pull::Config>,
    prefix: &str,
) {
    let floor = match consumer.info().await {
        Ok(info) => info.ack_floor.stream_sequence,
        Err(e) => {
            tracing::warn!(error = %e, consumer = WAKES_CONSUMER, "fired wakes not swept");
            return;
        }
    };
    if floor == 0 {
        return;
    }
    // A purge by sequence keeps the messages from that sequence on.
    match stream
        .purge()
        .filter(wake_subject(prefix, "*", "*"))
        .sequence(floor + 1)
        .await
    {
        Ok(purged) if purged.purged > 0 => {
            tracing::info!(
                wakes = purged.purged,
                "fired wakes swept from the schedules stream"
            )
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "fired wakes not swept"),
    }
}

/// The durable consumer of the wakes of `prefix`.
fn consumer_config(prefix: &str) -> pull::Config {
    pull::Config {
        durable_name: Some(WAKES_CONSUMER.into()),
        description: Some("Giro: scheduled orders whose time has come".into()),
        filter_subject: format!("{prefix}.wake.>"),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: Duration::from_secs(30),
        max_deliver: -1,
        deliver_policy: consumer::DeliverPolicy::All,
        ..Default::default()
    }
}

/// `at`, or the next whole second when it has a fraction.
fn round_up_to_second(at: DateTime<Utc>) -> DateTime<Utc> {
    let whole = at.timestamp();
    let whole = if at.timestamp_subsec_nanos() > 0 {
        whole + 1
    } else {
        whole
    };
    DateTime::from_timestamp(whole, 0).unwrap_or(at)
}

/// The order a wake names: `<prefix>.wake.<kind>.<order_id>`.
fn woken(subject: &str) -> Option<(OrderKind, OrderId)> {
    let mut tokens = subject.rsplit('.');
    let id = tokens.next()?.parse().ok()?;
    let kind = match tokens.next()? {
        "payout" => OrderKind::Payout,
        _ => return None,
    };
    Some((kind, id))
}

/// One wake: the order becomes due. Done once that is recorded or moot; looked at again later
/// when the log is unavailable or the wake came early.
async fn wake(log: &EventLog, stream: &stream::Stream<()>, message: &jetstream::Message) {
    let Some((_, id)) = woken(message.subject.as_str()) else {
        tracing::warn!(subject = %message.subject, "a wake that names no payout; dropped");
        done(stream, message).await;
        return;
    };
    let meta = EventMeta {
        correlation_id: id.to_string(),
        causation_id: None,
    };
    let command = PayoutCommand::Wake;
    let next = match log
        .execute::<PayoutDecider>(id, &command, &meta, false)
        .await
    {
        Ok(_) => {
            tracing::info!(order_id = %id, "scheduled payout is due");
            return done(stream, message).await;
        }
        Err(ExecuteError::Rejected(r)) if r.code == ErrorCode::InvalidState => {
            tracing::info!(order_id = %id, reason = %r, "a wake came before its time; looking again in a second");
            AckKind::Nak(Some(Duration::from_secs(1)))
        }
        Err(ExecuteError::Rejected(r)) => {
            tracing::warn!(order_id = %id, reason = %r, "a wake for an order that cannot become due; dropped");
            return done(stream, message).await;
        }
        Err(ExecuteError::Log(e)) => {
            tracing::warn!(order_id = %id, error = %e, "scheduled payout not made due yet");
            AckKind::Nak(Some(Duration::from_secs(2)))
        }
    };
    ack(message, next).await;
}

/// A wake that has done its work: acked, then deleted from the schedules stream, which would
/// otherwise keep one fired wake per scheduled payout for ever. A wake whose deletion fails stays
/// behind, acked (never delivered again), and the failure is logged.
async fn done(stream: &stream::Stream<()>, message: &jetstream::Message) {
    ack(message, AckKind::Ack).await;
    let Ok(info) = message.info() else {
        return;
    };
    let sequence = info.stream_sequence;
    if let Err(e) = stream.delete_message(sequence).await {
        tracing::warn!(error = %e, subject = %message.subject, sequence, "a fired wake could not be deleted from the schedules stream");
    }
}

async fn ack(message: &jetstream::Message, kind: AckKind) {
    if let Err(e) = message.ack_with(kind).await {
        tracing::debug!(error = %e, "wake not acked; it will come again");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_never_comes_before_its_time() {
        let at = DateTime::parse_from_rfc3339("2027-01-15T09:00:00.250Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            round_up_to_second(at).to_rfc3339(),
            "2027-01-15T09:00:01+00:00"
        );
        let whole = at - chrono::TimeDelta::milliseconds(250);
        assert_eq!(round_up_to_second(whole), whole);
    }

    #[test]
    fn a_wake_names_its_order_by_its_subject() {
        let id = OrderId::from_uuid(uuid::Uuid::new_v4());
        let woke = woken(&wake_subject("giro", "payout", &id.to_string()));
        assert_eq!(woke, Some((OrderKind::Payout, id)));
        assert_eq!(
            woken(&wake_subject("giro", "charge", &id.to_string())),
            None
        );
        assert_eq!(woken(&wake_subject("giro", "payout", "not-an-id")), None);
    }
}
