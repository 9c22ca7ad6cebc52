//! A token bucket: a sustained rate per second and a burst.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// Requests per second and burst size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Tokens added per second.
    pub per_second: u32,
    /// Bucket size: how many requests may arrive at once after a quiet spell.
    pub burst: u32,
}

/// What the limiter decided for one request, with the values for the `X-RateLimit-*` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix time (seconds) at which at least one more request will be allowed.
    pub reset_unix: u64,
}

impl RateDecision {
    /// A refusal with nothing left that resets within the next second: what an injected
    /// `rate_limit` fault reports, so its headers agree with its 429.
    pub(crate) fn exhausted(limit: u32) -> Self {
        Self {
            allowed: false,
            limit,
            remaining: 0,
            reset_unix: unix_seconds_ceil(SystemTime::now() + Duration::from_secs(1)),
        }
    }

    /// Writes `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (unix seconds),
    /// and on a refusal `Retry-After` (whole seconds, at least 1).
    pub(crate) fn write_headers(&self, headers: &mut HeaderMap) {
        for (name, value) in [
            (LIMIT_HEADER, u64::from(self.limit)),
            (REMAINING_HEADER, u64::from(self.remaining)),
            (RESET_HEADER, self.reset_unix),
        ] {
            headers.insert(name, HeaderValue::from(value));
        }
        if !self.allowed {
            let now = unix_seconds_ceil(SystemTime::now());
            let wait = self.reset_unix.saturating_sub(now).max(1);
            headers.insert("retry-after", HeaderValue::from(wait));
        }
    }
}

/// `X-RateLimit-Limit`.
pub(crate) const LIMIT_HEADER: &str = "x-ratelimit-limit";
/// `X-RateLimit-Remaining`.
pub(crate) const REMAINING_HEADER: &str = "x-ratelimit-remaining";
/// `X-RateLimit-Reset`.
pub(crate) const RESET_HEADER: &str = "x-ratelimit-reset";

/// Unix time in whole seconds, rounded up.
fn unix_seconds_ceil(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

/// A shared token bucket.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    bucket: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            bucket: Mutex::new((f64::from(limit.burst), Instant::now())),
        }
    }

    /// Takes a token if one is available.
    pub(crate) fn check(&self) -> RateDecision {
        let rate = f64::from(self.limit.per_second.max(1));
        let burst = f64::from(self.limit.burst.max(1));
        let mut bucket = self
            .bucket
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let (tokens, last) = *bucket;
        let tokens = (tokens + now.duration_since(last).as_secs_f64() * rate).min(burst);
        let allowed = tokens >= 1.0;
        let tokens = if allowed { tokens - 1.0 } else { tokens };
        *bucket = (tokens, now);
        let wait = if tokens >= 1.0 {
            0.0
        } else {
            (1.0 - tokens) / rate
        };
        let reset = SystemTime::now() + Duration::from_secs_f64(wait);
        RateDecision {
            allowed,
            limit: self.limit.per_second,
            // Truncation is the intent: a partial token is not a request.
            remaining: tokens.floor().max(0.0) as u32,
            reset_unix: unix_seconds_ceil(reset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn burst_then_refusal() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 1,
            burst: 3,
        });
        let allowed = (0..5).filter(|_| limiter.check().allowed).count();
        assert_eq!(allowed, 3);
        let refused = limiter.check();
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
    }

    #[test]
    fn an_exhausted_decision_writes_consistent_headers() {
        let mut headers = HeaderMap::new();
        RateDecision::exhausted(100).write_headers(&mut headers);
        let value = |name: &str| headers[name].to_str().unwrap().parse::<u64>().unwrap();
        assert_eq!(value(LIMIT_HEADER), 100);
        assert_eq!(value(REMAINING_HEADER), 0);
        let now = unix_seconds_ceil(SystemTime::now());
        assert!((now..=now + 2).contains(&value(RESET_HEADER)));
        assert!((1..=2).contains(&value("retry-after")));
    }
}
