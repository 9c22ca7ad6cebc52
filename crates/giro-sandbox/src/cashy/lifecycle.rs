//! How a Cashy order moves: PROCESSING → WAITING → PAYING → SUCCESS/FAIL/CANCEL, possibly reversed
//! later, with a signed callback to `notifyUrl` for every final (or reversed) result.

use std::sync::Arc;

use super::sign::cashy_sign;
use super::state::{Cashy, Status};
use crate::clock::Timing;
use crate::dispatch::{Delivery, Rendered};
use crate::faults::OrderFaults;
use crate::lifecycle::{Advance, Step};
use crate::scenario::Scenario;

/// A status with its `resultDesc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Move {
    pub status: Status,
    pub desc: Option<&'static str>,
}

const fn to(status: Status, desc: Option<&'static str>) -> Move {
    Move { status, desc }
}

const SUCCESS: Move = to(Status::Success, Some("SUCCESS"));
const REVERSED: Move = to(Status::Fail, Some("PAYMENT_OFFSET"));

/// The plan for an order whose asked amount picked `scenario`.
pub(crate) fn plan(timing: &Timing, scenario: Scenario, faults: &OrderFaults) -> Vec<Step<Move>> {
    let quiet = |m| Step::new(timing.step_delay, m, false);
    let loud = |m| Step::new(timing.step_delay, m, true);
    let later = |m| Step::new(timing.reversal_delay, m, true);
    let mut steps = vec![
        quiet(to(Status::Waiting, None)),
        quiet(to(Status::Paying, None)),
    ];
    let fail = |desc| to(Status::Fail, Some(desc));
    let (outcome, mut reversal) = match scenario {
        Scenario::Stuck => return steps,
        Scenario::Success => (SUCCESS, None),
        Scenario::Fail1 => (fail("ACCOUNT NOT EXITS"), None),
        Scenario::Fail2 => (fail("GATEWAY_TIMEOUT"), None),
        Scenario::Fail3 => (fail("AMOUNT_ERROR"), None),
        Scenario::Fail4 => (fail("ACCOUNT_AND_MNO_NOT_MATCH"), None),
        Scenario::Fail5 => (fail("PAYMENT_OFFSET"), None),
        Scenario::Cancel => (to(Status::Cancel, Some("ORDER_CANCELLED")), None),
        Scenario::ReverseSuccess => (SUCCESS, Some(REVERSED)),
        Scenario::ReverseFailure => (fail("GATEWAY_TIMEOUT"), Some(SUCCESS)),
    };
    if faults.reverse_later && reversal.is_none() {
        reversal = match outcome.status {
            Status::Success => Some(REVERSED),
            Status::Fail => Some(SUCCESS),
            _ => None,
        };
    }
    steps.push(loud(outcome));
    steps.extend(reversal.map(later));
    steps
}

/// Moves one order and builds its callback.
pub(crate) struct Mover {
    pub cashy: Arc<Cashy>,
    pub order_no: String,
}

impl Advance for Mover {
    type Status = Move;

    fn advance(&mut self, step: &Move) -> Vec<Delivery> {
        let Some(order) = self.cashy.move_to(&self.order_no, step.status, step.desc) else {
            return Vec::new();
        };
        if !matches!(step.status, Status::Success | Status::Fail | Status::Cancel) {
            return Vec::new();
        }
        let Some(merchant) = self.cashy.merchant(&order.merchant_id).cloned() else {
            return Vec::new();
        };
        let mut data = self.cashy.order_data(&order, 4);
        data.nonce_str = Some(self.cashy.common.random.digits(13));
        data.pay_type = Some("11");
        let body = serde_json::to_vec(&data).unwrap_or_default();
        let sign = cashy_sign(&body, &merchant.api_key);
        let rendered = Rendered {
            headers: vec![("MerchantId", merchant.merchant_id.clone()), ("Sign", sign)],
            body,
        };
        vec![Delivery {
            provider: order.country.provider().to_owned(),
            order_id: order.order_no.clone(),
            announces: step.status.as_str().to_owned(),
            url: order.notify_url.clone(),
            render: Arc::new(move |_| rendered.clone()),
            policy: Arc::new(super::retry::policy(merchant.ack)),
        }]
    }
}
