//! Approvals (maker–checker) and velocity limits: which payouts wait for a person.
//!
//! The policy is configuration (`GIRO_APPROVALS_FILE`): rules by provider, currency and amount,
//! and limits per beneficiary and UTC day (count and amount). A payout a rule or a limit catches
//! is accepted as `pending_approval`: its `payout.requested` carries [`ApprovalRequired`] (the
//! rules and why, who asked, until when), so no executor can pay it before `payout.approved`,
//! and a crash cannot separate the order from its requirement. An approver other than the
//! requester approves (`payout.approved`) or rejects (`payout.approval_rejected`); unanswered at
//! `expires_at` it expires (`payout.approval_expired`). Rejected and expired payouts end
//! `cancelled`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{OrderId, ProviderId};
use crate::money::{Currency, Money};
use crate::rail::PayoutBeneficiary;

/// A rule: payouts it matches wait for an approver. Conditions left out match anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRule {
    /// Unique; the requirement and the errors name the rule by it.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Payouts of at least this amount (a decimal string, in the payout's currency).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub min_amount: Option<Decimal>,
}

/// A limit per beneficiary and UTC day: a payout that would take the beneficiary's day past it
/// waits for an approver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VelocityLimit {
    pub name: String,
    /// The currency whose payouts count (its amounts are added).
    pub currency: Currency,
    /// Most payouts a day, this one included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_count: Option<u32>,
    /// Most amount a day, this one included (a decimal string).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub max_amount: Option<Decimal>,
}

fn day() -> u64 {
    86_400
}

/// The whole policy: `{"rules": [...], "velocity": [...], "expire_after_seconds": 86400}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ApprovalPolicy {
    #[serde(default)]
    pub rules: Vec<ApprovalRule>,
    #[serde(default)]
    pub velocity: Vec<VelocityLimit>,
    /// How long a payout waits for an approver before it expires (24 h by default).
    #[serde(default = "day")]
    pub expire_after_seconds: u64,
}

/// A beneficiary's payouts so far today in one currency, before the one being decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Velocity {
    pub count: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// What `payout.requested` records of a payout that must be approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApprovalRequired {
    /// The rules and limits that caught it, each with why (`large-cop: 6000000 COP is at least
    /// 5000000`).
    pub reasons: Vec<String>,
    /// The requesting operator (the verified token's subject) when a person asked; an approver
    /// must be someone else. Absent when a service asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    /// When it expires unanswered.
    pub expires_at: DateTime<Utc>,
}

/// `payout.approved`: an approver let the payout go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Approved {
    /// The approver (the verified token's subject).
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The payout's `execute_at`, when it has one: it is `scheduled` again until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execute_at: Option<DateTime<Utc>>,
}

/// `payout.approval_rejected`: an approver refused the payout; it ends `cancelled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApprovalRejected {
    pub by: String,
    pub reason: String,
}

/// `payout.approval_expired`: nobody answered by `expires_at`; it ends `cancelled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApprovalExpired {
    pub expires_at: DateTime<Utc>,
}

/// How a payout's approval was decided, as its log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    Approved,
    Rejected,
    Expired,
}

impl ApprovalPolicy {
    /// Reads the file's JSON; an error names what is wrong and where.
    pub fn parse(text: &str) -> Result<Self, String> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize::<_, ApprovalPolicy>(de)
            .map_err(|e| format!("at {}: {}", e.path(), e.inner()))
    }

    /// Every problem, each naming its rule or limit.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        let all = self
            .rules
            .iter()
            .map(|r| r.name.as_str())
            .chain(self.velocity.iter().map(|l| l.name.as_str()));
        for name in all {
            if name.trim().is_empty() {
                errors.push("a rule or limit has an empty name".to_string());
            } else if names.contains(&name) {
                errors.push(format!("{name:?}: the name is used twice"));
            }
            names.push(name);
        }
        for rule in &self.rules {
            if rule.min_amount.is_some_and(|m| m.is_sign_negative()) {
                errors.push(format!("{:?}: min_amount is negative", rule.name));
            }
        }
        for limit in &self.velocity {
            if limit.max_count.is_none() && limit.max_amount.is_none() {
                errors.push(format!(
                    "{:?}: a limit needs max_count, max_amount or both",
                    limit.name
                ));
            }
            if limit.max_count == Some(0) || limit.max_amount.is_some_and(|m| m <= Decimal::ZERO) {
                errors.push(format!("{:?}: a limit must be above 0", limit.name));
            }
        }
        if self.expire_after_seconds == 0 || self.expire_after_seconds > 30 * 86_400 {
            errors.push("expire_after_seconds must be from 1 to 2592000 (30 days)".to_string());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Whether the policy can catch anything (no file: nothing waits).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.velocity.is_empty()
    }

    /// Why a payout of `money` to `provider` must wait, given the beneficiary's day so far in
    /// that currency; empty when it may go.
    pub fn reasons(&self, provider: &ProviderId, money: &Money, today: Velocity) -> Vec<String> {
        let amount = money.amount();
        let currency = money.currency();
        let mut reasons = Vec::new();
        for rule in &self.rules {
            let matches = rule.provider.as_ref().is_none_or(|p| p == provider)
                && rule.currency.is_none_or(|c| c == currency)
                && rule.min_amount.is_none_or(|min| amount >= min);
            if matches {
                reasons.push(match rule.min_amount {
                    Some(min) => format!(
                        "{}: {amount} {} is at least {min}",
                        rule.name,
                        currency.code()
                    ),
                    None => format!("{}: every such payout needs an approver", rule.name),
                });
            }
        }
        for limit in self.velocity.iter().filter(|l| l.currency == currency) {
            let count = today.count.saturating_add(1);
            let total = today.amount + amount;
            if limit.max_count.is_some_and(|max| count > max) {
                reasons.push(format!(
                    "{}: payout {count} to this beneficiary today, above {}",
                    limit.name,
                    limit.max_count.unwrap_or_default()
                ));
            }
            if limit.max_amount.is_some_and(|max| total > max) {
                reasons.push(format!(
                    "{}: {total} {} to this beneficiary today, above {}",
                    limit.name,
                    currency.code(),
                    limit.max_amount.unwrap_or_default()
                ));
            }
        }
        reasons
    }

    /// The requirement a payout decided at `now` carries, if any.
    pub fn requirement(
        &self,
        reasons: Vec<String>,
        requested_by: Option<String>,
        now: DateTime<Utc>,
    ) -> Option<ApprovalRequired> {
        if reasons.is_empty() {
            return None;
        }
        let wait =
            chrono::Duration::seconds(i64::try_from(self.expire_after_seconds).unwrap_or(86_400));
        Some(ApprovalRequired {
            reasons,
            requested_by,
            expires_at: now + wait,
        })
    }
}

/// Who velocity limits count payouts for: the registered beneficiary when the payout names one,
/// else the receiving account (rail and account, hashed: no personal data in the key).
pub fn velocity_key(beneficiary: &PayoutBeneficiary, registered: Option<OrderId>) -> String {
    if let Some(id) = registered {
        return format!("b{}", id.to_string().replace('-', ""));
    }
    let account = match beneficiary {
        PayoutBeneficiary::CoBank(a) => {
            format!("co_bank:{}:{}", a.bank_code, a.account_number.expose())
        }
        PayoutBeneficiary::CoAlias(a) => format!("co_alias:{}", a.alias.expose()),
        PayoutBeneficiary::TzMobile(w) => format!("tz_mobile:{}", w.msisdn.expose()),
    };
    format!(
        "a{}",
        hex::encode(&Sha256::digest(account.as_bytes())[..16])
    )
}
