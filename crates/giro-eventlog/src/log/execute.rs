//! Carrying out commands: load, decide, append, and on a lost race read on and decide again.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use giro_domain::{Decider, Envelope, EventMeta, OrderId};

use super::EventLog;
use super::order::{Executed, Loaded};
use crate::error::{Error, ExecuteError};

/// How often a command is re-decided after losing a race before giving up as `unavailable`.
const MAX_CONFLICT_RETRIES: usize = 16;

impl EventLog {
    /// Carries out a command on an order: load, decide, append; on a lost race, reload and decide
    /// again. With `assume_new` the first decision is made against an empty order without loading
    /// (the fast path for creation: a conflict then means the order exists).
    ///
    /// An order this process has seen is decided as it saw it, without reading the log first:
    /// an append names the last sequence it knows, so a decision made on a stale order stores
    /// nothing and is made again after reading on. Only a decision to append nothing, or a
    /// refusal, made on such an order is checked against the log before it is returned.
    pub async fn execute<D: Decider>(
        &self,
        id: OrderId,
        command: &D::Command,
        meta: &EventMeta,
        assume_new: bool,
    ) -> Result<Executed<D>, ExecuteError> {
        let (order, read) = if assume_new {
            (Loaded::<D>::empty(), true)
        } else {
            self.load_cached::<D>(id).await?
        };
        self.execute_on(id, order, read, command, meta).await
    }

    /// Carries out a command decided on version `version` of the order (a step's decision, as
    /// opposed to the record of something that happened): appended only on that version, never
    /// decided again on a newer one. `Ok(None)` when the order has moved on (it has events after
    /// `version`, known here or found by the append's expected sequence), so that whatever drives
    /// its newer events decides afresh.
    pub async fn execute_at<D: Decider>(
        &self,
        id: OrderId,
        version: u64,
        command: &D::Command,
        meta: &EventMeta,
    ) -> Result<Option<Executed<D>>, ExecuteError> {
        let subject = self.subject::<D>(id);
        let _writer = self.cache.writer(&subject).lock().await;
        let (mut order, read) = self.load_cached::<D>(id).await?;
        if order.version() < version && !read {
            order = self.confirm::<D>(id, order).await?;
        }
        if order.version() != version {
            return Ok(None);
        }
        let now = Utc::now();
        let events = D::decide(&order.state, command, now).map_err(ExecuteError::Rejected)?;
        if events.is_empty() {
            return Ok(Some(Executed {
                order,
                appended: Vec::new(),
            }));
        }
        match self
            .store_decided(&subject, id, &mut order, events, meta, now)
            .await
        {
            Ok(appended) => Ok(Some(Executed { order, appended })),
            Err(Error::Conflict { .. }) => {
                giro_telemetry::metrics::append_conflict(D::KIND.as_str());
                tracing::debug!(%subject, version, "the order moved on before its step was stored");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Appends `events` (decided on `order`) after `order`'s tail, each routed as the decider
    /// says, and folds what was stored into `order` and the cache. A lost race stores nothing
    /// and leaves `order` as it was.
    async fn store_decided<D: Decider>(
        &self,
        subject: &str,
        id: OrderId,
        order: &mut Loaded<D>,
        events: Vec<D::Event>,
        meta: &EventMeta,
        now: DateTime<Utc>,
    ) -> Result<Vec<Envelope<D::Event>>, Error> {
        let routed = events
            .into_iter()
            .map(|e| {
                let route = D::route(&order.state, &e);
                (e, route)
            })
            .collect();
        let (appended, trace) = self
            .append_traced(subject, id, order.tail(), routed, meta, now)
            .await?;
        for envelope in &appended.events {
            order.state = D::evolve(std::mem::take(&mut order.state), envelope);
        }
        order.last_sequence = appended.last_sequence;
        order
            .events
            .extend(appended.events.iter().cloned().map(Arc::new));
        order.trace = trace;
        self.cache.put(subject, order);
        Ok(appended.events)
    }

    /// [`EventLog::execute`] starting from `order` (as [`EventLog::load_cached`] or
    /// [`EventLog::load_delivered`] gave it); `read` says whether it was read from the log just
    /// now, so that a decision to append nothing needs no second look.
    pub async fn execute_on<D: Decider>(
        &self,
        id: OrderId,
        mut order: Loaded<D>,
        mut read: bool,
        command: &D::Command,
        meta: &EventMeta,
    ) -> Result<Executed<D>, ExecuteError> {
        let subject = self.subject::<D>(id);
        let _writer = self.cache.writer(&subject).lock().await;
        // What another writer of this process stored while this one waited for its turn.
        if let Some(newer) = self
            .cache
            .get::<D>(&subject)
            .filter(|cached| cached.last_sequence > order.last_sequence)
        {
            order = newer;
        }
        let mut attempt = 0;
        while attempt < MAX_CONFLICT_RETRIES {
            let now = Utc::now();
            let events = match D::decide(&order.state, command, now) {
                Ok(events) if !events.is_empty() => events,
                Ok(_) | Err(_) if !read => {
                    // Nothing to do, or refused, as far as this process knew the order: make sure.
                    order = self.confirm::<D>(id, order).await?;
                    read = true;
                    continue;
                }
                Ok(_) => {
                    return Ok(Executed {
                        order,
                        appended: Vec::new(),
                    });
                }
                Err(rejection) => return Err(ExecuteError::Rejected(rejection)),
            };
            match self
                .store_decided(&subject, id, &mut order, events, meta, now)
                .await
            {
                Ok(appended) => return Ok(Executed { order, appended }),
                Err(Error::Conflict { .. }) => {
                    giro_telemetry::metrics::append_conflict(D::KIND.as_str());
                    tracing::debug!(%subject, attempt, "append lost a race; reloading");
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(attempt as u64)).await;
                    }
                    order = self.load::<D>(id).await?;
                    read = true;
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Unavailable(format!("{subject}: too much contention, try again")).into())
    }
}
