//! Beneficiary accounts (`/api/v2/accounts`, seed 002): what is stored, how it is written, and the
//! verification scenario its number picks.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::clock::iso_millis;

/// The provider name accounts are journalled under (`GET /_sandbox/orders?provider=killb-accounts`).
pub(crate) const ACCOUNTS: &str = "killb-accounts";

/// KillB account statuses: only ACTIVE may transact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AccountStatus {
    Pending,
    Active,
    Rejected,
    Inactive,
}

impl AccountStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Active => "ACTIVE",
            Self::Rejected => "REJECTED",
            Self::Inactive => "INACTIVE",
        }
    }
}

/// How verification ends, picked by the last digit of the account's number (account number, CLABE,
/// phone or address): 1 rejected, 2 pending forever, 3 active then later inactive, else active.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verification {
    Active,
    Rejected,
    Stuck,
    ActiveThenInactive,
}

impl Verification {
    /// The scenario of `key` (the number the account is identified by).
    pub(crate) fn of(key: &str) -> Self {
        match key.chars().last().and_then(|c| c.to_digit(10)) {
            Some(1) => Self::Rejected,
            Some(2) => Self::Stuck,
            Some(3) => Self::ActiveThenInactive,
            _ => Self::Active,
        }
    }
}

/// A stored account.
#[derive(Debug, Clone)]
pub(crate) struct UserAccount {
    pub id: String,
    pub kind: String,
    pub user_id: String,
    pub external_id: String,
    pub status: AccountStatus,
    pub data: serde_json::Value,
    /// The number the scenario and `accountNumber`/`address` filters read.
    pub key: String,
    pub deleted: bool,
    /// Bumped by every PATCH and DELETE so an older verification run stops moving the account.
    pub generation: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An account as KillB writes it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccountOut {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub user_id: String,
    pub external_id: String,
    pub status: &'static str,
    pub data: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

impl UserAccount {
    pub(crate) fn wire(&self) -> AccountOut {
        AccountOut {
            id: self.id.clone(),
            kind: self.kind.clone(),
            user_id: self.user_id.clone(),
            external_id: self.external_id.clone(),
            status: self.status.as_str(),
            data: self.data.clone(),
            created_at: iso_millis(self.created_at),
            updated_at: iso_millis(self.updated_at),
        }
    }

    /// The currency the account receives, for the journal.
    pub(crate) fn currency(&self) -> String {
        match self.kind.as_str() {
            "PSE" | "TRANSFIYA" => "COP".to_owned(),
            "SPEI" => "MXN".to_owned(),
            "ACH" | "WIRE" => "USD".to_owned(),
            _ => self
                .data
                .get("currency")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_digit_picks_the_scenario() {
        assert_eq!(Verification::of("1234567891"), Verification::Rejected);
        assert_eq!(Verification::of("+573001234562"), Verification::Stuck);
        assert_eq!(Verification::of("0xabc3"), Verification::ActiveThenInactive);
        assert_eq!(Verification::of("0xabcd"), Verification::Active);
        assert_eq!(Verification::of("1234567890"), Verification::Active);
    }
}
