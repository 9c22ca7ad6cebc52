//! Moving an order through its statuses in the background and announcing each step, with the
//! callback faults (drop, duplicate, delay, reorder) applied on the way out.

use std::time::Duration;

use crate::context::Common;
use crate::dispatch::Delivery;
use crate::faults::OrderFaults;

/// One planned status change: wait `after`, then move to `status`.
#[derive(Clone, Debug)]
pub(crate) struct Step<S> {
    pub after: Duration,
    pub status: S,
    /// Whether the provider announces this status with a callback.
    pub notifies: bool,
}

impl<S> Step<S> {
    pub(crate) fn new(after: Duration, status: S, notifies: bool) -> Self {
        Self {
            after,
            status,
            notifies,
        }
    }
}

/// An order that can be moved on.
pub(crate) trait Advance: Send + 'static {
    /// A status of this provider.
    type Status: Send + 'static;
    /// Moves the order to `status` (recording it), returning the callbacks that announce it.
    fn advance(&mut self, status: &Self::Status) -> Vec<Delivery>;
}

/// How much later a held-back notification follows the one it was swapped with.
const REORDER_GAP: Duration = Duration::from_millis(150);

/// Runs `steps` for `order` in a background task that ends with the sandbox.
pub(crate) fn spawn<A: Advance>(
    common: Common,
    mut order: A,
    steps: Vec<Step<A::Status>>,
    faults: OrderFaults,
) {
    // With reordering, the last notifying step before the final notifying one is held back and
    // sent after it: the receiver sees the final result first.
    let notifying: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.notifies)
        .map(|(i, _)| i)
        .collect();
    let held_step =
        (faults.reorder && notifying.len() >= 2).then(|| notifying[notifying.len() - 2]);
    tokio::spawn(async move {
        let mut held = Vec::new();
        for (index, step) in steps.into_iter().enumerate() {
            if !common.shutdown.sleep(step.after).await {
                return;
            }
            let deliveries = order.advance(&step.status);
            if Some(index) == held_step {
                held = deliveries;
                continue;
            }
            notify(&common, &faults, deliveries, Duration::ZERO);
            if !held.is_empty() {
                notify(&common, &faults, std::mem::take(&mut held), REORDER_GAP);
            }
        }
    });
}

/// Sends `deliveries` now, each subject to the run's drop/duplicate/delay faults.
pub(crate) fn notify(
    common: &Common,
    faults: &OrderFaults,
    deliveries: Vec<Delivery>,
    extra: Duration,
) {
    for delivery in deliveries {
        let fate = common.faults.draw_notification(faults);
        if fate.drop {
            common.dispatcher.drop_delivery(&delivery);
            continue;
        }
        let delay = extra + fate.delay.unwrap_or_default();
        if fate.duplicate {
            common.dispatcher.dispatch(delivery.clone(), delay);
        }
        common.dispatcher.dispatch(delivery, delay);
    }
}
