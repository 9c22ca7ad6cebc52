//! When the KillB simulator sends a webhook again.

use crate::clock::minutes;
use crate::dispatch::{Ack, RetryPolicy};

/// KillB documents no schedule; the sandbox uses 0, 1 m, 5 m, 15 m, 1 h, 6 h and counts
/// `attempts` in the envelope.
pub(super) fn policy() -> RetryPolicy {
    RetryPolicy {
        delays: [0, 1, 5, 15, 60, 360].into_iter().map(minutes).collect(),
        ack: Ack::Http2xx,
        retry_client_errors: true,
    }
}
