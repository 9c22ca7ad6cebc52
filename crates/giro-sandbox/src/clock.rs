//! Time: the scale applied to provider-documented schedules and the timestamp formats on the wire.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

/// How fast the sandbox's clocks run.
///
/// Provider-documented schedules (Cashy's 1…512-minute callback retries, A55's 0 s…24 h retries) are
/// multiplied by `time_scale`, so a test can run Cashy's 17-hour retry ladder in seconds while the
/// ladder's *shape* stays exactly the documented one. The in-flight dwell times are the sandbox's
/// own choice and are not scaled.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    /// Multiplier for documented schedules: 1.0 is real time, 0.001 turns one minute into 60 ms.
    pub time_scale: f64,
    /// How long an order stays in each in-flight status before moving on.
    pub step_delay: Duration,
    /// How long after a final result a reversal (SUCCESS→FAIL, COMPLETED→REFUNDED, …) follows.
    pub reversal_delay: Duration,
    /// Time-out of one callback attempt; an attempt that takes longer counts as failed.
    pub callback_timeout: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            time_scale: 1.0,
            step_delay: Duration::from_secs(2),
            reversal_delay: Duration::from_secs(10),
            callback_timeout: Duration::from_secs(30),
        }
    }
}

impl Timing {
    /// `duration` as it runs under this time scale; never panics, saturates on overflow.
    pub fn scale(&self, duration: Duration) -> Duration {
        let scale = if self.time_scale.is_finite() && self.time_scale >= 0.0 {
            self.time_scale
        } else {
            1.0
        };
        Duration::try_from_secs_f64(duration.as_secs_f64() * scale).unwrap_or(Duration::MAX)
    }
}

/// The sandbox's time of day: when orders are booked and change status, and so on which date
/// they appear in a statement. The system clock by default; [`Clock::starting_at`] runs from a
/// chosen instant instead, so a test can place a whole run on a date of its choosing.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<(DateTime<Utc>, Instant)>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock reading `start` now and moving on at the system clock's pace.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self(Some(Arc::new((start, Instant::now()))))
    }

    /// The current time by this clock.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            None => Utc::now(),
            Some(origin) => {
                let (start, since) = **origin;
                let elapsed = TimeDelta::from_std(since.elapsed()).unwrap_or(TimeDelta::MAX);
                start.checked_add_signed(elapsed).unwrap_or(start)
            }
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("Clock::system()"),
            Some(origin) => write!(f, "Clock::starting_at({})", origin.0),
        }
    }
}

/// KillB's timestamp form, `2024-01-15T10:30:00.000Z`.
pub(crate) fn iso_millis(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Minutes as a [`Duration`], for writing documented schedules the way the providers write them.
pub(crate) const fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_shrinks_documented_minutes() {
        let timing = Timing {
            time_scale: 0.001,
            ..Timing::default()
        };
        assert_eq!(timing.scale(minutes(1)), Duration::from_millis(60));
    }

    #[test]
    fn nonsense_scale_falls_back_to_real_time() {
        let timing = Timing {
            time_scale: f64::NAN,
            ..Timing::default()
        };
        assert_eq!(timing.scale(minutes(2)), minutes(2));
    }
}
