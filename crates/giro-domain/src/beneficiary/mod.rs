//! The beneficiary aggregate: a payout destination registered once (as a KillB account) and paid
//! many times, only while KillB reports it ACTIVE.

mod account;
mod change;

pub use account::{AccountData, AccountDocument, AccountType, ClabeType, Network};
pub use change::{
    AccountChanges, BeneficiaryChangeFailed, BeneficiaryRemovalRequested, BeneficiaryRemoved,
    BeneficiaryUpdateRequested, BeneficiaryUpdated, UPDATABLE_FIELDS, parse_remove, parse_update,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::decider::Decider;
use crate::envelope::{Envelope, EventType};
use crate::ids::{IdempotencyKey, OrderId, OrderKind};
use crate::payout::{parse_external_id, parse_key};
use crate::privacy::PersonalDataErased;
use crate::rejection::{ErrorCode, Rejection};
use crate::wire;

/// KillB's account statuses; only ACTIVE may transact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum BeneficiaryStatus {
    Active,
    Pending,
    Rejected,
    Inactive,
}

/// A registration Giro accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BeneficiaryRegistered {
    pub idempotency_key: IdempotencyKey,
    pub fingerprint: String,
    #[serde(rename = "account_type")]
    pub account_type: AccountType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The provider's user the account is linked to; when absent, the accounts provider's
    /// configured default user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub data: AccountData,
}

/// KillB reported a new status for the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BeneficiaryStatusChanged {
    pub status: BeneficiaryStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Everything that can happen to a beneficiary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "data")]
pub enum BeneficiaryEvent {
    #[serde(rename = "beneficiary.registered")]
    Registered(Box<BeneficiaryRegistered>),
    #[serde(rename = "beneficiary.status_changed")]
    StatusChanged(BeneficiaryStatusChanged),
    #[serde(rename = "beneficiary.personal_data_erased")]
    PersonalDataErased(PersonalDataErased),
    #[serde(rename = "beneficiary.update_requested")]
    UpdateRequested(BeneficiaryUpdateRequested),
    #[serde(rename = "beneficiary.updated")]
    Updated(BeneficiaryUpdated),
    #[serde(rename = "beneficiary.update_failed")]
    UpdateFailed(BeneficiaryChangeFailed),
    #[serde(rename = "beneficiary.removal_requested")]
    RemovalRequested(BeneficiaryRemovalRequested),
    #[serde(rename = "beneficiary.removed")]
    Removed(BeneficiaryRemoved),
    #[serde(rename = "beneficiary.removal_failed")]
    RemovalFailed(BeneficiaryChangeFailed),
}

impl EventType for BeneficiaryEvent {
    fn event_type(&self) -> &'static str {
        match self {
            BeneficiaryEvent::Registered(_) => "beneficiary.registered",
            BeneficiaryEvent::StatusChanged(_) => "beneficiary.status_changed",
            BeneficiaryEvent::PersonalDataErased(_) => "beneficiary.personal_data_erased",
            BeneficiaryEvent::UpdateRequested(_) => "beneficiary.update_requested",
            BeneficiaryEvent::Updated(_) => "beneficiary.updated",
            BeneficiaryEvent::UpdateFailed(_) => "beneficiary.update_failed",
            BeneficiaryEvent::RemovalRequested(_) => "beneficiary.removal_requested",
            BeneficiaryEvent::Removed(_) => "beneficiary.removed",
            BeneficiaryEvent::RemovalFailed(_) => "beneficiary.removal_failed",
        }
    }
}

impl crate::envelope::Upcast for BeneficiaryEvent {}

impl BeneficiaryEvent {
    /// The event's data with personal fields masked.
    pub fn masked_data(&self) -> Value {
        match self {
            BeneficiaryEvent::Registered(r) => json!({
                "account_type": r.account_type,
                "external_id": r.external_id,
                "data": r.data.masked(),
            }),
            BeneficiaryEvent::StatusChanged(s) => serde_json::to_value(s).unwrap_or(Value::Null),
            BeneficiaryEvent::UpdateRequested(u) => json!({
                "changes": u.changes.masked(),
                "reason": u.reason,
            }),
            BeneficiaryEvent::Updated(u) => json!({
                "status": u.status,
                "changes": u.changes.masked(),
            }),
            BeneficiaryEvent::PersonalDataErased(e) => {
                serde_json::to_value(e).unwrap_or(Value::Null)
            }
            BeneficiaryEvent::UpdateFailed(f) | BeneficiaryEvent::RemovalFailed(f) => {
                serde_json::to_value(f).unwrap_or(Value::Null)
            }
            BeneficiaryEvent::RemovalRequested(r) => serde_json::to_value(r).unwrap_or(Value::Null),
            BeneficiaryEvent::Removed(r) => serde_json::to_value(r).unwrap_or(Value::Null),
        }
    }
}

/// A beneficiary as its events describe it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Beneficiary {
    pub id: OrderId,
    pub registration: BeneficiaryRegistered,
    pub status: BeneficiaryStatus,
    pub provider_ref: Option<String>,
    /// Whether its personal data was erased: an erased beneficiary is not paid any more.
    pub personal_data_erased: bool,
    /// Changes accepted and not yet answered by the provider.
    pub pending_update: Option<BeneficiaryUpdateRequested>,
    /// A removal accepted and not yet answered by the provider.
    pub removal_requested: bool,
    /// Deleted at the provider: INACTIVE for good.
    pub removed: bool,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What can be asked of a beneficiary.
#[derive(Debug, Clone, PartialEq)]
pub enum BeneficiaryCommand {
    Register {
        id: OrderId,
        registration: Box<BeneficiaryRegistered>,
    },
    RecordStatus(BeneficiaryStatusChanged),
    /// Erase the beneficiary's personal data (`giro.cmd.privacy.erase`); not while KillB is
    /// still creating its account.
    ErasePersonalData {
        reason: String,
    },
    /// `giro.cmd.beneficiary.update`: change some of the account's updatable fields.
    Update {
        changes: AccountChanges,
        reason: Option<String>,
    },
    /// `giro.cmd.beneficiary.remove`: delete the account at the provider.
    Remove {
        reason: Option<String>,
    },
    /// The provider took the pending changes (executor).
    RecordUpdated(BeneficiaryStatus),
    /// The provider refused the pending changes (executor).
    RecordUpdateFailed(BeneficiaryChangeFailed),
    /// The provider deleted the account (executor).
    RecordRemoved,
    /// The provider refused to delete the account (executor).
    RecordRemovalFailed(BeneficiaryChangeFailed),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    idempotency_key: String,
    #[serde(rename = "type")]
    account_type: AccountType,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    data: Value,
}

/// Parses and validates `giro.cmd.beneficiary.register`.
pub fn parse_register(body: &[u8]) -> Result<BeneficiaryCommand, Rejection> {
    let object = Value::Object(wire::parse_object(body)?);
    let fingerprint = wire::fingerprint(&object);
    wire::object_at(&object, "data")?;
    let input: Input = wire::typed(object, "")?;
    let idempotency_key = parse_key(input.idempotency_key)?;
    let data: AccountData = wire::typed(input.data, "data")?;
    data.validate(input.account_type)
        .map_err(|r| r.under("data"))?;
    let id = OrderId::for_idempotency_key(OrderKind::Beneficiary, &idempotency_key);
    Ok(BeneficiaryCommand::Register {
        id,
        registration: Box::new(BeneficiaryRegistered {
            idempotency_key,
            fingerprint,
            account_type: input.account_type,
            external_id: parse_external_id(input.external_id)?,
            user_id: parse_user_id(input.user_id)?,
            data,
        }),
    })
}

/// A user id: 1 to 100 printable characters without spaces, or absent.
fn parse_user_id(user_id: Option<String>) -> Result<Option<String>, Rejection> {
    match user_id {
        None => Ok(None),
        Some(u) if !u.is_empty() && u.len() <= 100 && u.chars().all(|c| c.is_ascii_graphic()) => {
            Ok(Some(u))
        }
        Some(_) => Err(Rejection::at(
            ErrorCode::InvalidField,
            "user_id",
            "must be 1 to 100 printable characters without spaces",
        )),
    }
}

pub use crate::provider::ACCOUNTS_PROVIDER;

/// The beneficiary decider.
pub struct BeneficiaryDecider;

impl Decider for BeneficiaryDecider {
    type State = Option<Beneficiary>;
    type Command = BeneficiaryCommand;
    type Event = BeneficiaryEvent;
    const KIND: OrderKind = OrderKind::Beneficiary;

    fn decide(
        state: &Self::State,
        command: &Self::Command,
        _now: DateTime<Utc>,
    ) -> Result<Vec<Self::Event>, Rejection> {
        match (state, command) {
            (None, BeneficiaryCommand::Register { registration, .. }) => {
                Ok(vec![BeneficiaryEvent::Registered(registration.clone())])
            }
            (Some(b), BeneficiaryCommand::Register { registration, .. }) => {
                if b.registration.fingerprint == registration.fingerprint {
                    Ok(vec![])
                } else {
                    Err(Rejection::at(
                        ErrorCode::IdempotencyConflict,
                        "idempotency_key",
                        "was already used for a beneficiary with a different body",
                    ))
                }
            }
            (None, _) => Err(Rejection::new(ErrorCode::NotFound, "no such beneficiary")),
            (Some(b), BeneficiaryCommand::RecordStatus(_)) if b.removed => Ok(vec![]),
            (Some(b), BeneficiaryCommand::Update { changes, reason }) => {
                Ok(change::decide_update(b, changes, reason)?
                    .map(BeneficiaryEvent::UpdateRequested)
                    .into_iter()
                    .collect())
            }
            (Some(b), BeneficiaryCommand::Remove { reason }) => {
                Ok(change::decide_remove(b, reason)?
                    .map(BeneficiaryEvent::RemovalRequested)
                    .into_iter()
                    .collect())
            }
            (Some(b), BeneficiaryCommand::RecordUpdated(status)) => Ok(b
                .pending_update
                .as_ref()
                .map(|p| {
                    BeneficiaryEvent::Updated(BeneficiaryUpdated {
                        status: *status,
                        changes: p.changes.clone(),
                    })
                })
                .into_iter()
                .collect()),
            (Some(b), BeneficiaryCommand::RecordUpdateFailed(f)) => Ok(b
                .pending_update
                .as_ref()
                .map(|_| BeneficiaryEvent::UpdateFailed(f.clone()))
                .into_iter()
                .collect()),
            (Some(b), BeneficiaryCommand::RecordRemoved) if b.removal_requested => {
                Ok(vec![BeneficiaryEvent::Removed(BeneficiaryRemoved {
                    status: BeneficiaryStatus::Inactive,
                })])
            }
            (Some(b), BeneficiaryCommand::RecordRemovalFailed(f)) if b.removal_requested => {
                Ok(vec![BeneficiaryEvent::RemovalFailed(f.clone())])
            }
            (
                Some(_),
                BeneficiaryCommand::RecordRemoved | BeneficiaryCommand::RecordRemovalFailed(_),
            ) => Ok(vec![]),
            (Some(b), BeneficiaryCommand::RecordStatus(s)) => {
                if b.status == s.status
                    && (s.provider_ref.is_none() || b.provider_ref == s.provider_ref)
                {
                    Ok(vec![])
                } else {
                    Ok(vec![BeneficiaryEvent::StatusChanged(s.clone())])
                }
            }
            (Some(b), BeneficiaryCommand::ErasePersonalData { .. }) if b.personal_data_erased => {
                Ok(vec![])
            }
            (Some(b), BeneficiaryCommand::ErasePersonalData { .. })
                if b.status == BeneficiaryStatus::Pending =>
            {
                Err(crate::privacy::erase_refused("beneficiary", "PENDING"))
            }
            (Some(_), BeneficiaryCommand::ErasePersonalData { reason }) => {
                Ok(vec![BeneficiaryEvent::PersonalDataErased(
                    PersonalDataErased {
                        reason: reason.clone(),
                    },
                )])
            }
        }
    }

    /// Beneficiaries are accounts at the accounts instance: their events are for its executor.
    fn route(_state: &Self::State, _event: &Self::Event) -> Option<String> {
        Some(ACCOUNTS_PROVIDER.to_string())
    }

    fn evolve(state: Self::State, env: &Envelope<Self::Event>) -> Self::State {
        match (state, &env.event) {
            (None, BeneficiaryEvent::Registered(r)) if env.version == 1 => Some(Beneficiary {
                id: env.order_id,
                registration: (**r).clone(),
                status: BeneficiaryStatus::Pending,
                provider_ref: None,
                personal_data_erased: false,
                pending_update: None,
                removal_requested: false,
                removed: false,
                version: 1,
                created_at: env.at,
                updated_at: env.at,
            }),
            (Some(mut b), BeneficiaryEvent::StatusChanged(s)) => {
                b.status = s.status;
                if s.provider_ref.is_some() {
                    b.provider_ref.clone_from(&s.provider_ref);
                }
                b.version = env.version;
                b.updated_at = env.at;
                Some(b)
            }
            (Some(mut b), event) if env.version > b.version => {
                match event {
                    BeneficiaryEvent::PersonalDataErased(_) => b.personal_data_erased = true,
                    BeneficiaryEvent::UpdateRequested(u) => b.pending_update = Some(u.clone()),
                    BeneficiaryEvent::Updated(u) => {
                        b.registration.data = u.changes.applied_to(&b.registration.data);
                        b.status = u.status;
                        b.pending_update = None;
                    }
                    BeneficiaryEvent::UpdateFailed(_) => b.pending_update = None,
                    BeneficiaryEvent::RemovalRequested(_) => b.removal_requested = true,
                    BeneficiaryEvent::Removed(r) => {
                        b.status = r.status;
                        b.removed = true;
                        b.removal_requested = false;
                    }
                    BeneficiaryEvent::RemovalFailed(_) => b.removal_requested = false,
                    BeneficiaryEvent::Registered(_) | BeneficiaryEvent::StatusChanged(_) => {
                        return Some(b);
                    }
                }
                b.version = env.version;
                b.updated_at = env.at;
                Some(b)
            }
            (state, _) => state,
        }
    }
}
