//! When a provider considers a callback received, and when it tries again.

use std::time::Duration;

/// What counts as "received" for a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Ack {
    /// Any 2xx.
    #[value(name = "2xx")]
    Http2xx,
    /// HTTP 200 whose body, trimmed, is exactly `SUCCESS` (seed 001).
    #[value(name = "success-body")]
    BodySuccess,
    /// HTTP 200, 301 or 302, whatever the body (seed 004).
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
    /// Whether a 4xx answer is retried (for some providers anything but success is a failure).
    pub retry_client_errors: bool,
}

impl RetryPolicy {
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
    fn acknowledgement_forms() {
        assert!(Ack::BodySuccess.accepts(200, "SUCCESS\n"));
        assert!(!Ack::BodySuccess.accepts(200, r#"{"status":"SUCCESS"}"#));
        assert!(!Ack::BodySuccess.accepts(201, "SUCCESS"));
        assert!(Ack::Status200Or3xx.accepts(302, ""));
        assert!(!Ack::Status200Or3xx.accepts(204, ""));
        let no_client_errors = RetryPolicy {
            delays: vec![Duration::ZERO],
            ack: Ack::Http2xx,
            retry_client_errors: false,
        };
        assert!(!no_client_errors.retryable(Some(404)));
        assert!(no_client_errors.retryable(Some(503)));
        assert!(no_client_errors.retryable(None));
    }
}
