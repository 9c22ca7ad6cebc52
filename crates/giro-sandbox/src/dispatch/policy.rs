//! When a provider considers a callback received, and when it tries again.

use std::time::Duration;

use crate::clock::minutes;

/// What counts as "received" for a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Ack {
    /// Any 2xx (KillB, A55).
    #[value(name = "2xx")]
    Http2xx,
    /// HTTP 200 whose body, trimmed, is exactly `SUCCESS` (Cashy Colombia, seed 001).
    #[value(name = "success-body")]
    BodySuccess,
    /// HTTP 200, 301 or 302, whatever the body (Cashy Tanzania, seed 004).
    #[value(name = "200-301-302")]
    Status200Or3xx,
}

impl Ack {
    /// Whether an answer with `status` and `body` acknowledges the callback.
    pub(crate) fn accepts(self, status: u16, body: &str) -> bool {
        match self {
            Self::Http2xx => (200..300).contains(&status),
            Self::BodySuccess => status == 200 && body.trim() == "SUCCESS",
            Self::Status200Or3xx => matches!(status, 200 | 301 | 302),
        }
    }
}

/// A provider's retry ladder: the wait before each attempt, the first usually zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Wait before attempt n (index 0 is the first attempt), in provider time (scaled on use).
    pub delays: Vec<Duration>,
    /// What counts as received.
    pub ack: Ack,
    /// Whether a 4xx answer is retried (Cashy: yes, anything but success is a failure; A55: no).
    pub retry_client_errors: bool,
}

impl RetryPolicy {
    /// Cashy (seeds 001 and 004): one attempt, then retries after 1, 2, 4, …, 512 minutes.
    pub(crate) fn cashy(ack: Ack) -> Self {
        let mut delays = vec![Duration::ZERO];
        delays.extend((0..10).map(|n| minutes(1 << n)));
        Self {
            delays,
            ack,
            retry_client_errors: true,
        }
    }

    /// A55: attempts at 0, 1 m, 5 m, 30 m, 2 h, 6 h, 24 h; 5xx and time-outs retried, 4xx not.
    pub(crate) fn a55() -> Self {
        Self {
            delays: [0, 1, 5, 30, 120, 360, 1440]
                .into_iter()
                .map(minutes)
                .collect(),
            ack: Ack::Http2xx,
            retry_client_errors: false,
        }
    }

    /// KillB documents no schedule; the sandbox uses 0, 1 m, 5 m, 15 m, 1 h, 6 h and counts
    /// `attempts` in the envelope.
    pub(crate) fn killb() -> Self {
        Self {
            delays: [0, 1, 5, 15, 60, 360].into_iter().map(minutes).collect(),
            ack: Ack::Http2xx,
            retry_client_errors: true,
        }
    }

    /// Whether an unacknowledged answer (`None`: no answer at all) may be retried.
    pub(crate) fn retryable(&self, status: Option<u16>) -> bool {
        match status {
            Some(status) if (400..500).contains(&status) => self.retry_client_errors,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cashy_ladder_is_the_documented_one() {
        let policy = RetryPolicy::cashy(Ack::BodySuccess);
        let mins: Vec<u64> = policy.delays.iter().map(|d| d.as_secs() / 60).collect();
        assert_eq!(mins, [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
    }

    #[test]
    fn a55_ladder_is_the_documented_one() {
        // PROVIDERS.md §3: attempts at 0, 1 m, 5 m, 30 m, 2 h, 6 h, 24 h; 5xx and time-outs are
        // retried, 4xx are not; any 2xx is received.
        let policy = RetryPolicy::a55();
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

    #[test]
    fn acknowledgement_forms() {
        assert!(Ack::BodySuccess.accepts(200, "SUCCESS\n"));
        assert!(!Ack::BodySuccess.accepts(200, r#"{"status":"SUCCESS"}"#));
        assert!(!Ack::BodySuccess.accepts(201, "SUCCESS"));
        assert!(Ack::Status200Or3xx.accepts(302, ""));
        assert!(!Ack::Status200Or3xx.accepts(204, ""));
        assert!(!RetryPolicy::a55().retryable(Some(404)));
        assert!(RetryPolicy::a55().retryable(Some(503)));
        assert!(RetryPolicy::a55().retryable(None));
    }
}
