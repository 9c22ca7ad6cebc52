//! How a KillB account is verified: PENDING, then after the step delay its scenario's status
//! (ACTIVE, REJECTED, none, or ACTIVE and later INACTIVE), each change announced as an ACCOUNT
//! webhook.

use std::sync::Arc;
use std::time::Duration;

use super::state::Killb;
use super::user_accounts::{ACCOUNTS, AccountOut, AccountStatus, Verification};
use super::webhooks::{Announcement, announce};
use crate::dispatch::Delivery;
use crate::lifecycle::{Advance, Step};

/// The status plan of an account whose key number is `key`, starting with its PENDING announcement.
pub(crate) fn plan(killb: &Killb, key: &str) -> Vec<Step<AccountStatus>> {
    let timing = &killb.common.timing;
    let step = |after, status| Step::new(after, status, true);
    let mut steps = vec![step(Duration::ZERO, AccountStatus::Pending)];
    match Verification::of(key) {
        Verification::Active => steps.push(step(timing.step_delay, AccountStatus::Active)),
        Verification::Rejected => steps.push(step(timing.step_delay, AccountStatus::Rejected)),
        Verification::Stuck => {}
        Verification::ActiveThenInactive => steps.extend([
            step(timing.step_delay, AccountStatus::Active),
            step(timing.reversal_delay, AccountStatus::Inactive),
        ]),
    }
    steps
}

/// The ACCOUNT webhooks announcing `account`.
pub(crate) fn account_deliveries(
    killb: &Killb,
    account: AccountOut,
    action: &'static str,
) -> Vec<Delivery> {
    announce(
        killb,
        Announcement {
            provider: ACCOUNTS,
            event: "ACCOUNT",
            action,
            id: account.id.clone(),
            status: account.status.to_owned(),
            data: account,
        },
    )
}

impl Killb {
    /// Moves account `id` to `status` if it is still at `generation` (no PATCH or DELETE since);
    /// returns the account and whether its status changed.
    pub(crate) fn move_account(
        &self,
        id: &str,
        generation: u64,
        status: AccountStatus,
    ) -> Option<(AccountOut, bool)> {
        let mut books = self.books();
        let account = books
            .user_accounts
            .iter_mut()
            .find(|a| a.id == id && a.generation == generation && !a.deleted)?;
        let changed = account.status != status;
        if changed {
            account.status = status;
            account.updated_at = self.common.clock.now();
        }
        let out = account.wire();
        drop(books);
        if changed {
            self.common
                .registry
                .status(ACCOUNTS, id, status.as_str(), None);
        }
        Some((out, changed))
    }
}

/// Moves one account through its plan and announces each change.
pub(crate) struct AccountMover {
    pub killb: Arc<Killb>,
    pub account_id: String,
    pub generation: u64,
    /// The action of the first (PENDING) announcement: `CREATE`, or `UPDATE` after a PATCH.
    pub first_action: &'static str,
    pub announced_first: bool,
}

impl Advance for AccountMover {
    type Status = AccountStatus;

    fn advance(&mut self, status: &AccountStatus) -> Vec<Delivery> {
        let moved = self
            .killb
            .move_account(&self.account_id, self.generation, *status);
        let Some((account, changed)) = moved else {
            return Vec::new();
        };
        if !self.announced_first {
            self.announced_first = true;
            return account_deliveries(&self.killb, account, self.first_action);
        }
        if changed {
            account_deliveries(&self.killb, account, "UPDATE")
        } else {
            Vec::new()
        }
    }
}
