//! What the KillB simulator holds: pre-fund accounts, payouts, beneficiary accounts, webhooks,
//! tokens.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::auth::Tokens;
use super::config::KillbConfig;
use super::user_accounts::UserAccount;
use super::wire::{PayoutOut, WebhookOut};
use crate::clock::iso_millis;
use crate::context::Common;
use crate::json::Number;
use crate::ratelimit::RateLimiter;
use crate::statement::{StatementLine, StatementSource};

/// The provider name used in introspection.
pub(crate) const PROVIDER: &str = "killb";

/// The simulator: configuration, shared pieces and books.
pub(crate) struct Killb {
    pub config: KillbConfig,
    pub common: Common,
    pub tokens: Tokens,
    pub limiter: Option<RateLimiter>,
    books: Mutex<Books>,
}

/// Pre-fund accounts, payouts, beneficiary accounts and webhooks.
#[derive(Debug, Default)]
pub(crate) struct Books {
    pub accounts: Vec<Account>,
    /// `/api/v2/accounts`, oldest first.
    pub user_accounts: Vec<UserAccount>,
    pub payouts: Vec<Payout>,
    /// Idempotency-Key → index into `payouts`.
    pub by_key: HashMap<String, usize>,
    pub webhooks: Vec<Webhook>,
    /// The users accounts are linked to.
    pub users: Vec<super::config::KillbUser>,
}

/// A pre-fund account.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: String,
    pub balance_id: String,
    pub currency: String,
    pub network: Option<String>,
    pub amount: Decimal,
    pub created_at: DateTime<Utc>,
}

/// A registered webhook and its secret.
#[derive(Debug, Clone)]
pub(crate) struct Webhook {
    pub out: WebhookOut,
    pub secret: String,
}

/// KillB payout statuses the simulator uses (seed 000 and the public docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Pending,
    Processing,
    CashOutPending,
    CashOutProcessing,
    CashOutCompleted,
    ReviewNeeded,
    Completed,
    Failed,
    Error,
    Rejected,
    Refunded,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Processing => "PROCESSING",
            Self::CashOutPending => "CASH_OUT_PENDING",
            Self::CashOutProcessing => "CASH_OUT_PROCESSING",
            Self::CashOutCompleted => "CASH_OUT_COMPLETED",
            Self::ReviewNeeded => "REVIEW_NEEDED",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Error => "ERROR",
            Self::Rejected => "REJECTED",
            Self::Refunded => "REFUNDED",
        }
    }

    /// Whether entering this status gives the money back to the pre-fund balance.
    pub(crate) fn returns_funds(self) -> bool {
        matches!(
            self,
            Self::Failed | Self::Error | Self::Rejected | Self::Refunded
        )
    }

    /// Whether the payout is still on its way (not on a statement yet).
    pub(crate) fn in_flight(self) -> bool {
        match self {
            Self::Pending
            | Self::Processing
            | Self::CashOutPending
            | Self::CashOutProcessing
            | Self::CashOutCompleted
            | Self::ReviewNeeded => true,
            Self::Completed | Self::Failed | Self::Error | Self::Rejected | Self::Refunded => false,
        }
    }
}

/// A payout.
#[derive(Debug, Clone)]
pub(crate) struct Payout {
    pub id: String,
    pub amount: Decimal,
    pub currency: String,
    pub status: Status,
    pub external_id: String,
    pub account_id: String,
    pub beneficiary: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Payout {
    pub(crate) fn wire(&self) -> PayoutOut {
        PayoutOut {
            id: self.id.clone(),
            amount: Number(self.amount),
            currency: self.currency.clone(),
            status: self.status.as_str().to_owned(),
            external_id: self.external_id.clone(),
            pre_fund_account_id: self.account_id.clone(),
            beneficiary: self.beneficiary.clone(),
            created_at: iso_millis(self.created_at),
            updated_at: iso_millis(self.updated_at),
        }
    }
}

impl StatementSource for Killb {
    fn instances(&self) -> Vec<&'static str> {
        vec![PROVIDER]
    }

    /// KillB charges no fee on a payout and has no completion time of its own: the line's
    /// `completed_at` is its `updatedAt`.
    fn statement(&self, date: NaiveDate) -> Vec<StatementLine> {
        self.books()
            .payouts
            .iter()
            .filter(|p| !p.status.in_flight() && p.updated_at.date_naive() == date)
            .map(|p| StatementLine {
                at: p.updated_at,
                provider: PROVIDER.to_owned(),
                reference: p.external_id.clone(),
                provider_ref: p.id.clone(),
                status: p.status.as_str().to_owned(),
                amount: p.amount.to_string(),
                currency: p.currency.clone(),
                fee: None,
                completed_at: iso_millis(p.updated_at),
                channel_ref: None,
            })
            .collect()
    }
}

impl Books {
    pub(crate) fn account_mut(&mut self, id: &str) -> Option<&mut Account> {
        self.accounts.iter_mut().find(|a| a.id == id)
    }
}

impl Killb {
    pub(crate) fn new(config: KillbConfig, common: Common) -> Self {
        let now = common.clock.now();
        let mut books = Books {
            users: config.users.clone(),
            ..Books::default()
        };
        for account in &config.accounts {
            books.accounts.push(Account {
                id: account.id.clone(),
                balance_id: format!("bal_{}", common.random.uuid().simple()),
                currency: account.currency.clone(),
                network: account.network.clone(),
                amount: account.amount,
                created_at: now,
            });
        }
        if let Some(url) = &config.webhook_url {
            books.webhooks.push(Webhook {
                out: WebhookOut {
                    id: format!("wh_{}", common.random.uuid().simple()),
                    url: url.clone(),
                    events: vec!["PAYOUT".into(), "ACCOUNT".into()],
                    created_at: iso_millis(now),
                },
                secret: config.webhook_secret.clone(),
            });
        }
        Self {
            limiter: config.rate_limit.map(RateLimiter::new),
            tokens: Tokens::default(),
            books: Mutex::new(books),
            config,
            common,
        }
    }

    pub(crate) fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves a payout to `status`, returning the money when the status says so. `None` when the
    /// payout is unknown or already there.
    pub(crate) fn move_to(&self, payout_id: &str, status: Status) -> Option<PayoutOut> {
        let mut books = self.books();
        let index = books.payouts.iter().position(|p| p.id == payout_id)?;
        let payout = &mut books.payouts[index];
        if payout.status == status {
            return Some(payout.wire());
        }
        payout.status = status;
        payout.updated_at = self.common.clock.now();
        let (account_id, amount, out) = (payout.account_id.clone(), payout.amount, payout.wire());
        if status.returns_funds()
            && let Some(account) = books.account_mut(&account_id)
        {
            account.amount = account.amount.saturating_add(amount);
        }
        drop(books);
        self.common
            .registry
            .status(PROVIDER, payout_id, status.as_str(), None);
        Some(out)
    }
}
