//! The charge (pay-in) aggregate, A55 first: creation with its validation, submission, the
//! provider's reports, cancellation, refunds and chargebacks. Raw card data never enters Giro:
//! cards go through the hosted checkout. Built like the payout aggregate so one reads like the
//! other: `event` (what happens), `status` (the transition table), `state` (the fold), `decide`
//! (commands) and `consequence` (what a provider report means).

mod capture;
mod consequence;
mod decide;
mod event;
mod extras;
mod order;
mod record;
mod refunds;
mod report;
mod request;
mod state;
mod status;
mod upcast;

pub use capture::CaptureAttempt;
pub use consequence::AMOUNT_MISMATCH;
pub use decide::{ChargeCommand, decide};
pub use event::*;
pub use extras::{AntifraudInfo, DeviceInfo, SalesChannel};
pub use order::*;
pub use refunds::RefundAttempt;
pub use report::{ChargeOutcome, ChargeReport, ReportSource};
pub use request::{CreateCharge, parse_create};
pub use state::{Charge, DecisiveReport, Dispute, evolve};
pub use status::{ChargeStatus, fits, next_status};

use chrono::{DateTime, Utc};

use crate::decider::Decider;
use crate::envelope::Envelope;
use crate::ids::OrderKind;
use crate::rejection::Rejection;

/// The charge decider (see [`Decider`]).
pub struct ChargeDecider;

impl Decider for ChargeDecider {
    type State = Option<Charge>;
    type Command = ChargeCommand;
    type Event = ChargeEvent;
    const KIND: OrderKind = OrderKind::Charge;

    fn decide(
        state: &Self::State,
        command: &Self::Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Self::Event>, Rejection> {
        decide(state, command, now)
    }

    fn evolve(state: Self::State, event: &Envelope<Self::Event>) -> Self::State {
        evolve(state, event)
    }

    fn route(state: &Self::State, event: &Self::Event) -> Option<String> {
        match (state, event) {
            (_, ChargeEvent::Requested(r)) => Some(r.provider.to_string()),
            (Some(c), _) => Some(c.request.provider.to_string()),
            (None, _) => None,
        }
    }
}
