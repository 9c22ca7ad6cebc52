//! The decider shape every order aggregate has: `decide(state, command) -> events` and
//! `evolve(state, event) -> state`, both pure. The event log folds `evolve` over an order's stored
//! events to rebuild it; intake and the executors call `decide` and append what it returns.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::envelope::{Envelope, EventType, Upcast};
use crate::ids::OrderKind;
use crate::rejection::Rejection;

/// A pure aggregate: no I/O, no clock, no randomness (time comes in as `now`).
pub trait Decider: 'static {
    /// The state of one order; `Default` is "does not exist yet".
    type State: Default + Clone + std::fmt::Debug + Send + Sync + 'static;
    type Command;
    type Event: Serialize
        + DeserializeOwned
        + Clone
        + std::fmt::Debug
        + EventType
        + Upcast
        + Send
        + Sync
        + 'static;

    /// The aggregate's kind: its subject token and event-type prefix.
    const KIND: OrderKind;

    /// The events that carrying out `command` produces, or why it is refused. An empty list means
    /// the command is already satisfied (a repeat), which is success.
    fn decide(
        state: &Self::State,
        command: &Self::Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Self::Event>, Rejection>;

    /// The state after one stored event. Never panics: an event that does not fit the state
    /// (a corrupt or foreign log) leaves the state as it was.
    fn evolve(state: Self::State, event: &Envelope<Self::Event>) -> Self::State;

    /// The provider instance an order's events are for, carried in the `Giro-Provider` header so
    /// each executor can skip other providers' events without reading them. `state` is the order
    /// before `event`.
    fn route(_state: &Self::State, _event: &Self::Event) -> Option<String> {
        None
    }

    /// Rebuilds an order from its events, oldest first.
    fn fold<'a>(events: impl IntoIterator<Item = &'a Envelope<Self::Event>>) -> Self::State
    where
        Self::Event: 'a,
    {
        events
            .into_iter()
            .fold(Self::State::default(), Self::evolve)
    }
}
