//! Treasury: per provider account and currency, the balance the provider last reported (kept by
//! the executor beside its funds ledger, `<prefix>.funds.<provider>.balance.<CUR>` on the
//! `<stream>_FUNDS` stream), the amounts held (waiting for funds), queued (not yet sent) and at the
//! provider, the funds the held and queued payouts need, and whether the balance is below its
//! configured threshold or short of what is needed.

use std::collections::BTreeMap;

use async_nats::jetstream;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::config::ProjectionConfig;

/// A balance threshold: below `below`, the account is low (an alert and an exception).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowBalance {
    pub provider: String,
    pub currency: String,
    pub below: Decimal,
}

/// Reads `provider:CUR:amount[,provider:CUR:amount…]` (GIRO_TREASURY_LOW_BALANCE); errors name
/// the entry.
pub fn parse_low_balance(text: &str) -> Result<Vec<LowBalance>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            let parts: Vec<&str> = entry.split(':').collect();
            let [provider, currency, amount] = parts.as_slice() else {
                return Err(format!(
                    "GIRO_TREASURY_LOW_BALANCE entry {entry:?} is not provider:CURRENCY:amount"
                ));
            };
            let below = giro_domain::money::parse_plain_decimal(amount)
                .map_err(|e| format!("GIRO_TREASURY_LOW_BALANCE entry {entry:?}: amount: {e}"))?;
            if provider.is_empty() || currency.parse::<giro_domain::Currency>().is_err() {
                return Err(format!(
                    "GIRO_TREASURY_LOW_BALANCE entry {entry:?}: a provider instance and a \
                     supported currency are required"
                ));
            }
            Ok(LowBalance {
                provider: provider.to_string(),
                currency: currency.to_string(),
                below,
            })
        })
        .collect()
}

/// A balance reading as the executor stores it.
#[derive(Debug, Clone, Deserialize)]
struct Reading {
    #[serde(with = "rust_decimal::serde::str")]
    balance: Decimal,
    at: DateTime<Utc>,
}

/// One account in one currency.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Account {
    pub provider: String,
    pub currency: String,
    /// `None` for providers without a balance API, or before the first reading.
    pub balance: Option<Decimal>,
    pub balance_at: Option<DateTime<Utc>>,
    pub held: Decimal,
    pub queued: Decimal,
    pub at_provider: Decimal,
    /// What the held and queued payouts need.
    pub needed: Decimal,
    /// How much `needed` exceeds the balance (zero when it is covered or no balance is known).
    pub shortfall: Decimal,
    pub low_below: Option<Decimal>,
    /// The balance is below its threshold.
    pub low: bool,
}

type Open = (String, String, Decimal, Decimal, Decimal);

/// Every account with open payouts, a threshold or a balance reading.
pub async fn accounts(
    pool: &PgPool,
    js: &jetstream::Context,
    config: &ProjectionConfig,
) -> Result<Vec<Account>, sqlx::Error> {
    let open: Vec<Open> = sqlx::query_as(
        "SELECT provider, currency, \
         COALESCE(sum(amount) FILTER (WHERE status = 'held'), 0), \
         COALESCE(sum(amount) FILTER (WHERE status = 'requested'), 0), \
         COALESCE(sum(amount) FILTER (WHERE status IN ('submitting', 'submitted', 'processing')), 0) \
         FROM payouts WHERE status IN ('requested', 'held', 'submitting', 'submitted', 'processing') \
         GROUP BY provider, currency",
    )
    .fetch_all(pool)
    .await?;
    let mut by_key: BTreeMap<(String, String), Account> = BTreeMap::new();
    for (provider, currency, held, queued, at_provider) in open {
        by_key.insert(
            (provider.clone(), currency.clone()),
            Account {
                provider,
                currency,
                held: held.normalize(),
                queued: queued.normalize(),
                at_provider: at_provider.normalize(),
                ..Account::default()
            },
        );
    }
    for t in &config.low_balance {
        let a = by_key
            .entry((t.provider.clone(), t.currency.clone()))
            .or_insert_with(|| Account {
                provider: t.provider.clone(),
                currency: t.currency.clone(),
                ..Account::default()
            });
        a.low_below = Some(t.below);
    }
    let funds = format!("{}_FUNDS", config.log.stream);
    let stream = js.get_stream_no_info(&funds).await.ok();
    // Every account with a reading, open payouts or not.
    if let Some(stream) = &stream {
        let prefix = format!("{}.funds.", config.log.prefix);
        let filter = format!("{prefix}*.balance.*");
        if let Ok(mut subjects) = stream.info_with_subjects(&filter).await {
            while let Ok(Some((subject, _))) = futures::TryStreamExt::try_next(&mut subjects).await
            {
                let Some((provider, currency)) = subject
                    .strip_prefix(&prefix)
                    .and_then(|rest| rest.split_once(".balance."))
                else {
                    continue;
                };
                by_key
                    .entry((provider.to_string(), currency.to_string()))
                    .or_insert_with(|| Account {
                        provider: provider.to_string(),
                        currency: currency.to_string(),
                        ..Account::default()
                    });
            }
        }
    }
    for a in by_key.values_mut() {
        if let Some(stream) = &stream {
            let subject = format!(
                "{}.funds.{}.balance.{}",
                config.log.prefix, a.provider, a.currency
            );
            if let Ok(message) = stream.direct_get_last_for_subject(subject).await
                && let Ok(r) = serde_json::from_slice::<Reading>(&message.payload)
            {
                a.balance = Some(r.balance.normalize());
                a.balance_at = Some(r.at);
            }
        }
        a.needed = (a.held + a.queued).normalize();
        if let Some(balance) = a.balance {
            a.shortfall = (a.needed - balance).max(Decimal::ZERO).normalize();
            a.low = a.low_below.is_some_and(|below| balance < below);
        }
    }
    Ok(by_key.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_read_exactly_and_errors_name_the_entry() {
        let t = parse_low_balance("killb:COP:5000000, cashy-tz:TZS:100000.50").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].below, Decimal::new(10_000_050, 2));
        assert!(parse_low_balance("").unwrap().is_empty());
        for bad in ["killb:COP", "killb:XXX:1", "killb:COP:1e6", ":COP:1"] {
            let e = parse_low_balance(bad).unwrap_err();
            assert!(e.contains(bad), "{e}");
        }
    }
}
