//! When the Cashy simulator sends a callback again.

use std::time::Duration;

use crate::clock::minutes;
use crate::dispatch::{Ack, RetryPolicy};

/// Seeds 001 and 004: one attempt, then retries after 1, 2, 4, …, 512 minutes; anything but the
/// merchant's acknowledgement (4xx included) is a failure.
pub(super) fn policy(ack: Ack) -> RetryPolicy {
    let mut delays = vec![Duration::ZERO];
    delays.extend((0..10).map(|n| minutes(1 << n)));
    RetryPolicy {
        delays,
        ack,
        retry_client_errors: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_is_the_documented_one() {
        let policy = policy(Ack::BodySuccess);
        let mins: Vec<u64> = policy.delays.iter().map(|d| d.as_secs() / 60).collect();
        assert_eq!(mins, [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
    }
}
