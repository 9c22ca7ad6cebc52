//! Reading orders: from the start, on from what the process has cached, or from a delivered
//! event's own message when it follows on from the cache.

use async_nats::HeaderMap;
use async_nats::jetstream::stream;
use giro_domain::seal::{Sealing, with_sealing};
use giro_domain::{Decider, Envelope, OrderId, Upcast};
use serde::de::DeserializeOwned;

use super::EventLog;
use super::order::{Delivered, Loaded};
use crate::error::Error;

impl EventLog {
    /// Loads an order's events, oldest first, and folds them into its state.
    pub async fn load<D: Decider>(&self, id: OrderId) -> Result<Loaded<D>, Error> {
        let subject = self.subject::<D>(id);
        let cached = self
            .cache
            .get::<D>(&subject)
            .unwrap_or_else(Loaded::<D>::empty);
        let known = cached.last_sequence;
        let loaded = self.read_on::<D>(&subject, cached).await?;
        if loaded.last_sequence > known {
            self.cache.put(&subject, &loaded);
        }
        Ok(loaded)
    }

    /// Loads an order from its first event, ignoring (and not filling) the cache of recent
    /// orders: what a process that never saw the order pays.
    pub async fn load_from_start<D: Decider>(&self, id: OrderId) -> Result<Loaded<D>, Error> {
        let subject = self.subject::<D>(id);
        self.read_on::<D>(&subject, Loaded::empty()).await
    }

    /// Reads the events after `loaded.last_sequence` and folds them into `loaded`.
    async fn read_on<D: Decider>(
        &self,
        subject: &str,
        loaded: Loaded<D>,
    ) -> Result<Loaded<D>, Error> {
        self.read_until(subject, loaded, u64::MAX).await
    }

    /// Reads the events after `loaded.last_sequence` up to the first at or after stream sequence
    /// `until` (all of them with `u64::MAX`), and folds them into `loaded`. An order read from its
    /// start (what a process that never saw it does) is read in batches; one read on from what
    /// is known (usually nothing or one event) one event per request.
    async fn read_until<D: Decider>(
        &self,
        subject: &str,
        mut loaded: Loaded<D>,
        until: u64,
    ) -> Result<Loaded<D>, Error> {
        let mut sealing = None;
        if loaded.last_sequence == 0 {
            loop {
                let batch = self.read_batch(subject, loaded.last_sequence + 1).await?;
                for message in batch.messages {
                    self.fold(
                        &mut loaded,
                        &mut sealing,
                        subject,
                        message.sequence,
                        &message.payload,
                        &message.headers,
                    )
                    .await?;
                    if loaded.last_sequence >= until {
                        return Ok(loaded);
                    }
                }
                if !batch.more {
                    return Ok(loaded);
                }
            }
        }
        while loaded.last_sequence < until {
            let next = self
                .stream
                .direct_get_next_for_subject(subject, Some(loaded.last_sequence + 1))
                .await;
            let message = match next {
                Ok(m) => m,
                Err(e) if e.kind() == stream::DirectGetErrorKind::NotFound => break,
                Err(e) => return Err(Error::Unavailable(format!("reading {subject}: {e}"))),
            };
            self.fold(
                &mut loaded,
                &mut sealing,
                subject,
                message.sequence,
                &message.payload,
                &message.headers,
            )
            .await?;
        }
        Ok(loaded)
    }

    /// Folds the event stored at `sequence` into `loaded`, opening its personal data with the
    /// order's key (read once per load, into `sealing`).
    async fn fold<D: Decider>(
        &self,
        loaded: &mut Loaded<D>,
        sealing: &mut Option<Option<Sealing>>,
        subject: &str,
        sequence: u64,
        payload: &[u8],
        headers: &HeaderMap,
    ) -> Result<(), Error> {
        if sealing.is_none() {
            *sealing = Some(self.keys.sealing(subject).await?);
        }
        let envelope: Envelope<D::Event> =
            decode(sealing.as_ref().and_then(Option::as_ref), subject, payload).map_err(|e| {
                Error::Corrupt {
                    subject: subject.to_string(),
                    sequence,
                    reason: e.to_string(),
                }
            })?;
        loaded.push(envelope, sequence, Some(headers));
        Ok(())
    }

    /// The order of a delivered event's message (stored at stream `sequence` with `payload`), as
    /// far as this process knows it, reading the log only when the message does not follow on
    /// from what is cached: a message this process has seen superseded costs no read, and one
    /// carrying the order's next event is folded in from its own payload. Newer events may exist
    /// that the message's consumer has not delivered yet; whoever must know reads them with
    /// [`EventLog::confirm`] (an append needs not: its expected sequence refuses a stale tail).
    pub async fn load_delivered<D: Decider>(
        &self,
        id: OrderId,
        sequence: u64,
        payload: &[u8],
        headers: Option<&HeaderMap>,
    ) -> Result<Delivered<D>, Error> {
        let subject = self.subject::<D>(id);
        let mut order = self
            .cache
            .get::<D>(&subject)
            .unwrap_or_else(Loaded::<D>::empty);
        if order.last_sequence > sequence {
            return Ok(Delivered::Superseded);
        }
        if order.last_sequence == sequence {
            return Ok(Delivered::Known(order));
        }
        let sealing = self.keys.sealing(&subject).await?;
        let next = decode::<D::Event>(sealing.as_ref(), &subject, payload)
            .ok()
            .filter(|e| e.order_id == id && e.version == order.version() + 1);
        match next {
            Some(envelope) => order.push(envelope, sequence, headers),
            None => order = self.read_until(&subject, order, sequence).await?,
        }
        self.cache.put(&subject, &order);
        if order.last_sequence > sequence {
            return Ok(Delivered::Superseded);
        }
        Ok(Delivered::Known(order))
    }

    /// Whether this process knows an event of order `id` stored after stream `sequence`: what the
    /// components sharing this handle's cache appended, loaded or were delivered. No read: the
    /// log may hold newer events this process has not seen.
    pub fn known_after<D: Decider>(&self, id: OrderId, sequence: u64) -> bool {
        self.cache
            .last_sequence::<D>(&self.subject::<D>(id))
            .is_some_and(|last| last > sequence)
    }

    /// Order `id` as `order` knew it, with whatever events were appended after it (one read
    /// when there are none).
    pub async fn confirm<D: Decider>(
        &self,
        id: OrderId,
        order: Loaded<D>,
    ) -> Result<Loaded<D>, Error> {
        let subject = self.subject::<D>(id);
        let known = order.last_sequence;
        let order = self.read_on::<D>(&subject, order).await?;
        if order.last_sequence > known {
            self.cache.put(&subject, &order);
        }
        Ok(order)
    }

    /// The order as this process last saw it without reading the log, or read from the log when
    /// it has not seen it; with whether it was read just now (`true`) or may be behind.
    pub async fn load_cached<D: Decider>(&self, id: OrderId) -> Result<(Loaded<D>, bool), Error> {
        let subject = self.subject::<D>(id);
        if let Some(order) = self.cache.get::<D>(&subject) {
            return Ok((order, false));
        }
        Ok((self.load::<D>(id).await?, true))
    }
}

/// An order's stored event, its personal data opened as `sealing` says (read as stored for an
/// order without a key).
pub(crate) fn decode<E: DeserializeOwned + Upcast>(
    sealing: Option<&Sealing>,
    subject: &str,
    payload: &[u8],
) -> Result<Envelope<E>, serde_json::Error> {
    let read = || serde_json::from_slice(payload);
    match sealing {
        // The order id (the subject's last token) is the associated data.
        Some(sealing) => with_sealing(sealing, order_of(subject), read),
        None => read(),
    }
}

/// The order id a subject `<prefix>.evt.<kind>.<id>` names (nil when it names none, and then
/// no sealed value opens).
pub(crate) fn order_of(subject: &str) -> uuid::Uuid {
    subject
        .rsplit('.')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_default()
}
