//! What a KillB sandbox is started with.

use std::net::SocketAddr;
use std::time::Duration;

use rust_decimal::Decimal;

use super::sign::KillbSignature;
use crate::ratelimit::RateLimit;

/// KillB's documented sandbox limit: 100 requests per second with a burst of 200.
pub const SANDBOX_RATE_LIMIT: RateLimit = RateLimit {
    per_second: 100,
    burst: 200,
};

/// Credentials, limits and starting balances of the KillB simulator.
#[derive(Clone, Debug, PartialEq)]
pub struct KillbConfig {
    /// Where to listen; port 0 picks a free one.
    pub bind: SocketAddr,
    /// Login email.
    pub email: String,
    /// Login password.
    pub password: String,
    /// When set, every `/api/v2` request must carry it as `x-api-key` (the Python SDK sends it).
    pub api_key: Option<String>,
    /// Secret of the webhook pre-registered from `webhook_url`.
    pub webhook_secret: String,
    /// A webhook for PAYOUT and ACCOUNT events registered at start, so `giro up` works without
    /// calling `POST /api/v2/webhooks`.
    pub webhook_url: Option<String>,
    /// How `x-signature-sha256` is computed.
    pub signature: KillbSignature,
    /// Lifetime of an access token (`expiresIn`, reported in milliseconds).
    pub token_ttl: Duration,
    /// Lifetime of a refresh token.
    pub refresh_ttl: Duration,
    /// Request rate limit; `None` disables it.
    pub rate_limit: Option<RateLimit>,
    /// Pre-fund accounts that exist at start, with their balances.
    pub accounts: Vec<PrefundAccount>,
    /// Whether payouts pass through CASH_OUT_PENDING/PROCESSING/COMPLETED before their final status.
    pub phased_statuses: bool,
    /// The users accounts may be linked to (seed 002: "each account is linked to a specific
    /// user"); more are added with `POST /_sandbox/killb/users`.
    pub users: Vec<KillbUser>,
}

/// A KillB user. Its accounts' holder must be this person or company (seed 002: the account
/// holder's name must match the user); a user with no name is a business customer's umbrella
/// user, whose accounts may name any holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KillbUser {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
}

impl KillbUser {
    /// A user whose accounts may name any holder.
    pub fn umbrella(id: impl Into<String>) -> Self {
        KillbUser {
            id: id.into(),
            first_name: None,
            last_name: None,
            company_name: None,
        }
    }

    /// A person.
    pub fn person(id: impl Into<String>, first: &str, last: &str) -> Self {
        KillbUser {
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            ..KillbUser::umbrella(id)
        }
    }
}

/// A pre-fund account and its starting balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefundAccount {
    /// The id used as `preFundAccountId` (and `accountId` in balances).
    pub id: String,
    /// COP, USD, USDC or USDT.
    pub currency: String,
    /// The network of a USDC/USDT account.
    pub network: Option<String>,
    /// Starting balance.
    pub amount: Decimal,
}

impl KillbConfig {
    /// A KillB sandbox with these credentials, on a free local port, with KillB's sandbox rate limit,
    /// one-hour tokens, one COP pre-fund account `prefund-cop-001` holding 10,000,000.00 and
    /// the umbrella user [`super::defaults::USER_ID`].
    pub fn new(
        email: impl Into<String>,
        password: impl Into<String>,
        webhook_secret: impl Into<String>,
    ) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            email: email.into(),
            password: password.into(),
            api_key: None,
            webhook_secret: webhook_secret.into(),
            webhook_url: None,
            signature: KillbSignature::default(),
            token_ttl: Duration::from_secs(3600),
            refresh_ttl: Duration::from_secs(24 * 3600),
            rate_limit: Some(SANDBOX_RATE_LIMIT),
            accounts: vec![PrefundAccount {
                id: "prefund-cop-001".into(),
                currency: "COP".into(),
                network: None,
                amount: Decimal::new(1_000_000_000, 2),
            }],
            phased_statuses: false,
            users: vec![KillbUser::umbrella(super::defaults::USER_ID)],
        }
    }
}
