//! The journal behind `GET /_sandbox/*`: submissions per idempotency handle, orders, their status
//! history and every callback attempt. Shared by all three simulators, so one call sees everything.

mod records;
pub(crate) mod routes;
mod summary;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use crate::clock::Clock;

pub use records::{
    CallbackAttempt, CallbackOutcome, HandleRecord, OrderRecord, OrderReport, ProviderSummary,
    StatusChange, Summary, Truncation,
};

/// The shared journal.
#[derive(Debug, Default)]
pub struct Registry(Mutex<Journal>, Clock);

#[derive(Debug, Default)]
struct Journal {
    handles: Vec<HandleRecord>,
    handle_index: HashMap<(String, String), usize>,
    orders: Vec<OrderRecord>,
    order_index: HashMap<(String, String), usize>,
}

/// What a new order is recorded with.
#[derive(Clone, Debug)]
pub(crate) struct NewOrder<'a> {
    pub provider: &'a str,
    pub order_id: &'a str,
    pub handle: &'a str,
    pub external_id: Option<&'a str>,
    pub amount: String,
    pub currency: &'a str,
    pub status: &'a str,
}

/// Narrows `GET /_sandbox/orders`.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct OrderFilter {
    /// Only this provider.
    pub provider: Option<String>,
    /// Only this handle.
    pub handle: Option<String>,
    /// Only this external id.
    pub external_id: Option<String>,
    /// Only orders currently in this status.
    pub status: Option<String>,
}

impl Journal {
    fn handle_mut(&mut self, provider: &str, handle: &str) -> &mut HandleRecord {
        let key = (provider.to_owned(), handle.to_owned());
        let index = match self.handle_index.get(&key) {
            Some(index) => *index,
            None => {
                self.handles.push(HandleRecord {
                    provider: provider.to_owned(),
                    handle: handle.to_owned(),
                    submissions: 0,
                    refused: 0,
                    replays: 0,
                    orders: Vec::new(),
                });
                self.handle_index.insert(key, self.handles.len() - 1);
                self.handles.len() - 1
            }
        };
        &mut self.handles[index]
    }

    fn order_mut(&mut self, provider: &str, order_id: &str) -> Option<&mut OrderRecord> {
        let index = *self
            .order_index
            .get(&(provider.to_owned(), order_id.to_owned()))?;
        self.orders.get_mut(index)
    }

    fn report(&self, order: &OrderRecord) -> OrderReport {
        let handle = self
            .handle_index
            .get(&(order.provider.clone(), order.handle.clone()))
            .and_then(|index| self.handles.get(*index));
        OrderReport {
            order: order.clone(),
            submissions: handle.map_or(0, |h| h.submissions),
            orders_for_handle: handle
                .map_or(0, |h| u32::try_from(h.orders.len()).unwrap_or(u32::MAX)),
        }
    }
}

impl Registry {
    /// An empty journal stamping what it records by `clock`.
    pub(crate) fn new(clock: Clock) -> Self {
        Self(Mutex::default(), clock)
    }

    /// The time by the sandbox's clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.1.now()
    }

    fn lock(&self) -> MutexGuard<'_, Journal> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A create request naming `handle` arrived (and passed authentication).
    pub(crate) fn submitted(&self, provider: &str, handle: &str) {
        self.lock().handle_mut(provider, handle).submissions += 1;
    }

    /// The create request naming `handle` was refused.
    pub(crate) fn refused(&self, provider: &str, handle: &str) {
        self.lock().handle_mut(provider, handle).refused += 1;
    }

    /// The create request naming `handle` was answered with the existing order.
    pub(crate) fn replayed(&self, provider: &str, handle: &str) {
        self.lock().handle_mut(provider, handle).replays += 1;
    }

    /// A new order exists.
    pub(crate) fn created(&self, order: NewOrder<'_>) {
        let now = self.now();
        let mut journal = self.lock();
        journal
            .handle_mut(order.provider, order.handle)
            .orders
            .push(order.order_id.to_owned());
        journal.orders.push(OrderRecord {
            provider: order.provider.to_owned(),
            order_id: order.order_id.to_owned(),
            handle: order.handle.to_owned(),
            external_id: order.external_id.map(str::to_owned),
            amount: order.amount,
            currency: order.currency.to_owned(),
            status: order.status.to_owned(),
            created_at: now,
            history: vec![StatusChange {
                status: order.status.to_owned(),
                detail: None,
                at: now,
            }],
            callbacks: Vec::new(),
            truncated: None,
        });
        let index = journal.orders.len() - 1;
        journal.order_index.insert(
            (order.provider.to_owned(), order.order_id.to_owned()),
            index,
        );
    }

    /// The order moved to `status`.
    pub(crate) fn status(
        &self,
        provider: &str,
        order_id: &str,
        status: &str,
        detail: Option<&str>,
    ) {
        let at = self.now();
        if let Some(order) = self.lock().order_mut(provider, order_id) {
            order.status = status.to_owned();
            order.history.push(StatusChange {
                status: status.to_owned(),
                detail: detail.map(str::to_owned),
                at,
            });
        }
    }

    /// The provider kept a different amount than it was sent.
    pub(crate) fn truncated(&self, provider: &str, order_id: &str, truncation: Truncation) {
        if let Some(order) = self.lock().order_mut(provider, order_id) {
            order.truncated = Some(truncation);
        }
    }

    /// A callback attempt was made (or dropped).
    pub(crate) fn callback(&self, provider: &str, order_id: &str, attempt: CallbackAttempt) {
        if let Some(order) = self.lock().order_mut(provider, order_id) {
            order.callbacks.push(attempt);
        }
    }

    /// Orders matching `filter`, oldest first.
    pub fn orders(&self, filter: &OrderFilter) -> Vec<OrderReport> {
        let journal = self.lock();
        let wanted = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|want| Some(want) == have)
        };
        journal
            .orders
            .iter()
            .filter(|o| wanted(&filter.provider, Some(&o.provider)))
            .filter(|o| wanted(&filter.handle, Some(&o.handle)))
            .filter(|o| wanted(&filter.external_id, o.external_id.as_deref()))
            .filter(|o| wanted(&filter.status, Some(&o.status)))
            .map(|o| journal.report(o))
            .collect()
    }

    /// One order.
    pub fn order(&self, provider: &str, order_id: &str) -> Option<OrderReport> {
        let mut journal = self.lock();
        let order = journal.order_mut(provider, order_id)?.clone();
        Some(journal.report(&order))
    }

    /// Every handle, optionally of one provider.
    pub fn handles(&self, provider: Option<&str>) -> Vec<HandleRecord> {
        self.lock()
            .handles
            .iter()
            .filter(|h| provider.is_none_or(|p| p == h.provider))
            .cloned()
            .collect()
    }

    /// Totals over the run.
    pub fn summary(&self) -> Summary {
        let journal = self.lock();
        summary::summarise(&journal.handles, &journal.orders)
    }
}
