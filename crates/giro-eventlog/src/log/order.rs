//! An order as read from the log, and what reading, appending and executing hand back.
//!
//! These are the values the rest of Giro holds; how they are produced lives next door
//! (`read`, `append`, `execute`).

use std::sync::Arc;

use async_nats::HeaderMap;
use giro_domain::{Decider, Envelope};

use crate::trace;

/// An order rebuilt from its events.
#[derive(Debug)]
pub struct Loaded<D: Decider> {
    /// Shared, so that handing an order from the cache to a step copies no event.
    pub events: Vec<Arc<Envelope<D::Event>>>,
    pub state: D::State,
    /// The stream sequence of the order's last event (0 for an order with no events): what the
    /// next append must expect.
    pub last_sequence: u64,
    /// The W3C trace headers stored with the last event (none when it carried none).
    pub(super) trace: Option<HeaderMap>,
}

impl<D: Decider> Clone for Loaded<D> {
    fn clone(&self) -> Self {
        Loaded {
            events: self.events.clone(),
            state: self.state.clone(),
            last_sequence: self.last_sequence,
            trace: self.trace.clone(),
        }
    }
}

impl<D: Decider> Loaded<D> {
    pub(super) fn empty() -> Self {
        Loaded {
            events: Vec::new(),
            state: D::State::default(),
            last_sequence: 0,
            trace: None,
        }
    }

    /// The trace context stored with the order's last event as loaded, so that work arriving
    /// without one (a provider callback) continues the order's trace.
    pub fn trace(&self) -> Option<opentelemetry::Context> {
        self.trace.as_ref().map(trace::extract)
    }

    /// Folds `envelope`, stored at stream sequence `sequence` with `headers`, into the order.
    pub(super) fn push(
        &mut self,
        envelope: Envelope<D::Event>,
        sequence: u64,
        headers: Option<&HeaderMap>,
    ) {
        self.last_sequence = sequence;
        self.state = D::evolve(std::mem::take(&mut self.state), &envelope);
        self.events.push(Arc::new(envelope));
        self.trace = headers.and_then(trace_headers);
    }

    /// The order's version: its number of events.
    pub fn version(&self) -> u64 {
        self.events.len() as u64
    }

    /// Where the next append goes.
    pub fn tail(&self) -> Tail {
        Tail {
            last_sequence: self.last_sequence,
            version: self.version(),
        }
    }
}

pub(super) fn trace_headers(headers: &HeaderMap) -> Option<HeaderMap> {
    let mut kept = HeaderMap::new();
    let mut any = false;
    for name in ["traceparent", "tracestate"] {
        if let Some(value) = headers.get(name) {
            kept.insert(name, value.as_str());
            any = true;
        }
    }
    any.then_some(kept)
}

/// What a delivered event's message says about its order, as far as this process knows it (see
/// [`EventLog::load_delivered`](super::EventLog::load_delivered)).
#[derive(Debug)]
pub enum Delivered<D: Decider> {
    /// The order has a newer event than the delivered one: the delivered one does not drive it.
    Superseded,
    /// The order up to the delivered event. Newer events may exist that this process has not
    /// seen yet: [`EventLog::confirm`](super::EventLog::confirm) reads them.
    Known(Loaded<D>),
}

/// Where an order's log ends: what the next append must expect and how it numbers its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tail {
    /// The stream sequence of the order's last event (0 for none).
    pub last_sequence: u64,
    /// The order's version (its number of events).
    pub version: u64,
}

/// Events stored by one append, with the stream sequence of the last.
#[derive(Debug, Clone)]
pub struct Appended<E> {
    pub events: Vec<Envelope<E>>,
    pub last_sequence: u64,
}

/// The result of a command: the order after it, and what it appended (empty for a repeat).
#[derive(Debug, Clone)]
pub struct Executed<D: Decider> {
    pub order: Loaded<D>,
    pub appended: Vec<Envelope<D::Event>>,
}
