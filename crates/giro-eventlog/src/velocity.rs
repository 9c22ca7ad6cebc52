//! What each beneficiary was paid today, for the velocity limits of the approval policy
//! (`giro_domain::approvals`): the JetStream key-value bucket `<stream>_VELOCITY`, one key per
//! beneficiary, UTC day and currency (`<beneficiary key>.<yyyymmdd>.<currency>`), whose value is
//! the day's count and amount ([`Velocity`]). Intake *reserves* a payout's place in its day before
//! it appends the payout: it reads the day, decides with it, and writes the day with this payout
//! added by compare-and-set at the revision it read, deciding again from a fresh read when another
//! intake wrote first. So concurrent payouts to one beneficiary are decided one after the other,
//! and a limit of two lets two through, never three. A payout that was not appended after all (a
//! duplicate, a refusal) gives its place back; one lost to a crash between the two steps stays
//! counted, which only makes a later payout wait for an approver. Keys are hashes (no personal
//! data); entries older than two days are dropped by the bucket.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use chrono::{DateTime, Utc};
use giro_domain::approvals::Velocity;
use giro_domain::money::Money;

use crate::config::EventLogConfig;
use crate::error::Error;

/// The bucket of `config`'s deployment.
pub fn bucket(config: &EventLogConfig) -> String {
    format!("{}_VELOCITY", config.stream)
}

/// Attempts at one compare-and-set before giving up (each retry reads the value again).
const CAS_ATTEMPTS: usize = 20;

/// The handle on the velocity bucket.
#[derive(Clone)]
pub struct VelocityStore {
    kv: kv::Store,
}

impl std::fmt::Debug for VelocityStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VelocityStore").finish_non_exhaustive()
    }
}

fn key(beneficiary: &str, money: &Money, at: DateTime<Utc>) -> String {
    format!(
        "{beneficiary}.{}.{}",
        at.format("%Y%m%d"),
        money.currency().code()
    )
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Unavailable(format!("velocity {what}: {e}"))
}

impl VelocityStore {
    /// Opens the bucket, creating it first (idempotent).
    pub async fn open(js: &jetstream::Context, config: &EventLogConfig) -> Result<Self, Error> {
        let name = bucket(config);
        if let Ok(kv) = js.get_key_value(&name).await {
            return Ok(VelocityStore { kv });
        }
        let kv_config = kv::Config {
            bucket: name.clone(),
            description: "Giro velocity: each beneficiary's payouts per UTC day and currency"
                .to_string(),
            history: 1,
            max_age: Duration::from_secs(2 * 86_400),
            storage: jetstream::stream::StorageType::File,
            num_replicas: config.replicas,
            ..Default::default()
        };
        let kv = crate::provision::provision(
            &name,
            |e: &jetstream::context::CreateKeyValueError| {
                e.kind() == jetstream::context::CreateKeyValueErrorKind::TimedOut
            },
            || js.create_key_value(kv_config.clone()),
        )
        .await
        .map_err(|e| Error::Provision(format!("bucket {name}: {e}")))?;
        Ok(VelocityStore { kv })
    }

    async fn read(&self, key: &str) -> Result<(Velocity, u64), Error> {
        match self.kv.entry(key).await.map_err(|e| unavailable(key, e))? {
            Some(entry) if entry.operation == kv::Operation::Put => {
                let v = serde_json::from_slice(&entry.value).map_err(|e| {
                    unavailable(
                        key,
                        format!("holds something that is not a day's totals: {e}"),
                    )
                })?;
                Ok((v, entry.revision))
            }
            Some(entry) => Ok((Velocity::default(), entry.revision)),
            None => Ok((Velocity::default(), 0)),
        }
    }

    /// The beneficiary's day so far in `money`'s currency.
    pub async fn today(
        &self,
        beneficiary: &str,
        money: &Money,
        now: DateTime<Utc>,
    ) -> Result<Velocity, Error> {
        Ok(self.read(&key(beneficiary, money, now)).await?.0)
    }

    /// Decides a payout of `money` with its beneficiary's day so far (`decide` is called again
    /// with a fresh day whenever another payout was counted meanwhile) and counts it in that
    /// day. Returns the decision and the place it holds, for [`VelocityStore::release`].
    pub async fn reserve<T>(
        &self,
        beneficiary: &str,
        money: &Money,
        now: DateTime<Utc>,
        mut decide: impl FnMut(Velocity) -> T,
    ) -> Result<(T, Reserved), Error> {
        let key = key(beneficiary, money, now);
        let mut decision = None;
        self.change(&key, |day| {
            decision = Some(decide(*day));
            day.count = day.count.saturating_add(1);
            day.amount += money.amount();
        })
        .await?;
        let decision = decision.ok_or_else(|| unavailable(&key, "no day was read"))?;
        Ok((
            decision,
            Reserved {
                key,
                amount: money.amount(),
            },
        ))
    }

    /// Gives back the place of a payout that was not accepted after all.
    pub async fn release(&self, reserved: &Reserved) -> Result<(), Error> {
        self.change(&reserved.key, |day| {
            day.count = day.count.saturating_sub(1);
            day.amount = (day.amount - reserved.amount).max(rust_decimal::Decimal::ZERO);
        })
        .await
    }

    /// Writes `edit` of the day at `key` by compare-and-set, reading and editing again when
    /// another writer was first.
    async fn change(&self, key: &str, mut edit: impl FnMut(&mut Velocity)) -> Result<(), Error> {
        for _ in 0..CAS_ATTEMPTS {
            let (mut day, revision) = self.read(key).await?;
            edit(&mut day);
            let value = serde_json::to_vec(&day).map_err(|e| unavailable(key, e))?;
            let written = if revision == 0 {
                self.kv
                    .create(key, value.into())
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            } else {
                self.kv
                    .update(key, value.into(), revision)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            };
            match written {
                Ok(()) => return Ok(()),
                Err(e) => tracing::debug!(%key, error = %e, "velocity changed meanwhile; again"),
            }
        }
        Err(unavailable(key, "too many concurrent updates"))
    }
}

/// A payout's place in its beneficiary's day.
#[derive(Debug, Clone, PartialEq)]
pub struct Reserved {
    key: String,
    amount: rust_decimal::Decimal,
}
