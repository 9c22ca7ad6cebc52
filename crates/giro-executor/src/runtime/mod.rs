//! The executor runtime: a durable pull consumer on one kind of order's events (payouts, charges),
//! shared by every instance of one provider (or, for payouts, of one set of providers served by
//! one process, each event handed to the provider it is routed to), and the timer discipline that
//! keeps each non-terminal order awake. What a step does for an order is the [`Steps`] of its kind
//! (`payouts`, `charges`).
//!
//! Each order is driven by the message of its **latest** event. Handling it either finishes the
//! order's current step (appending a newer event, whose message takes over, and acking this one)
//! or asks JetStream to redeliver this message later (`NAK` with a delay): the order's deadline.
//! A message that is not its order's latest is acked at once. So every non-terminal order has a
//! pending timer, it survives crashes and restarts, and any instance may fire it. A timer longer
//! than half the consumer's ack wait sends its `NAK` only after that half, if the order has not
//! moved on by then: until then the unacknowledged message is itself the timer, and an order that
//! moves on meanwhile (the usual webhook) costs no `NAK` at all.
//!
//! A timer is cancelled (acked) as soon as its order moves on: the instance that set it acks it
//! when it handles a newer event of the order, or hears from another instance of the consumer
//! that it did (see [`Timers`]). Without that, every order would keep a message pending for the
//! whole of its timer's delay (a minute or two) after it ended, and a busy engine would reach the
//! consumer's `max_ack_pending` and stop being delivered anything. A timer that escapes both
//! (an instance that died, word lost) is acked when it fires: a redelivered message is always
//! checked against the log before its step.

mod consumer;
mod open;
mod start;
mod timers;
mod turns;

use std::time::Duration;

use giro_domain::Decider;
use giro_eventlog::{EventLog, ExecuteError};
use tokio::task::JoinSet;

use giro_providers::BoxFuture;
pub use start::{
    PayoutInstance, SHARED_PAYOUT_CONSUMER, start, start_beneficiaries, start_charges,
    start_payouts,
};
pub use timers::timers_subject;

/// Why the executor could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("creating the consumer {0}: {1}")]
    Consumer(String, String),
    #[error("opening the funds ledger: {0}")]
    Funds(String),
}

/// A running executor instance; stops when dropped or stopped.
pub struct ExecutorHandle {
    tasks: JoinSet<()>,
}

impl ExecutorHandle {
    /// Stops fetching; in-flight steps are abandoned (their messages are redelivered elsewhere).
    pub async fn stop(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

impl Drop for ExecutorHandle {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// What to do with the message that woke the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Done with this message: a newer event (or none, for a terminal order) drives the order.
    Ack,
    /// Look at the order again after this delay (a timer on the order's latest event).
    After(Duration),
}

/// What the runtime drives for one kind of order at one provider: given the order rebuilt from
/// its log and woken by its latest event, one step (see [`Next`]).
pub(crate) trait Steps: Send + Sync + 'static {
    type Decider: Decider<State = Option<Self::Order>, Event: Send + Sync> + Send + Sync + 'static;
    type Order: Send + Sync + 'static;
    fn log(&self) -> &EventLog;
    /// The order's status, for the step's span.
    fn status(order: &Self::Order) -> &'static str;
    /// Whether a step may be taken on `order` as this process knows it, which newer events not
    /// delivered yet may have overtaken: true only when every side effect of the step is guarded
    /// by an append (which names the last sequence it knows, so a stale decision stores nothing
    /// and is made again on the order read on) or is harmless when stale (a lookup, a timer,
    /// which is checked against the log before it is set). By default the order is read on to
    /// its latest event before every step.
    fn trusts(_order: &Self::Order) -> bool {
        false
    }
    /// `deliveries` counts how often the order's latest event has been delivered (it grows while
    /// the order sleeps on it).
    fn step<'a>(
        &'a self,
        order: &'a Self::Order,
        deliveries: u64,
    ) -> BoxFuture<'a, Result<Next, ExecuteError>>;
}
