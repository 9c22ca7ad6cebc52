//! Provider balance readings for the treasury view and the `giro_provider_balance` gauge: every
//! payout instance whose provider has a balance API (KillB's pre-fund, Cashy's `getBalance`) has
//! its balance read when its executor starts, again on every sweep, and by each reservation
//! (pre-funded providers). A reading is published as the last message of
//! `<prefix>.funds.<account>.balance.<CUR>` on the funds stream.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A balance reading as the treasury view reads it (`<prefix>.funds.<account>.balance.<CUR>`,
/// the last one kept): the exact figure and when it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceReading {
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A reading is stored at most this often per account and currency: a pre-funded account is
/// read at every reservation, and storing each of those would cost two NATS messages per payout
/// for a view that needs a figure no older than a sweep. The gauge takes every reading.
const STORE_AT_MOST_EVERY: Duration = Duration::from_secs(1);

/// Where one provider account's balance readings go, and the currencies to read.
#[derive(Clone)]
pub struct Balances {
    js: jetstream::Context,
    /// `<prefix>.funds.<account>`.
    subject: String,
    account: String,
    /// The currencies to read on every sweep.
    watched: Arc<Mutex<BTreeSet<String>>>,
    /// When each currency's reading was last stored.
    stored: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Balances {
    /// Readings of `account` (a provider instance id) on `<prefix>.funds.<account>.balance.*`,
    /// a subject of the funds stream (which the caller has opened).
    pub fn new(js: jetstream::Context, prefix: &str, account: &str) -> Self {
        Balances {
            js,
            subject: format!("{prefix}.funds.{account}"),
            account: account.to_string(),
            watched: Default::default(),
            stored: Default::default(),
        }
    }

    fn watched_set(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads `currency` on every sweep from now on.
    pub fn watch(&self, currency: &str) {
        self.watched_set().insert(currency.to_string());
    }

    /// Stops reading `currency` (the provider has no balance API for it).
    pub fn unwatch(&self, currency: &str) {
        self.watched_set().remove(currency);
    }

    /// The currencies read on every sweep.
    pub fn watched(&self) -> Vec<String> {
        self.watched_set().iter().cloned().collect()
    }

    /// Keeps the balance the provider just reported (the gauge always, the stored reading when
    /// the last was stored at least a second ago), and reads `currency` on every sweep from now
    /// on. Best effort: a reading that cannot be stored is only logged, the next one replaces it.
    pub async fn record(&self, currency: &str, balance: Decimal) {
        self.watch(currency);
        giro_telemetry::metrics::provider_balance(
            &self.account,
            currency,
            rust_decimal::prelude::ToPrimitive::to_f64(&balance).unwrap_or(f64::NAN),
        );
        {
            let mut stored = self.stored.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            match stored.get(currency) {
                Some(at) if now.duration_since(*at) < STORE_AT_MOST_EVERY => return,
                _ => stored.insert(currency.to_string(), now),
            };
        }
        let reading = BalanceReading {
            balance,
            at: chrono::Utc::now(),
        };
        let Ok(body) = serde_json::to_vec(&reading) else {
            return;
        };
        let subject = format!("{}.balance.{currency}", self.subject);
        match self.js.publish(subject, body.into()).await {
            Ok(ack) => {
                if let Err(e) = ack.await {
                    tracing::info!(error = %e, "balance reading not stored");
                }
            }
            Err(e) => tracing::info!(error = %e, "balance reading not stored"),
        }
    }
}
