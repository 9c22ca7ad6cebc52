//! The payout aggregate: events, state, decider and request parsing.

mod approval;
mod decide;
mod discrepancy;
mod event;
mod failover;
mod operator;
mod reports;
mod request;
mod state;
mod upcast;

pub use decide::{CreatePayout, PayoutCommand, decide};
pub use event::*;
pub use failover::{Failover, RerouteReason, Rerouted};
pub use operator::{MAX_TEXT_CHARS, OperatorAction, OperatorCommand, RESOLVED_FAILED};
pub use reports::{fee_stated, new_report_differences, repeats_discrepancy};
pub use request::{
    BeneficiarySource, MAX_METADATA_BYTES, PayoutDraft, amount_rejection, parse_amount,
    parse_create,
};
pub(crate) use request::{
    parse_currency, parse_external_id, parse_key, parse_metadata, parse_provider,
};
pub use state::{Payout, PayoutStatus, evolve, next_status};

use chrono::{DateTime, Utc};

use crate::decider::Decider;
use crate::envelope::Envelope;
use crate::ids::OrderKind;
use crate::rejection::Rejection;

/// The payout decider (see [`Decider`]).
pub struct PayoutDecider;

impl Decider for PayoutDecider {
    type State = Option<Payout>;
    type Command = PayoutCommand;
    type Event = PayoutEvent;
    const KIND: OrderKind = OrderKind::Payout;

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
            (_, PayoutEvent::Requested(r)) => Some(r.provider.to_string()),
            // The new provider's executor makes the next attempt: it is woken by this event.
            (_, PayoutEvent::Rerouted(r)) => Some(r.to.to_string()),
            (Some(p), _) => Some(p.provider().to_string()),
            (None, _) => None,
        }
    }
}
