//! When the A55 simulator sends a webhook again.

use crate::clock::minutes;
use crate::dispatch::{Ack, RetryPolicy};

/// Attempts at 0, 1 m, 5 m, 30 m, 2 h, 6 h, 24 h; 5xx and time-outs retried, 4xx not.
pub(super) fn policy() -> RetryPolicy {
    RetryPolicy {
        delays: [0, 1, 5, 30, 120, 360, 1440]
            .into_iter()
            .map(minutes)
            .collect(),
        ack: Ack::Http2xx,
        retry_client_errors: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_is_the_documented_one() {
        // PROVIDERS.md §3: attempts at 0, 1 m, 5 m, 30 m, 2 h, 6 h, 24 h; 5xx and time-outs are
        // retried, 4xx are not; any 2xx is received.
        let policy = policy();
        let mins: Vec<u64> = policy.delays.iter().map(|d| d.as_secs() / 60).collect();
        assert_eq!(mins, [0, 1, 5, 30, 2 * 60, 6 * 60, 24 * 60]);
        assert!(
            policy
                .delays
                .iter()
                .all(|d| d.subsec_nanos() == 0 && d.as_secs() % 60 == 0)
        );
        assert_eq!(policy.ack, Ack::Http2xx);
        assert!(!policy.retry_client_errors);
        assert!(policy.retryable(Some(500)) && policy.retryable(Some(504)));
        assert!(
            policy.retryable(None),
            "a time-out has no status and is retried"
        );
        assert!(!policy.retryable(Some(400)) && !policy.retryable(Some(499)));
    }
}
