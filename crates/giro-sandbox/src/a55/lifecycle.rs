//! How an A55 charge moves, chosen by the sandbox card's last digit (host-to-host card data) or by
//! the amount (everything else), and the webhooks announcing each status.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::Utc;

use super::errors::{A55Error, Problem};
use super::sign::a55_signature;
use super::state::{A55, Charge, PROVIDER, Status};
use super::validate::ChargeRequest;
use super::wire::LegacyWebhook;
use crate::dispatch::{Delivery, Rendered};
use crate::faults::OrderFaults;
use crate::lifecycle::{Advance, Step};
use crate::scenario::Scenario;

/// A status, the problem that explains an `error`, and whether it only announces the current one.
#[derive(Clone, Debug)]
pub(crate) struct Move {
    pub status: Status,
    pub problem: Option<Problem>,
    pub announce_only: bool,
}

fn to(status: Status) -> Move {
    Move {
        status,
        problem: None,
        announce_only: false,
    }
}

fn error(code: &str, description: &str) -> Move {
    Move {
        problem: Some(A55Error::new(StatusCode::OK, code, "acquirer", description).problem),
        ..to(Status::Error)
    }
}

/// The charge's status at creation and the steps after it (the first announces the initial status).
pub(crate) fn plan(
    a55: &A55,
    request: &ChargeRequest,
    faults: &OrderFaults,
) -> (Move, Vec<Step<Move>>) {
    let timing = &a55.common.timing;
    let step = |m: Move| Step::new(timing.step_delay, m, true);
    let (initial, mut rest) = match &request.card {
        Some(card) => card_outcome(a55, request, &card.number),
        None => amount_outcome(request),
    };
    // Authorised only: the capture moves the charge on; left alone, the authorisation lapses.
    let authorised = rest.last().map_or(initial.status, |m| m.status) == Status::PreCaptured;
    if (faults.reverse_later
        || matches!(
            Scenario::of(request.installment_value),
            Scenario::Fail4 | Scenario::ReverseSuccess
        ))
        && rest.last().map_or(initial.status, |m| m.status) == Status::Paid
    {
        rest.push(to(Status::Refunded));
    }
    let announce = Move {
        announce_only: true,
        ..initial.clone()
    };
    let mut steps = vec![Step::new(Duration::ZERO, announce, true)];
    let count = rest.len();
    for (index, m) in rest.into_iter().enumerate() {
        if index + 1 == count && m.status == Status::Refunded {
            steps.push(Step::new(timing.reversal_delay, m, true));
        } else {
            steps.push(step(m));
        }
    }
    if authorised {
        steps.push(Step::new(
            a55.config.authorization_ttl,
            to(Status::Canceled),
            true,
        ));
    }
    (initial, steps)
}

fn card_outcome(a55: &A55, request: &ChargeRequest, number: &str) -> (Move, Vec<Move>) {
    let approved = || {
        if request.threeds {
            let mut rest = vec![to(Status::Confirmed)];
            if request.capture {
                rest.push(to(Status::Paid));
            }
            (to(Status::Pending), rest)
        } else if request.capture {
            (to(Status::Confirmed), vec![to(Status::Paid)])
        } else {
            (to(Status::PreCaptured), Vec::new())
        }
    };
    match number.chars().last() {
        Some('0' | '1' | '4') => approved(),
        Some('9') if a55.common.faults.coin() => approved(),
        Some('2' | '9') => (
            error("card_declined", "Card declined by the issuer"),
            Vec::new(),
        ),
        Some('3') => (error("card_expired", "Card expired"), Vec::new()),
        Some('5') => (error("card_blocked", "Card blocked"), Vec::new()),
        Some('6') => (
            to(Status::Pending),
            vec![error(
                "acquirer_timeout",
                "The acquirer did not answer in time",
            )],
        ),
        Some('7') => (to(Status::Canceled), Vec::new()),
        _ => (
            error("card_problem", "The card could not be processed"),
            Vec::new(),
        ),
    }
}

fn amount_outcome(request: &ChargeRequest) -> (Move, Vec<Move>) {
    let issued = to(Status::Issued);
    // A card authorised only (`capture: false`, through the hosted checkout) stops at
    // `pre_captured`; PIX and boleto have nothing to authorise.
    let paid = if !request.capture && !matches!(request.type_charge.as_str(), "pix" | "boleto") {
        vec![to(Status::Pending), to(Status::PreCaptured)]
    } else {
        vec![to(Status::Pending), to(Status::Confirmed), to(Status::Paid)]
    };
    let rest = match Scenario::of(request.installment_value) {
        Scenario::Success
        | Scenario::ReverseFailure
        | Scenario::Fail4
        | Scenario::ReverseSuccess => paid,
        Scenario::Fail1 => vec![
            to(Status::Pending),
            error("payment_declined", "Payment declined"),
        ],
        Scenario::Fail2 => vec![
            to(Status::Pending),
            error("errors.unexpected", "Unexpected error at the acquirer"),
        ],
        Scenario::Fail3 => vec![
            to(Status::Pending),
            error("antifraud_rejected", "Rejected by antifraud"),
        ],
        Scenario::Fail5 => vec![
            to(Status::Pending),
            error(
                "error_threeds_authentication",
                "Issuing bank declined the authentication",
            ),
        ],
        Scenario::Cancel => vec![to(Status::Pending), to(Status::Canceled)],
        Scenario::Stuck => vec![to(Status::Pending)],
    };
    (issued, rest)
}

/// Moves one charge along its plan, stopping if a manual operation took it over.
pub(crate) struct Mover {
    pub a55: Arc<A55>,
    pub uuid: String,
    pub generation: u32,
}

impl Advance for Mover {
    type Status = Move;

    fn advance(&mut self, step: &Move) -> Vec<Delivery> {
        let charge = if step.announce_only {
            self.a55
                .find(&self.uuid)
                .filter(|c| c.generation == self.generation)
        } else {
            self.a55.move_to(
                &self.uuid,
                step.status,
                step.problem.clone(),
                Some(self.generation),
            )
        };
        charge.map(|c| webhooks(&self.a55, &c)).unwrap_or_default()
    }
}

/// The webhook announcing `charge`'s current status, if it has somewhere to go.
pub(crate) fn webhooks(a55: &A55, charge: &Charge) -> Vec<Delivery> {
    let Some(url) = charge
        .webhook_url
        .clone()
        .or_else(|| a55.config.webhook_url.clone())
    else {
        return Vec::new();
    };
    let render: crate::dispatch::Renderer = if a55.config.legacy_webhooks {
        let body = serde_json::to_vec(&LegacyWebhook {
            charge_uuid: &charge.uuid,
            status: charge.status.as_str(),
            transaction_reference: &charge.transaction_reference,
            subscription_uuid: charge.subscription.as_ref().map(|s| s.0.as_str()),
            payment_link_uuid: None,
        })
        .unwrap_or_default();
        Arc::new(move |_| Rendered {
            headers: Vec::new(),
            body: body.clone(),
        })
    } else {
        let body = serde_json::to_vec(&a55.render(charge)).unwrap_or_default();
        let secret = a55.config.webhook_secret.clone();
        Arc::new(move |_| {
            let timestamp = Utc::now().timestamp();
            Rendered {
                headers: vec![
                    ("X-Webhook-Timestamp", timestamp.to_string()),
                    (
                        "X-Webhook-Signature",
                        a55_signature(&secret, timestamp, &body),
                    ),
                ],
                body: body.clone(),
            }
        })
    };
    vec![Delivery {
        provider: PROVIDER.to_owned(),
        order_id: charge.uuid.clone(),
        announces: charge.status.as_str().to_owned(),
        url,
        render,
        policy: Arc::new(super::retry::policy()),
    }]
}
