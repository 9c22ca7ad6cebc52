//! The submission protocol's own facts, shared by payouts and charges: a provider asking Giro to
//! come back later, a resend after the provider affirmed it has nothing, and what the executor
//! remembers of an order's attempts ([`AttemptLog`]), folded by `evolve` from those events so the
//! retry policy reads the order's state instead of re-reading its events.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The provider turned the attempt away with "come back later" (maintenance, busy, rate limited):
/// it certainly did not take it. Such attempts do not count against the attempt budget; their
/// budget is time (`hold_timeout`), and the next attempt waits at least `wait_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProviderWaitAnnounced {
    pub attempt: u32,
    /// The provider's code (`System_Maintenance`, `http_429`, …).
    pub code: String,
    /// The provider's reason, as it gave it.
    pub message: String,
    /// How long the provider asked to wait (`Retry-After`, `X-RateLimit-Reset`, Cashy's busy
    /// wait); absent when it named no time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<u64>,
}

impl ProviderWaitAnnounced {
    /// The announced wait (zero when the provider named none).
    pub fn wait(&self) -> Duration {
        Duration::from_millis(self.wait_ms.unwrap_or(0))
    }
}

/// The current attempt's outcome was unknown and the provider affirmed it has nothing under the
/// attempt's handle, so the attempt is sent again under the same handle (the provider's
/// idempotency makes a late original and the resend one payout). Appended before the resend,
/// like a claim: of several executors exactly one resends, and the resend is in flight until its
/// outcome is recorded. Each resend counts as an attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Resent {
    pub attempt: u32,
    /// The resend's number within the attempt, from 1.
    pub resend: u32,
}

/// What an order's events say about its attempts beyond its status: the retry policy's memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttemptLog {
    /// Attempts turned away with "come back later" (they do not count against the budget).
    pub deferred: u32,
    /// The run of "come back later" refusals the latest attempts ended in, and when it began.
    pub deferred_run: u32,
    pub deferred_since: Option<DateTime<Utc>>,
    /// The wait the provider announced with the latest "come back later".
    pub announced_wait: Option<Duration>,
    /// Resends after lookups found nothing, over the order's life: each counts as an attempt.
    pub resends: u32,
    /// Resends of the current attempt.
    pub current_resends: u32,
    /// When the current attempt was last sent: its claim, or its latest resend.
    pub last_send: Option<DateTime<Utc>>,
    /// Why the current attempt's outcome is unknown (the latest reason given).
    pub unknown_reason: Option<String>,
    /// Whether any attempt so far may have reached the provider without a refusal: its outcome
    /// was unknown, or it was sent again. Such an order is never retried by hand.
    pub may_have_reached: bool,
    /// Attempts an operator's retry set aside: a retried order starts a new budget.
    pub set_aside: u32,
}

impl AttemptLog {
    /// Attempts that count against the budget out of `attempt` claimed so far.
    pub fn spent(&self, attempt: u32) -> u32 {
        (attempt + self.resends).saturating_sub(self.deferred + self.set_aside)
    }

    /// An operator retried the order after its attempts ended: the next attempt starts a new
    /// budget and waits for no earlier "come back later".
    pub fn restarted(&mut self, attempt: u32) {
        self.set_aside += self.spent(attempt);
        self.ended_run();
    }

    /// A new attempt was claimed at `at`.
    pub fn claimed(&mut self, at: DateTime<Utc>) {
        self.current_resends = 0;
        self.last_send = Some(at);
        self.unknown_reason = None;
    }

    /// The provider turned the attempt away with "come back later".
    pub fn deferred(&mut self, wait: &ProviderWaitAnnounced, at: DateTime<Utc>) {
        self.deferred += 1;
        if self.deferred_run == 0 {
            self.deferred_since = Some(at);
        }
        self.deferred_run += 1;
        self.announced_wait = Some(wait.wait());
    }

    /// Anything that shows the provider took (or may have taken) a request, or judged it: the
    /// run of "come back later" refusals is over.
    pub fn ended_run(&mut self) {
        self.deferred_run = 0;
        self.deferred_since = None;
        self.announced_wait = None;
    }

    /// The attempt's outcome is unknown, for `reason`.
    pub fn unknown(&mut self, reason: &str) {
        self.ended_run();
        self.may_have_reached = true;
        self.unknown_reason = Some(reason.to_string());
    }

    /// The attempt is sent again after a lookup found nothing.
    pub fn resent(&mut self, at: DateTime<Utc>) {
        self.resends += 1;
        self.may_have_reached = true;
        self.current_resends += 1;
        self.last_send = Some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spent_counts_resends_but_not_deferrals() {
        let mut log = AttemptLog::default();
        let at = Utc::now();
        let wait = ProviderWaitAnnounced {
            attempt: 1,
            code: "System_busy".into(),
            message: "busy".into(),
            wait_ms: Some(1000),
        };
        log.deferred(&wait, at);
        log.resent(at);
        assert_eq!(log.spent(2), 2);
        assert_eq!(log.deferred_run, 1);
        log.ended_run();
        assert_eq!(log.deferred_run, 0);
        assert_eq!(log.announced_wait, None);
    }
}
