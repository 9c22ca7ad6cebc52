//! Timers on orders: a NAK with a delay on the order's latest event, cancelled as soon as the
//! order moves on (see [`Timers`]); a long timer's NAK is only sent once the order has not moved
//! on for half the consumer's ack wait (see [`Timers::set`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::Subject;
use async_nats::jetstream::{self, AckKind};
use futures::StreamExt;
use giro_domain::OrderId;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::consumer::ack;

/// The timers this instance has set, by order: the ack subject of the message each waits on, so
/// that a timer is cancelled as soon as its order moves on instead of staying pending for its
/// whole delay. A timer is JetStream's redelivery of an unacknowledged message; acking the
/// message after its `NAK` takes it off the consumer's pending list.
///
/// Only the instance that received a message can ack it, and an order's next event may go to
/// another instance of the same consumer. So the instances of one consumer tell each other on
/// `<prefix>.executor.timers.<consumer>` (core NATS, nothing stored) which orders moved on: each
/// says it is there every few seconds, and once an instance has heard another it announces every
/// event it handles that some instance may have been waiting on. An instance alone (the usual
/// `giro up`, or one executor per provider) announces nothing.
pub(super) struct Timers {
    client: async_nats::Client,
    subject: Subject,
    /// This instance, in the announcements: its own are skipped when they come back.
    me: String,
    set: Mutex<HashMap<OrderId, Timer>>,
    /// When another instance of the consumer was last heard from.
    heard: Mutex<Option<std::time::Instant>>,
    /// Long timers whose NAK waits (see [`Timers::set`]), in the order they are due.
    deferred: mpsc::UnboundedSender<Deferred>,
    /// How long a long timer's NAK waits for its order to move on: half the ack wait.
    defer: Duration,
}

/// A long timer's NAK, not sent yet: due at `due`, on order `id`'s event at `sequence` (acked
/// through `reply`), asking for redelivery `then` later.
pub(super) struct Deferred {
    due: Instant,
    id: OrderId,
    sequence: u64,
    reply: Subject,
    then: Duration,
}

/// The timers waiting to be NAKed, for [`Timers::arm`].
pub(super) struct Deferrals(mpsc::UnboundedReceiver<Deferred>);

/// Where the instances of consumer `consumer` tell each other they are there and which orders
/// moved on (core NATS: `<prefix>.executor.timers.<consumer>`).
pub fn timers_subject(prefix: &str, consumer: &str) -> String {
    format!("{prefix}.executor.timers.{consumer}")
}

/// How often an instance says it is there, and how long after the last word from another it
/// keeps announcing.
const TIMERS_HEARTBEAT: Duration = Duration::from_secs(5);
const TIMERS_COMPANY: Duration = Duration::from_secs(20);

/// How long word that an order moved on elsewhere is kept: longer than a step takes (a provider
/// call times out well within it), so that a step on the order's older event, still running
/// here when the word came, sets no timer when it ends.
const MOVED_ON_KEPT: Duration = Duration::from_secs(30);

/// What this instance knows about an order's timer.
enum Timer {
    /// Set here on the event at this stream sequence; acked through this subject.
    Set(u64, Subject),
    /// Another instance handled the order's event at this sequence (heard at that instant).
    MovedOn(u64, std::time::Instant),
}

impl Timer {
    fn sequence(&self) -> u64 {
        match self {
            Timer::Set(sequence, _) | Timer::MovedOn(sequence, _) => *sequence,
        }
    }
}

impl Timers {
    /// The timers of the instance of `consumer` (whose ack wait is `ack_wait`) on `client`, and
    /// the queue of their deferred NAKs, for [`Timers::arm`].
    pub(super) fn new(
        client: async_nats::Client,
        prefix: &str,
        consumer: &str,
        ack_wait: Duration,
    ) -> (Self, Deferrals) {
        let (deferred, deferrals) = mpsc::unbounded_channel();
        let timers = Timers {
            client,
            subject: Subject::from(timers_subject(prefix, consumer)),
            me: uuid::Uuid::new_v4().simple().to_string(),
            set: Mutex::new(HashMap::new()),
            heard: Mutex::new(None),
            deferred,
            defer: ack_wait / 2,
        };
        (timers, Deferrals(deferrals))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OrderId, Timer>> {
        self.set.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether another instance of the consumer was heard from lately.
    fn in_company(&self) -> bool {
        let heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        heard.is_some_and(|at| at.elapsed() < TIMERS_COMPANY)
    }

    /// Order `id`'s event at stream `sequence` is being handled: a timer set here on an older
    /// event of the order is cancelled, and one set on this very event is forgotten (it fired).
    /// When the order may have waited on an earlier event (`followed`), the other instances are
    /// told, in case one of theirs was on it.
    pub(super) async fn delivered(&self, id: OrderId, sequence: u64, followed: bool) {
        if let Some(reply) = self.take_older(id, sequence) {
            self.cancel(reply).await;
        }
        if followed && self.in_company() {
            let word = format!("{} {id} {sequence}", self.me);
            if let Err(e) = self.client.publish(self.subject.clone(), word.into()).await {
                tracing::debug!(error = %e, "could not tell the other instances an order moved on");
            }
        }
    }

    /// Removes what is known of order `id`'s timer when it is about an event at or before
    /// `sequence`; returns the ack subject of a timer set here on an older one (to be cancelled).
    fn take_older(&self, id: OrderId, sequence: u64) -> Option<Subject> {
        let mut set = self.lock();
        if set.get(&id).is_none_or(|timer| timer.sequence() > sequence) {
            return None;
        }
        match set.remove(&id) {
            Some(Timer::Set(timer, reply)) if timer < sequence => Some(reply),
            _ => None,
        }
    }

    /// Another instance handled order `id`'s event at `sequence`: a timer set here on an older
    /// event is cancelled (returned), and the word is kept for a step still running here.
    fn moved_on_elsewhere(&self, id: OrderId, sequence: u64) -> Option<Subject> {
        let mut set = self.lock();
        if set
            .get(&id)
            .is_some_and(|timer| timer.sequence() >= sequence)
        {
            return None;
        }
        let word = Timer::MovedOn(sequence, std::time::Instant::now());
        match set.insert(id, word) {
            Some(Timer::Set(_, reply)) => Some(reply),
            _ => None,
        }
    }

    /// Forgets word of orders that moved on elsewhere once no step can still need it.
    fn forget_old_words(&self) {
        self.lock().retain(|_, timer| match timer {
            Timer::Set(..) => true,
            Timer::MovedOn(_, at) => at.elapsed() < MOVED_ON_KEPT,
        });
    }

    /// Sets a timer of `delay` on `message`, order `id`'s event at `sequence`, unless the order
    /// has moved on (`moved_on`, or a timer set here on a newer event): then the message is
    /// acked. Deciding under the lock that `delivered` takes closes the race with a newer event
    /// handled at the same time: either it finds this timer and cancels it, or this finds it.
    ///
    /// A timer longer than half the ack wait sends its NAK only after that half, and only if the
    /// order has not moved on by then: until then the unacknowledged message is itself the
    /// timer. Most orders move on within seconds (the provider's webhook), so their timer costs
    /// no message at all, only the ack that cancels it. Should this instance stop before the NAK
    /// is sent, the message comes back once the ack wait passes, earlier than its delay; a
    /// redelivery is checked against the log, and a poll not yet due waits what is left.
    pub(super) async fn set(
        &self,
        id: OrderId,
        sequence: u64,
        message: &jetstream::Message,
        delay: Duration,
        moved_on: impl FnOnce() -> bool,
    ) {
        let (kind, replaced) = {
            let mut set = self.lock();
            let newer = set
                .get(&id)
                .is_some_and(|timer| timer.sequence() > sequence);
            match &message.reply {
                _ if newer || moved_on() => (AckKind::Ack, None),
                Some(reply) => match set.insert(id, Timer::Set(sequence, reply.clone())) {
                    Some(Timer::Set(older, reply)) if older != sequence => {
                        (AckKind::Nak(Some(delay)), Some(reply))
                    }
                    _ => (AckKind::Nak(Some(delay)), None),
                },
                None => (AckKind::Nak(Some(delay)), None),
            }
        };
        if let Some(reply) = replaced {
            self.cancel(reply).await;
        }
        if let (AckKind::Nak(Some(delay)), Some(reply)) = (kind, &message.reply)
            && delay > self.defer
        {
            let deferred = Deferred {
                due: Instant::now() + self.defer,
                id,
                sequence,
                reply: reply.clone(),
                then: delay - self.defer,
            };
            // Refused only once `arm` has ended (the instance is stopping): NAKed at once then.
            if self.deferred.send(deferred).is_ok() {
                return;
            }
        }
        ack(message, kind).await;
    }

    /// Sends each deferred NAK when it is due, unless its order has moved on meanwhile (its
    /// timer cancelled or replaced). They are due in the order they were deferred: each waits
    /// the same half ack wait.
    pub(super) async fn arm(self: Arc<Self>, Deferrals(mut deferrals): Deferrals) {
        while let Some(timer) = deferrals.recv().await {
            tokio::time::sleep_until(timer.due).await;
            let waiting = matches!(
                self.lock().get(&timer.id),
                Some(Timer::Set(sequence, reply)) if *sequence == timer.sequence && *reply == timer.reply
            );
            if !waiting {
                continue;
            }
            let nak = AckKind::Nak(Some(timer.then));
            if let Err(e) = self.client.publish(timer.reply, nak.into()).await {
                tracing::debug!(error = %e, "timer not set; the message comes back after the ack wait");
            }
        }
    }

    /// Acks the message a timer waits on: its order has moved on.
    async fn cancel(&self, reply: Subject) {
        if let Err(e) = self.client.publish(reply, AckKind::Ack.into()).await {
            tracing::debug!(error = %e, "timer not cancelled; it will be acked when it fires");
        }
    }

    /// Says this instance is there every few seconds, and cancels the timers of orders other
    /// instances say moved on. Without the subscription, timers whose orders move on elsewhere
    /// are acked when they fire.
    pub(super) async fn listen(self: Arc<Self>) {
        let mut words = match self.client.subscribe(self.subject.clone()).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, subject = %self.subject, "cannot hear the other executor instances; timers of orders that move on elsewhere wait until they fire");
                return;
            }
        };
        let mut heartbeat = tokio::time::interval(TIMERS_HEARTBEAT);
        loop {
            tokio::select! {
                _ = heartbeat.tick() => {
                    self.say_here().await;
                    self.forget_old_words();
                }
                word = words.next() => {
                    let Some(word) = word else { return };
                    self.heard_from(&word.payload).await;
                }
            }
        }
    }

    async fn say_here(&self) {
        let word = self.me.clone();
        if let Err(e) = self.client.publish(self.subject.clone(), word.into()).await {
            tracing::debug!(error = %e, "could not tell the other instances this one is there");
        }
    }

    /// One word from an instance: `<instance>` (it is there) or `<instance> <order> <sequence>`
    /// (the order's event at that sequence was handled there).
    async fn heard_from(&self, word: &[u8]) {
        let Ok(word) = std::str::from_utf8(word) else {
            return;
        };
        let mut parts = word.split(' ');
        if parts.next().is_none_or(|who| who == self.me) {
            return;
        }
        let newcomer = !self.in_company();
        *self.heard.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
        if newcomer {
            // Answer at once, so that an instance that just started hears this one too.
            self.say_here().await;
        }
        let id = parts.next().and_then(|id| id.parse::<OrderId>().ok());
        let sequence = parts.next().and_then(|s| s.parse::<u64>().ok());
        if let (Some(id), Some(sequence)) = (id, sequence)
            && let Some(reply) = self.moved_on_elsewhere(id, sequence)
        {
            self.cancel(reply).await;
        }
    }
}
