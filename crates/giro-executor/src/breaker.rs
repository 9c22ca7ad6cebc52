//! The circuit breaker of one provider instance, per executor process: the provider's health
//! (refusals that are not judgements: 5xx, "come back later", unknown outcomes) over a rolling
//! window decides whether payouts that have another candidate of their route go there instead.
//!
//! - **closed**: every payout is sent. `failures` unhealthy answers within `window` open it.
//! - **open**: a payout that can fail over (another candidate, no attempt that can still be paid)
//!   is rerouted (`payout.rerouted`, reason `circuit_open`) without anything being sent. Payouts
//!   with nowhere else to go are still sent, paced by the retry policy: the breaker chooses
//!   where a payout goes, never whether it is made.
//! - **half-open**, after `cool_down`: one payout that could fail over is let through as a
//!   trial; a healthy answer closes the breaker, another unhealthy one opens it again.
//!
//! Each state change is logged and shown as `giro_circuit_state{provider}` (0 closed, 1
//! half-open, 2 open). The state is this process's own: instances learn the provider's health
//! each from its own calls, so no coordination is added.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// When a breaker opens and how long it stays open (`GIRO_BREAKER_FAILURES`,
/// `GIRO_BREAKER_WINDOW`, `GIRO_BREAKER_COOL_DOWN`; the windows in whole seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Unhealthy answers within `window` that open the breaker; 0 never opens it.
    pub failures: u32,
    pub window: Duration,
    /// How long it stays open before one trial is let through.
    pub cool_down: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failures: 10,
            window: Duration::from_secs(30),
            cool_down: Duration::from_secs(30),
        }
    }
}

impl BreakerSettings {
    /// The defaults, with what the environment sets instead.
    pub fn from_env() -> Self {
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let d = BreakerSettings::default();
        BreakerSettings {
            failures: read("GIRO_BREAKER_FAILURES")
                .map_or(d.failures, |n| u32::try_from(n).unwrap_or(u32::MAX)),
            window: read("GIRO_BREAKER_WINDOW").map_or(d.window, Duration::from_secs),
            cool_down: read("GIRO_BREAKER_COOL_DOWN").map_or(d.cool_down, Duration::from_secs),
        }
    }
}

/// Whether a submission's answer shows the provider up: it took the payout, or judged it (a
/// final refusal, a short balance). A failure, "come back later" or an unknown outcome does not.
pub fn healthy(outcome: &giro_providers::Submission) -> bool {
    use giro_providers::{RefusalKind as K, Submission};
    match outcome {
        Submission::Accepted { .. } => true,
        Submission::Refused(r) => match r.kind {
            K::Final | K::InsufficientFunds => true,
            K::Retryable | K::ComeBackAfter(_) | K::OutcomeUnknown => false,
        },
    }
}

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    Closed,
    HalfOpen,
    Open,
}

impl CircuitState {
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::HalfOpen => "half_open",
            CircuitState::Open => "open",
        }
    }

    fn gauge(self) -> i64 {
        match self {
            CircuitState::Closed => 0,
            CircuitState::HalfOpen => 1,
            CircuitState::Open => 2,
        }
    }
}

#[derive(Debug)]
struct Inner {
    state: CircuitState,
    opened_at: Option<Instant>,
    trial_in_flight: bool,
    failures: VecDeque<Instant>,
}

/// One provider instance's breaker (see the module documentation).
#[derive(Debug)]
pub struct Breaker {
    provider: String,
    settings: BreakerSettings,
    inner: Mutex<Inner>,
}

impl Breaker {
    pub fn new(provider: impl Into<String>, settings: BreakerSettings) -> Self {
        let provider = provider.into();
        giro_telemetry::metrics::circuit_state(&provider, CircuitState::Closed.gauge());
        Breaker {
            provider,
            settings,
            inner: Mutex::new(Inner {
                state: CircuitState::Closed,
                opened_at: None,
                trial_in_flight: false,
                failures: VecDeque::new(),
            }),
        }
    }

    /// Whether a payout that could go elsewhere may be sent to this provider now: always when
    /// closed, never when open, and once (the trial) when half-open.
    pub fn admits(&self, now: Instant) -> bool {
        let mut inner = self.lock();
        if inner.state == CircuitState::Open
            && inner
                .opened_at
                .is_some_and(|at| now.duration_since(at) >= self.settings.cool_down)
        {
            self.set(&mut inner, CircuitState::HalfOpen);
        }
        match inner.state {
            CircuitState::Closed => true,
            CircuitState::Open => false,
            CircuitState::HalfOpen if inner.trial_in_flight => false,
            CircuitState::HalfOpen => {
                inner.trial_in_flight = true;
                true
            }
        }
    }

    /// Records one answer of the provider: `healthy` when it took or judged the payout, not
    /// when it failed, asked to come back later, or left the outcome unknown.
    pub fn record(&self, healthy: bool, now: Instant) {
        let mut inner = self.lock();
        if healthy {
            inner.failures.clear();
            if inner.state == CircuitState::HalfOpen {
                inner.trial_in_flight = false;
                self.set(&mut inner, CircuitState::Closed);
            }
            return;
        }
        inner.failures.push_back(now);
        while inner
            .failures
            .front()
            .is_some_and(|at| now.duration_since(*at) > self.settings.window)
        {
            inner.failures.pop_front();
        }
        let many = self.settings.failures > 0
            && inner.failures.len() >= usize::try_from(self.settings.failures).unwrap_or(0);
        let reopen = inner.state == CircuitState::HalfOpen;
        if reopen || (inner.state == CircuitState::Closed && many) {
            inner.opened_at = Some(now);
            inner.trial_in_flight = false;
            self.set(&mut inner, CircuitState::Open);
        }
    }

    /// The breaker's state now.
    pub fn state(&self) -> CircuitState {
        self.lock().state
    }

    fn set(&self, inner: &mut Inner, to: CircuitState) {
        if inner.state == to {
            return;
        }
        tracing::warn!(provider = %self.provider, from = inner.state.as_str(), to = to.as_str(),
            failures = inner.failures.len(), "circuit breaker changed state");
        inner.state = to;
        giro_telemetry::metrics::circuit_state(&self.provider, to.gauge());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> BreakerSettings {
        BreakerSettings {
            failures: 3,
            window: Duration::from_secs(10),
            cool_down: Duration::from_secs(5),
        }
    }

    #[test]
    fn opens_after_failures_in_the_window_and_lets_one_trial_through_after_the_cool_down() {
        let b = Breaker::new("test-provider", settings());
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(b.admits(t0));
            b.record(false, t0 + Duration::from_secs(i));
        }
        assert_eq!(b.state(), CircuitState::Open);
        assert!(!b.admits(t0 + Duration::from_secs(4)));
        let later = t0 + Duration::from_secs(8);
        assert!(b.admits(later), "the trial");
        assert_eq!(b.state(), CircuitState::HalfOpen);
        assert!(!b.admits(later), "one trial at a time");
        b.record(false, later);
        assert_eq!(b.state(), CircuitState::Open);
        let again = later + Duration::from_secs(6);
        assert!(b.admits(again));
        b.record(true, again);
        assert_eq!(b.state(), CircuitState::Closed);
        assert!(b.admits(again));
    }

    #[test]
    fn failures_spread_wider_than_the_window_keep_it_closed() {
        let b = Breaker::new("test-provider-2", settings());
        let t0 = Instant::now();
        for i in 0..6 {
            b.record(false, t0 + Duration::from_secs(i * 6));
        }
        assert_eq!(b.state(), CircuitState::Closed);
    }
}
