//! The charge (pay-in) aggregate, A55 first: creation with its validation, and cancellation before
//! a provider has it. Raw card data never enters Giro: cards go through the hosted checkout.

mod request;

pub use request::{CreateCharge, parse_create};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::decider::Decider;
use crate::envelope::{Envelope, EventType};
use crate::ids::{IdempotencyKey, OrderId, OrderKind, ProviderId};
use crate::money::Money;
use crate::rejection::{ErrorCode, Rejection};
use crate::secret::{Pii, pii};

/// Payment methods A55 offers through one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeMethod {
    CreditCard,
    DebitCard,
    Pix,
    Boleto,
    Applepay,
    Googlepay,
}

/// Billing address of the payer (A55 `payer_address`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub street: String,
    pub address_number: String,
    pub complement: String,
    pub neighborhood: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Who pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payer {
    #[serde(with = "pii::initials")]
    pub name: Pii,
    #[serde(with = "pii::email")]
    pub email: Pii,
    #[serde(with = "pii::last_four")]
    pub tax_id: Pii,
    #[serde(with = "pii::last_four")]
    pub phone: Pii,
    pub address: Address,
}

/// A recurring charge created with the first one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub cycle: SubscriptionCycle,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionCycle {
    Weekly,
    Biweekly,
    Monthly,
    Quarterly,
    Semiannually,
    Yearly,
}

/// An accepted charge order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChargeRequested {
    pub idempotency_key: IdempotencyKey,
    pub fingerprint: String,
    pub provider: ProviderId,
    /// The amount of each installment.
    #[serde(flatten)]
    pub money: Money,
    pub installment_count: u32,
    pub method: ChargeMethod,
    pub payer: Payer,
    pub due_date: NaiveDate,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<Subscription>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// A charge cancelled before it reached a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeCancelled {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Everything that can happen to a charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ChargeEvent {
    #[serde(rename = "charge.requested")]
    Requested(Box<ChargeRequested>),
    #[serde(rename = "charge.cancelled")]
    Cancelled(ChargeCancelled),
}

impl EventType for ChargeEvent {
    fn event_type(&self) -> &'static str {
        match self {
            ChargeEvent::Requested(_) => "charge.requested",
            ChargeEvent::Cancelled(_) => "charge.cancelled",
        }
    }
}

impl ChargeEvent {
    /// The event's data with the payer masked.
    pub fn masked_data(&self) -> Value {
        match self {
            ChargeEvent::Requested(r) => {
                let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
                if let Some(payer) = v.get_mut("payer").and_then(Value::as_object_mut) {
                    payer.insert("name".into(), r.payer.name.masked().into());
                    payer.insert("email".into(), r.payer.email.masked().into());
                    payer.insert("tax_id".into(), r.payer.tax_id.masked().into());
                    payer.insert("phone".into(), r.payer.phone.masked().into());
                }
                v
            }
            ChargeEvent::Cancelled(c) => serde_json::to_value(c).unwrap_or(Value::Null),
        }
    }
}

/// Canonical charge statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeStatus {
    Requested,
    Cancelled,
}

impl ChargeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Requested => "requested",
            ChargeStatus::Cancelled => "cancelled",
        }
    }
}

/// A charge as its events describe it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Charge {
    pub id: OrderId,
    pub request: ChargeRequested,
    pub status: ChargeStatus,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What can be asked of a charge.
#[derive(Debug, Clone, PartialEq)]
pub enum ChargeCommand {
    Create(Box<CreateCharge>),
    Cancel { reason: Option<String> },
}

/// The charge decider.
pub struct ChargeDecider;

impl Decider for ChargeDecider {
    type State = Option<Charge>;
    type Command = ChargeCommand;
    type Event = ChargeEvent;
    const KIND: OrderKind = OrderKind::Charge;

    fn decide(
        state: &Self::State,
        command: &Self::Command,
        _now: DateTime<Utc>,
    ) -> Result<Vec<Self::Event>, Rejection> {
        match (state, command) {
            (None, ChargeCommand::Create(c)) => {
                Ok(vec![ChargeEvent::Requested(Box::new(c.requested.clone()))])
            }
            (Some(ch), ChargeCommand::Create(c)) => {
                if ch.request.fingerprint == c.requested.fingerprint {
                    Ok(vec![])
                } else {
                    Err(Rejection::at(
                        ErrorCode::IdempotencyConflict,
                        "idempotency_key",
                        "was already used for a charge with a different body",
                    ))
                }
            }
            (None, ChargeCommand::Cancel { .. }) => {
                Err(Rejection::new(ErrorCode::NotFound, "no such charge"))
            }
            (Some(ch), ChargeCommand::Cancel { reason }) => match ch.status {
                ChargeStatus::Requested => Ok(vec![ChargeEvent::Cancelled(ChargeCancelled {
                    reason: reason.clone(),
                })]),
                ChargeStatus::Cancelled => Ok(vec![]),
            },
        }
    }

    fn route(state: &Self::State, event: &Self::Event) -> Option<String> {
        match (state, event) {
            (_, ChargeEvent::Requested(r)) => Some(r.provider.to_string()),
            (Some(c), _) => Some(c.request.provider.to_string()),
            (None, _) => None,
        }
    }

    fn evolve(state: Self::State, env: &Envelope<Self::Event>) -> Self::State {
        match (state, &env.event) {
            (None, ChargeEvent::Requested(r)) if env.version == 1 => Some(Charge {
                id: env.order_id,
                request: (**r).clone(),
                status: ChargeStatus::Requested,
                version: 1,
                created_at: env.at,
                updated_at: env.at,
            }),
            (Some(mut ch), ChargeEvent::Cancelled(_)) if ch.status == ChargeStatus::Requested => {
                ch.status = ChargeStatus::Cancelled;
                ch.version = env.version;
                ch.updated_at = env.at;
                Some(ch)
            }
            (Some(mut ch), _) => {
                ch.version = env.version;
                ch.updated_at = env.at;
                Some(ch)
            }
            (None, _) => None,
        }
    }
}
