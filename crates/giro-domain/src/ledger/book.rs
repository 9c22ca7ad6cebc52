//! The book postings are recorded in: each once, by key, with the balances they make.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Account, Posting, PostingKey};
use crate::money::Currency;

/// Postings recorded once each, by key, with the balance of every account they touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    postings: BTreeMap<PostingKey, Posting>,
    balances: BTreeMap<(Account, Currency), Decimal>,
}

impl Ledger {
    /// Records `posting` unless one with its key is recorded already (the same event seen again);
    /// returns whether it was new.
    pub fn record(&mut self, posting: Posting) -> bool {
        if self.postings.contains_key(&posting.key) {
            return false;
        }
        for leg in &posting.legs {
            *self
                .balances
                .entry((leg.account.clone(), posting.currency))
                .or_default() += leg.debit - leg.credit;
        }
        self.postings.insert(posting.key, posting);
        true
    }

    /// Debits − credits of `account` in `currency`.
    pub fn balance(&self, account: &Account, currency: Currency) -> Decimal {
        self.balances
            .get(&(account.clone(), currency))
            .copied()
            .unwrap_or_default()
    }

    /// Every account touched, with its balance.
    pub fn balances(&self) -> &BTreeMap<(Account, Currency), Decimal> {
        &self.balances
    }

    /// Every posting, by key.
    pub fn postings(&self) -> impl Iterator<Item = &Posting> {
        self.postings.values()
    }
}
