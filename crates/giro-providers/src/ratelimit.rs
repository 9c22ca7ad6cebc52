//! A client-side token bucket, so an executor stays under a provider's documented rate instead of
//! learning it from 429s (KillB: 50 req/s with a burst of 100 in production, 100/200 in sandbox).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// A sustained rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests that may go at once after a quiet spell.
    pub burst: u32,
}

/// A token bucket shared by every request of one client. Waiting callers reserve their token
/// before sleeping, so they are served in arrival order and the rate holds under any concurrency.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    /// Tokens available (negative: reserved by callers still waiting) as of the instant.
    bucket: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    /// A full bucket. A rate or burst of 0 is taken as 1.
    pub fn new(limit: RateLimit) -> Self {
        let burst = f64::from(limit.burst.max(1));
        RateLimiter {
            rate: f64::from(limit.per_second.max(1)),
            burst,
            bucket: Mutex::new((burst, Instant::now())),
        }
    }

    /// Waits until a request may be sent, then takes its token.
    pub async fn acquire(&self) {
        let wait = {
            let mut bucket = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let (tokens, last) = *bucket;
            let refilled =
                (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.burst);
            let left = refilled - 1.0;
            *bucket = (left, now);
            if left >= 0.0 { 0.0 } else { -left / self.rate }
        };
        if wait > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn burst_goes_at_once_then_the_rate_holds() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 50,
            burst: 5,
        });
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire().await;
        }
        assert!(
            start.elapsed() < Duration::from_millis(50),
            "the burst waits for nothing"
        );
        for _ in 0..5 {
            limiter.acquire().await;
        }
        // Five more at 50/s take at least 100 ms.
        assert!(
            start.elapsed() >= Duration::from_millis(95),
            "{:?}",
            start.elapsed()
        );
    }
}
