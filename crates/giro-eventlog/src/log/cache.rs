//! The process-wide cache of recent orders and the per-order write locks, shared by every
//! handle made with [`EventLog::share`](super::EventLog::share).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use giro_domain::Decider;

use super::order::Loaded;

/// Orders most recently loaded or appended to, as of a stream sequence. Events are immutable and
/// the stream denies deletes, so a cached order is a correct prefix: a load reads on from its
/// last sequence instead of from the start (one round trip for an order nobody else touched,
/// instead of one per event).
///
/// It also serializes the writers of each order within the process (see [`OrderCache::writer`]).
pub(super) struct OrderCache {
    orders: Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>,
    writers: Box<[tokio::sync::Mutex<()>]>,
}

/// Stripes of the per-order write lock: orders hashed to one stripe share it.
const WRITER_STRIPES: usize = 4096;

/// Orders kept per process (handles made with [`EventLog::share`](super::EventLog::share) share
/// them): about a minute of orders at 1,000 a second, a KiB or two each (requests are shared with
/// their events, not copied). A backlog larger than the cache costs every forgotten order a read per event when
/// its next event is handled, which is what makes an overloaded engine slower still: with 8,192,
/// `giro bench e2e --count 20000 --rate 0` fell from 900 to 237 payouts/s.
const CACHED_ORDERS: usize = 65_536;

impl OrderCache {
    pub(super) fn new() -> Self {
        OrderCache {
            orders: Mutex::new(HashMap::new()),
            writers: (0..WRITER_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    /// The lock a decision on the order at `subject` is made and appended under. Components of
    /// one process (an executor's step, an ingress taking concurrent callbacks for one order)
    /// then take turns instead of racing each other's appends: the later one decides on what
    /// the earlier one stored, found in the cache, where a race would have cost it a refused
    /// publish, a read and a second publish. Across processes the append's expected sequence
    /// still decides; this only keeps one process from losing races to itself.
    pub(super) fn writer(&self, subject: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(subject);
        &self.writers[(hash % WRITER_STRIPES as u64) as usize]
    }

    pub(super) fn get<D: Decider>(&self, subject: &str) -> Option<Loaded<D>> {
        let orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        orders.get(subject)?.downcast_ref::<Loaded<D>>().cloned()
    }

    /// The stream sequence of the order's last event as cached, if it is.
    pub(super) fn last_sequence<D: Decider>(&self, subject: &str) -> Option<u64> {
        let orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        let order = orders.get(subject)?.downcast_ref::<Loaded<D>>()?;
        Some(order.last_sequence)
    }

    /// Forgets the order at `subject` (its personal data was erased: what was decoded with its
    /// key must not be handed out again).
    pub(super) fn forget(&self, subject: &str) {
        let mut orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        orders.remove(subject);
    }

    pub(super) fn put<D: Decider>(&self, subject: &str, order: &Loaded<D>) {
        let mut orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        let newer = orders
            .get(subject)
            .and_then(|o| o.downcast_ref::<Loaded<D>>())
            .is_none_or(|o| o.last_sequence < order.last_sequence);
        if !newer {
            return;
        }
        if orders.len() >= CACHED_ORDERS && !orders.contains_key(subject) {
            // Make room by forgetting an eighth, whichever they are: a forgotten order is only
            // read from the start again.
            let drop: Vec<String> = orders.keys().take(CACHED_ORDERS / 8).cloned().collect();
            for key in drop {
                orders.remove(&key);
            }
        }
        orders.insert(subject.to_string(), Arc::new(order.clone()));
    }
}
