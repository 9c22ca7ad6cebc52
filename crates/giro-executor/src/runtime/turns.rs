//! Steps on one order take turns within a process: a delivery of an order whose step is still
//! running here waits for that step to end before it is looked at.
//!
//! The common case is a submission: the step that claims an attempt (`submission_started`) is
//! still waiting on the provider when the claim itself is delivered. Looked at then, the claim
//! would set its deadline timer (a `NAK` with a delay), to be cancelled (an ack) a moment later
//! when the outcome is recorded: two messages where, after the turn, one ack of a superseded
//! event does. The waiting delivery stays in progress (see `consumer::in_progress`), so a process
//! that dies meanwhile leaves it to be delivered again, and its deadline set then.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use giro_domain::OrderId;

/// The orders with a step running (or waiting its turn) in this process.
#[derive(Default)]
pub(super) struct Turns {
    orders: Mutex<HashMap<OrderId, Arc<tokio::sync::Mutex<()>>>>,
}

/// A step's turn on its order; the next waiting step goes on when it is dropped.
pub(super) struct Turn<'t> {
    turns: &'t Turns,
    id: OrderId,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Turns {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OrderId, Arc<tokio::sync::Mutex<()>>>> {
        self.orders.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until no other step on order `id` runs in this process (first come, first served).
    pub(super) async fn take(&self, id: OrderId) -> Turn<'_> {
        let lock = self.lock().entry(id).or_default().clone();
        let guard = lock.lock_owned().await;
        Turn {
            turns: self,
            id,
            guard: Some(guard),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut orders = self.turns.lock();
        drop(self.guard.take());
        // Forgotten once nobody holds or waits for it: the map holds only busy orders.
        if orders
            .get(&self.id)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            orders.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn steps_on_one_order_take_turns_and_other_orders_go_on() {
        let turns = Arc::new(Turns::default());
        let a = OrderId::from_uuid(uuid::Uuid::new_v4());
        let b = OrderId::from_uuid(uuid::Uuid::new_v4());
        let first = turns.take(a).await;
        // Another order is not held up by `a`'s step.
        drop(turns.take(b).await);
        let waiting = {
            let turns = turns.clone();
            tokio::spawn(async move {
                let _turn = turns.take(a).await;
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiting.is_finished(),
            "the second step ran during the first"
        );
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the second step never got its turn")
            .unwrap();
        assert_eq!(turns.len(), 0, "an order nobody steps on is still kept");
    }
}
