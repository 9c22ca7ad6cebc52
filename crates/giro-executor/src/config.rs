//! How an executor instance behaves: its provider, its consumer and its clocks.

use std::time::Duration;

use giro_domain::ProviderId;

/// Delays and limits of the executor's state machine. Defaults suit production; tests shrink them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timings {
    /// How long a claim (`payout.submission_started`) may stand before another instance treats its
    /// owner as gone and resolves the attempt by lookup. Must exceed the provider call time-out:
    /// 40 s by default, twice `GIRO_PROVIDER_TIMEOUT`'s 20 s, and under a minute so that orders
    /// claimed by an engine that died move again within a minute of its restart.
    pub claim_timeout: Duration,
    /// First poll of a submitted payout whose callback has not come; doubles up to `poll_max`.
    pub poll_after: Duration,
    pub poll_max: Duration,
    /// Backoff before a new attempt after a retryable refusal; doubles per attempt, with jitter.
    /// A refusal that says "come back later" (maintenance, busy, rate limited) waits at least
    /// what the provider announced, its backoff capped at `max(retry_max, hold_timeout / 64)`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Attempts before the order fails with `gave up after N attempts: <provider's reason>`. They
    /// count ordinary retryable refusals and resends after a lookup affirmed the provider has no
    /// such payout; "come back later" refusals do not count (see `hold_timeout`).
    pub max_attempts: u32,
    /// How often a held payout re-checks the provider's balance, and how long it may wait.
    /// Also how long an order may keep being turned away by a provider that says "come back
    /// later" before it fails: like waiting for funds, nothing is at the provider meanwhile.
    pub hold_recheck: Duration,
    pub hold_timeout: Duration,
    /// JetStream's redelivery time for a message whose handler died.
    pub ack_wait: Duration,
    /// How long a charge whose creation answer was lost, and whose provider id is therefore not
    /// known, waits for the provider's webhook (which names it) before the attempt is failed. A55
    /// has no lookup by our reference and retries webhooks for 24 h; a charge is never resent.
    pub unknown_timeout: Duration,
    /// How long a payout may keep being turned away with "come back later" (maintenance, busy,
    /// rate limited) before it fails over to the next candidate of its route, when it has one
    /// and no attempt can still be paid (`GIRO_FAILOVER_MAINTENANCE_AFTER`, seconds).
    pub failover_after: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            claim_timeout: Duration::from_secs(40),
            poll_after: Duration::from_secs(120),
            poll_max: Duration::from_secs(3600),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(300),
            max_attempts: 8,
            hold_recheck: Duration::from_secs(30),
            hold_timeout: Duration::from_secs(24 * 3600),
            ack_wait: Duration::from_secs(30),
            unknown_timeout: Duration::from_secs(26 * 3600),
            failover_after: Duration::from_secs(60),
        }
    }
}

/// One executor instance of one provider instance.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    pub provider: ProviderId,
    /// Subject prefix (`giro`).
    pub prefix: String,
    pub timings: Timings,
    /// Orders handled at once by this instance.
    pub max_in_flight: usize,
    /// When this instance's circuit breaker for the provider opens (see `crate::breaker`).
    pub breaker: crate::breaker::BreakerSettings,
}

impl ExecutorConfig {
    pub fn new(provider: ProviderId, prefix: impl Into<String>) -> Self {
        ExecutorConfig {
            provider,
            prefix: prefix.into(),
            timings: Timings::default(),
            max_in_flight: 64,
            breaker: crate::breaker::BreakerSettings::default(),
        }
    }

    /// The durable consumer every instance of this provider shares.
    pub fn consumer_name(&self) -> String {
        format!("giro-executor-{}", self.provider)
    }

    /// Where events this executor cannot handle are kept, with the reason.
    pub fn dead_letter_subject(&self) -> String {
        format!("{}.dlq.executor.{}", self.prefix, self.provider)
    }
}
