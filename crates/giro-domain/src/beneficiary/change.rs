//! Changing and removing a beneficiary's account after registration (seed 002:
//! `PATCH /api/v2/accounts/{accountId}` with the few fields KillB lets change, which may put the
//! account back to PENDING; `DELETE /api/v2/accounts/{accountId}`, refused while a pending or
//! processing payout uses the account). The commands are decided here; the accounts executor
//! asks the provider and records its answer.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::account::{AccountData, AccountDocument, ClabeType, opt_pii};
use super::{Beneficiary, BeneficiaryStatus};
use crate::ids::OrderId;
use crate::rejection::{ErrorCode, Rejection};
use crate::secret::Pii;
use crate::wire;

/// The `data` fields `giro.cmd.beneficiary.update` may change, in Giro's spelling.
pub const UPDATABLE_FIELDS: [&str; 6] = [
    "document",
    "clabe",
    "clabe_type",
    "address",
    "account_number",
    "bank_code",
];

/// New values for some of an account's updatable fields; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountChanges {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::wire::optional_object"
    )]
    pub document: Option<AccountDocument>,
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_pii")]
    pub clabe: Option<Pii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clabe_type: Option<ClabeType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_pii")]
    pub account_number: Option<Pii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
}

impl AccountChanges {
    /// `data` with these changes applied.
    pub fn applied_to(&self, data: &AccountData) -> AccountData {
        let mut out = data.clone();
        if let Some(d) = &self.document {
            out.document = d.clone();
        }
        if self.clabe.is_some() {
            out.clabe.clone_from(&self.clabe);
        }
        if self.clabe_type.is_some() {
            out.clabe_type = self.clabe_type;
        }
        if self.address.is_some() {
            out.address.clone_from(&self.address);
        }
        if self.account_number.is_some() {
            out.account_number.clone_from(&self.account_number);
        }
        if self.bank_code.is_some() {
            out.bank_code.clone_from(&self.bank_code);
        }
        out
    }

    /// The changes with personal fields masked, as the account data is shown.
    pub fn masked(&self) -> Value {
        let shown = |p: &Option<Pii>| p.as_ref().map(|p| Value::String(p.masked()));
        let mut m = Map::new();
        if let Some(d) = &self.document {
            m.insert(
                "document".into(),
                serde_json::json!({"type": d.doc_type, "number": d.number.masked(),
                                   "issued_country_code": d.issued_country_code}),
            );
        }
        if let Some(v) = shown(&self.clabe) {
            m.insert("clabe".into(), v);
        }
        if let Some(t) = self.clabe_type {
            m.insert(
                "clabe_type".into(),
                serde_json::to_value(t).unwrap_or(Value::Null),
            );
        }
        if let Some(a) = &self.address {
            m.insert("address".into(), Value::String(a.clone()));
        }
        if let Some(v) = shown(&self.account_number) {
            m.insert("account_number".into(), v);
        }
        if let Some(b) = &self.bank_code {
            m.insert("bank_code".into(), Value::String(b.clone()));
        }
        Value::Object(m)
    }
}

/// `beneficiary.update_requested`: Giro accepted new values; the executor sends them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BeneficiaryUpdateRequested {
    pub changes: AccountChanges,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `beneficiary.updated`: the provider took the changes; the account is now in `status` (often
/// PENDING again while the provider verifies it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BeneficiaryUpdated {
    pub status: BeneficiaryStatus,
    pub changes: AccountChanges,
}

/// `beneficiary.update_failed` / `beneficiary.removal_failed`: the provider refused; the account
/// stays as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BeneficiaryChangeFailed {
    pub reason: String,
}

/// `beneficiary.removal_requested`: Giro accepted the removal; the executor asks the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BeneficiaryRemovalRequested {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `beneficiary.removed`: the provider deleted the account; the beneficiary is INACTIVE for good
/// and receives no more payouts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BeneficiaryRemoved {
    pub status: BeneficiaryStatus,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateInput {
    beneficiary_id: String,
    data: Value,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveInput {
    beneficiary_id: String,
    #[serde(default)]
    reason: Option<String>,
}

fn parse_id(id: &str) -> Result<OrderId, Rejection> {
    id.parse::<OrderId>()
        .map_err(|_| Rejection::at(ErrorCode::InvalidField, "beneficiary_id", "must be a UUID"))
}

fn parse_reason(reason: Option<String>) -> Result<Option<String>, Rejection> {
    match reason.map(|r| r.trim().to_string()) {
        None => Ok(None),
        Some(r) if !r.is_empty() && r.chars().count() <= 500 => Ok(Some(r)),
        Some(_) => Err(Rejection::at(
            ErrorCode::InvalidField,
            "reason",
            "must be 1 to 500 characters",
        )),
    }
}

/// Parses `giro.cmd.beneficiary.update`: the beneficiary and its changes (checked against the
/// account by the decider, which knows its type).
pub fn parse_update(body: &[u8]) -> Result<(OrderId, AccountChanges, Option<String>), Rejection> {
    let input: UpdateInput = wire::typed(Value::Object(wire::parse_object(body)?), "")?;
    let id = parse_id(&input.beneficiary_id)?;
    let Value::Object(data) = &input.data else {
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            "data",
            "must be a JSON object",
        ));
    };
    if let Some(field) = data
        .keys()
        .find(|k| !UPDATABLE_FIELDS.contains(&k.as_str()))
    {
        return Err(Rejection::at(
            ErrorCode::InvalidField,
            format!("data.{field}"),
            format!(
                "cannot be updated (only {} can)",
                UPDATABLE_FIELDS.join(", ")
            ),
        ));
    }
    if data.values().all(Value::is_null) {
        return Err(Rejection::at(
            ErrorCode::MissingField,
            "data",
            format!("give at least one of {}", UPDATABLE_FIELDS.join(", ")),
        ));
    }
    let changes: AccountChanges = wire::typed(input.data, "data")?;
    Ok((id, changes, parse_reason(input.reason)?))
}

/// Parses `giro.cmd.beneficiary.remove`.
pub fn parse_remove(body: &[u8]) -> Result<(OrderId, Option<String>), Rejection> {
    let input: RemoveInput = wire::typed(Value::Object(wire::parse_object(body)?), "")?;
    Ok((
        parse_id(&input.beneficiary_id)?,
        parse_reason(input.reason)?,
    ))
}

fn invalid_state(message: &str) -> Rejection {
    Rejection::new(ErrorCode::InvalidState, message)
}

/// What may stop any change: erased data, a removal, no account at the provider yet.
fn changeable(b: &Beneficiary) -> Result<(), Rejection> {
    if b.personal_data_erased {
        return Err(invalid_state(
            "the beneficiary's personal data was erased; it cannot be changed",
        ));
    }
    if b.removed {
        return Err(invalid_state("the beneficiary was removed"));
    }
    if b.provider_ref.is_none() {
        return Err(invalid_state(
            "the beneficiary's account is not yet created at the provider; try again once it is",
        ));
    }
    Ok(())
}

/// Decides an update: nothing when the same changes are in progress or already in place.
pub(super) fn decide_update(
    b: &Beneficiary,
    changes: &AccountChanges,
    reason: &Option<String>,
) -> Result<Option<BeneficiaryUpdateRequested>, Rejection> {
    changeable(b)?;
    if b.removal_requested {
        return Err(invalid_state("the beneficiary is being removed"));
    }
    if let Some(pending) = &b.pending_update {
        return if pending.changes == *changes {
            Ok(None)
        } else {
            Err(invalid_state(
                "another update of this beneficiary is in progress; try again once it is done",
            ))
        };
    }
    let merged = changes.applied_to(&b.registration.data);
    merged
        .validate(b.registration.account_type)
        .map_err(|r| r.under("data"))?;
    if merged == b.registration.data {
        return Ok(None);
    }
    Ok(Some(BeneficiaryUpdateRequested {
        changes: changes.clone(),
        reason: reason.clone(),
    }))
}

/// Decides a removal: nothing when already removed or being removed.
pub(super) fn decide_remove(
    b: &Beneficiary,
    reason: &Option<String>,
) -> Result<Option<BeneficiaryRemovalRequested>, Rejection> {
    if b.removed || b.removal_requested {
        return if b.personal_data_erased && !b.removed {
            Err(invalid_state("the beneficiary's personal data was erased"))
        } else {
            Ok(None)
        };
    }
    changeable(b)?;
    if b.pending_update.is_some() {
        return Err(invalid_state(
            "an update of this beneficiary is in progress; remove it once that is done",
        ));
    }
    Ok(Some(BeneficiaryRemovalRequested {
        reason: reason.clone(),
    }))
}
