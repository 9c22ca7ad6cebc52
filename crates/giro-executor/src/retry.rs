//! The retry policy, pure: how long an order waits before its next attempt, and when it stops
//! trying. It reads what `evolve` folded into the order ([`AttemptLog`]); the time, the number of
//! deliveries and the jitter come in as a [`Clock`], so every decision can be tested without NATS
//! or HTTP.

use std::time::Duration;

use chrono::{DateTime, Utc};
use giro_domain::SubmissionHandle;
use giro_domain::attempts::AttemptLog;
use giro_domain::payout::Failure;

use crate::config::Timings;

/// What a plan may read besides the order: the time, how often the message that woke the order
/// has been delivered (it grows while the order sleeps on it), and the jitter to apply to
/// backoffs (from 0 to 0.25; the runtime draws it, tests pass 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    pub now: DateTime<Utc>,
    pub deliveries: u64,
    pub jitter: f64,
}

impl Clock {
    /// Now, with `deliveries` and a random jitter so instances do not retry in lockstep.
    pub fn now(deliveries: u64) -> Self {
        Clock {
            now: Utc::now(),
            deliveries,
            jitter: rand::random_range(0.0..0.25),
        }
    }

    /// How long ago `at` was (zero for the future).
    pub fn since(&self, at: DateTime<Utc>) -> Duration {
        (self.now - at).to_std().unwrap_or_default()
    }

    /// The deliveries before this one: the exponent of a timer's backoff.
    pub fn redeliveries(&self) -> u32 {
        u32::try_from(self.deliveries.saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// `base * 2^n` capped at `max`, lengthened by the clock's jitter and capped again.
    pub fn backoff(&self, base: Duration, max: Duration, n: u32) -> Duration {
        let exp = base.saturating_mul(2u32.saturating_pow(n.min(16))).min(max);
        exp.mul_f64(1.0 + self.jitter.clamp(0.0, 0.25)).min(max)
    }
}

/// `base * 2^n` capped, with up to 25% jitter so instances do not retry in lockstep.
pub fn backoff(base: Duration, max: Duration, n: u32) -> Duration {
    Clock::now(1).backoff(base, max, n)
}

/// What to do with an order whose latest attempt was refused (retryably).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// Claim the next attempt now.
    Now,
    /// Not yet: wake the order after this long.
    After(Duration),
    /// No more attempts: fail the order with this code and message.
    GiveUp { code: String, message: String },
}

/// The retry policy, for an order whose `attempt`-th attempt ended in the retryable refusal
/// `failure` `since` ago, its attempts as `log` records them.
///
/// - An ordinary retryable refusal (a 5xx before processing, `errors.unexpected`, the provider not
///   reached, a short balance) counts against `max_attempts`, as do resends after a lookup found
///   nothing; the next attempt waits `backoff(retry_base, retry_max, n)`. When they are spent the
///   order fails with `gave up after N attempts: <provider's reason>`.
/// - A refusal that said "come back later" (`provider_wait_announced`) does not count: the next
///   attempt waits at least the provider's announced wait, and at least a backoff from
///   `retry_base` up to `max(retry_max, hold_timeout / 64)`. Its budget is time: an order turned
///   away without a break for longer than `hold_timeout` fails with the provider's reason. The
///   cap keeps a day of refusals well under the 99 handles an order has.
pub fn retry_decision(
    t: &Timings,
    attempt: u32,
    log: &AttemptLog,
    failure: Option<&Failure>,
    since: Duration,
    clock: &Clock,
) -> Retry {
    if attempt == 0 {
        return Retry::Now;
    }
    let (code, reason) = failure.map_or(("attempts_exhausted", "no attempt succeeded"), |f| {
        (f.code.as_str(), f.message.as_str())
    });
    let give_up = |n: u32, how: String| Retry::GiveUp {
        code: code.to_string(),
        message: format!("gave up after {n} attempts{how}: {reason}"),
    };
    if attempt >= SubmissionHandle::MAX_ATTEMPT {
        return give_up(attempt, String::new());
    }
    let wait = match log.deferred_since {
        Some(first) if log.deferred_run > 0 => {
            let turned_away = clock.since(first);
            if turned_away >= t.hold_timeout {
                let how = format!(
                    " (turned away for {}s by a provider asking to come back later)",
                    turned_away.as_secs()
                );
                return give_up(attempt, how);
            }
            let cap = t.retry_max.max(t.hold_timeout / 64);
            let asked = log.announced_wait.unwrap_or_default();
            asked.max(clock.backoff(t.retry_base, cap, log.deferred_run - 1))
        }
        _ => {
            let spent = log.spent(attempt);
            if spent >= t.max_attempts {
                return give_up(spent, String::new());
            }
            clock.backoff(t.retry_base, t.retry_max, spent.saturating_sub(1))
        }
    };
    if since < wait {
        Retry::After(wait - since)
    } else {
        Retry::Now
    }
}
