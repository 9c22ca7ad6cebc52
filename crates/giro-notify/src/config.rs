//! How notifications go out: where (stream, prefix), to which webhook subscriptions, and how
//! long a failing webhook is retried.

use std::path::Path;
use std::time::Duration;

use giro_eventlog::EventLogConfig;

use crate::error::Error;
use crate::subscriptions::Subscriptions;

/// How a webhook that was not answered with 2xx is tried again: after `base`, doubling up to
/// `max` between attempts, for `horizon` after it was first queued; then it is dead-lettered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max: Duration,
    pub horizon: Duration,
}

impl Default for RetryPolicy {
    /// 10 s doubling to an hour between attempts, for 24 hours.
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(10),
            max: Duration::from_secs(3600),
            horizon: Duration::from_secs(24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, after `attempt` failed ones (1 for the first).
    pub fn delay(&self, attempt: u64) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1).min(30)).unwrap_or(30);
        self.base
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.max)
    }

    /// `GIRO_WEBHOOK_RETRY_BASE`, `GIRO_WEBHOOK_RETRY_MAX` and `GIRO_WEBHOOK_RETRY_HORIZON`
    /// (whole seconds) over the defaults; a value that is not a positive number is an error
    /// naming the variable.
    pub fn from_env() -> Result<Self, Error> {
        let mut policy = RetryPolicy::default();
        for (name, field) in [
            ("GIRO_WEBHOOK_RETRY_BASE", &mut policy.base),
            ("GIRO_WEBHOOK_RETRY_MAX", &mut policy.max),
            ("GIRO_WEBHOOK_RETRY_HORIZON", &mut policy.horizon),
        ] {
            let Ok(value) = std::env::var(name) else {
                continue;
            };
            match value.trim().parse::<u64>() {
                Ok(secs) if secs > 0 => *field = Duration::from_secs(secs),
                _ => {
                    return Err(Error::Config(format!(
                        "{name} must be a whole number of seconds above 0, got {value:?}"
                    )));
                }
            }
        }
        Ok(policy)
    }
}

/// Everything the notifier and the webhook deliverer need.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// The event log's stream and prefix; the notification and webhook streams are named after it.
    pub log: EventLogConfig,
    pub subscriptions: Subscriptions,
    pub retry: RetryPolicy,
    /// How long one webhook call may take (connect, send, answer).
    pub http_timeout: Duration,
}

impl NotifyConfig {
    /// Notifications on NATS only: no webhook subscriptions, the default retry policy.
    pub fn new(log: EventLogConfig) -> Self {
        NotifyConfig {
            log,
            subscriptions: Subscriptions::default(),
            retry: RetryPolicy::default(),
            http_timeout: Duration::from_secs(10),
        }
    }

    /// As `giro up` configures it: the webhook subscriptions of the file named by
    /// `GIRO_WEBHOOKS_FILE` (none when unset), the retry policy of the environment.
    pub fn from_env(log: EventLogConfig) -> Result<Self, Error> {
        let mut config = NotifyConfig::new(log);
        config.retry = RetryPolicy::from_env()?;
        if let Some(path) = std::env::var_os("GIRO_WEBHOOKS_FILE").filter(|p| !p.is_empty()) {
            config.subscriptions = Subscriptions::load(Path::new(&path))?;
        }
        Ok(config)
    }

    /// The stream keeping notifications (`<prefix>.notify.>`).
    pub fn notification_stream(&self) -> String {
        format!("{}_NOTIFY", self.log.stream)
    }

    /// The work-queue stream of webhook deliveries (`<prefix>.webhook.>`).
    pub fn webhook_stream(&self) -> String {
        format!("{}_WEBHOOKS", self.log.stream)
    }

    /// The subject a delivery to subscription `id` is queued on.
    pub fn webhook_subject(&self, id: &str) -> String {
        format!("{}.webhook.{id}", self.log.prefix)
    }

    /// The dead-letter subject of subscription `id` (kept by `<stream>_DLQ`).
    pub fn dead_letter_subject(&self, id: &str) -> String {
        format!("{}.dlq.webhooks.{id}", self.log.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_the_base_up_to_the_maximum() {
        let policy = RetryPolicy {
            base: Duration::from_secs(10),
            max: Duration::from_secs(60),
            horizon: Duration::from_secs(3600),
        };
        let delays: Vec<u64> = (1..=6).map(|a| policy.delay(a).as_secs()).collect();
        assert_eq!(delays, [10, 20, 40, 60, 60, 60]);
        assert_eq!(policy.delay(u64::MAX), Duration::from_secs(60));
    }
}
