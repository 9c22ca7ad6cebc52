//! Which Colombian banks each provider instance pays into: the bank list its set-up last fetched
//! from the provider (KillB's `GET /api/v2/banks`, Cashy's `bankListQuery`), by instance.
//!
//! Intake checks a payout's bank code against the list of the instance the payout is routed to,
//! and a beneficiary account's against the list of the instance that keeps accounts
//! ([`crate::beneficiary::ACCOUNTS_PROVIDER`]). Until an instance's list has been fetched, Giro's
//! own list ([`crate::co_banks::CO_BANKS`]) stands in. The shape of a code (3 or 4 digits) is the
//! rail's rule and is checked before, without any list.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::beneficiary::{AccountChanges, AccountData};
use crate::co_banks::{self, CO_BANKS};
use crate::rejection::{ErrorCode, Rejection};

/// One bank list: the codes' numbers (`co_banks::number`), so `001` and `0001` are one bank. It
/// travels as a JSON array of codes; one read in any spelling is held by number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<String>")]
pub struct BankCodes(BTreeSet<String>);

impl From<Vec<String>> for BankCodes {
    fn from(codes: Vec<String>) -> Self {
        Self::from_codes(codes.iter().map(String::as_str))
    }
}

impl BankCodes {
    /// The list of `codes`, in any spelling (`007`, `0007`).
    pub fn from_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> Self {
        BankCodes(
            codes
                .into_iter()
                .map(co_banks::number)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    /// Giro's own list, which applies before a provider's has been fetched.
    pub fn built_in() -> Self {
        Self::from_codes(CO_BANKS.iter().map(|b| b.code))
    }

    /// Whether `code` (in either spelling) is in the list.
    pub fn contains(&self, code: &str) -> bool {
        self.0.contains(co_banks::number(code))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The bank lists of the provider instances, by instance id; an instance without one takes
/// [`BankCodes::built_in`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BankLists {
    lists: BTreeMap<String, BankCodes>,
}

impl BankLists {
    /// Holds `codes` as the list of `provider`, replacing the one held.
    pub fn set(&mut self, provider: &str, codes: BankCodes) {
        self.lists.insert(provider.to_string(), codes);
    }

    /// Forgets the list of `provider`: the built-in list applies to it again.
    pub fn remove(&mut self, provider: &str) {
        self.lists.remove(provider);
    }

    /// The fetched list of `provider`, if one was.
    pub fn get(&self, provider: &str) -> Option<&BankCodes> {
        self.lists.get(provider)
    }

    /// Ok when `provider` pays into the bank `code`; else why not, naming whose list it is not in.
    pub fn check(&self, provider: &str, code: &str) -> Result<(), String> {
        match self.lists.get(provider) {
            Some(list) if list.contains(code) => Ok(()),
            Some(_) => Err(format!(
                "{code:?} is not in {provider}'s bank list (as {provider} last listed its \
                 Colombian banks)"
            )),
            None if BankCodes::built_in().contains(code) => Ok(()),
            None => Err(format!(
                "{code:?} is not a Colombian bank Giro knows ({provider}'s own bank list has not \
                 been fetched yet, so Giro's built-in list applies)"
            )),
        }
    }

    /// Checks a beneficiary account's bank (registration) against the list of `provider`, the
    /// instance that keeps accounts: the refusal names `data.bank_code`.
    pub fn check_account(&self, provider: &str, data: &AccountData) -> Result<(), Rejection> {
        self.check_code_at(provider, data.bank_code.as_deref())
    }

    /// As [`BankLists::check_account`], for the bank code an update sets.
    pub fn check_changes(&self, provider: &str, changes: &AccountChanges) -> Result<(), Rejection> {
        self.check_code_at(provider, changes.bank_code.as_deref())
    }

    fn check_code_at(&self, provider: &str, code: Option<&str>) -> Result<(), Rejection> {
        match code {
            None => Ok(()),
            Some(code) => self
                .check(provider, code)
                .map_err(|m| Rejection::at(ErrorCode::InvalidBeneficiary, "data.bank_code", m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fetched_list_replaces_the_built_in_one_for_its_instance_only() {
        let mut lists = BankLists::default();
        assert!(lists.check("killb", "0001").is_ok());
        let unknown = lists.check("killb", "059").unwrap_err();
        assert!(unknown.contains("not been fetched"), "{unknown}");

        lists.set("killb", BankCodes::from_codes(["0059", "007"]));
        assert!(lists.check("killb", "059").is_ok());
        assert!(lists.check("killb", "0007").is_ok());
        let gone = lists.check("killb", "001").unwrap_err();
        assert!(gone.contains("killb's bank list"), "{gone}");
        assert!(lists.check("cashy-co", "059").is_err(), "other instances");

        lists.remove("killb");
        assert!(lists.check("killb", "001").is_ok());
    }

    #[test]
    fn codes_travel_as_a_list_of_numbers() {
        let codes = BankCodes::from_codes(["0001", "507", ""]);
        assert_eq!(serde_json::to_string(&codes).unwrap(), r#"["1","507"]"#);
        let back: BankCodes = serde_json::from_str(r#"["0001","507"]"#).unwrap();
        assert_eq!((back.len(), back.contains("001")), (2, true));
        assert!(BankCodes::built_in().contains("0051") && !BankCodes::default().contains("51"));
        assert!(BankCodes::default().is_empty());
    }
}
