//! How a KillB payout moves: PENDING → PROCESSING (→ CASH_OUT_*) → its scenario's final status.

use std::sync::Arc;

use super::state::{Killb, Status};
use super::webhooks::deliveries;
use crate::dispatch::Delivery;
use crate::faults::OrderFaults;
use crate::lifecycle::{Advance, Step};
use crate::scenario::Scenario;

/// The status plan for a payout whose asked amount picked `scenario`.
pub(crate) fn plan(killb: &Killb, scenario: Scenario, faults: &OrderFaults) -> Vec<Step<Status>> {
    let timing = &killb.common.timing;
    let step = |status| Step::new(timing.step_delay, status, true);
    let mut steps = vec![
        Step::new(std::time::Duration::ZERO, Status::Pending, true),
        step(Status::Processing),
    ];
    if scenario == Scenario::Stuck {
        return steps;
    }
    if killb.config.phased_statuses {
        steps.extend(
            [
                Status::CashOutPending,
                Status::CashOutProcessing,
                Status::CashOutCompleted,
            ]
            .map(step),
        );
    }
    let mut reverse = faults.reverse_later;
    match scenario {
        Scenario::Fail1 => steps.push(step(Status::Failed)),
        Scenario::Fail2 => steps.push(step(Status::Error)),
        Scenario::Fail3 => steps.push(step(Status::Rejected)),
        Scenario::Fail4 | Scenario::ReverseSuccess => {
            steps.push(step(Status::Completed));
            reverse = true;
        }
        Scenario::Fail5 => steps.extend([step(Status::ReviewNeeded), step(Status::Completed)]),
        Scenario::Success | Scenario::Cancel | Scenario::ReverseFailure | Scenario::Stuck => {
            steps.push(step(Status::Completed));
        }
    }
    if reverse && steps.last().is_some_and(|s| s.status == Status::Completed) {
        steps.push(Step::new(timing.reversal_delay, Status::Refunded, true));
    }
    steps
}

/// Moves one payout and announces each move to the registered webhooks.
pub(crate) struct Mover {
    pub killb: Arc<Killb>,
    pub payout_id: String,
}

impl Advance for Mover {
    type Status = Status;

    fn advance(&mut self, status: &Status) -> Vec<Delivery> {
        let action = if *status == Status::Pending {
            "CREATE"
        } else {
            "UPDATE"
        };
        match self.killb.move_to(&self.payout_id, *status) {
            Some(payout) => deliveries(&self.killb, payout, action),
            None => Vec::new(),
        }
    }
}
