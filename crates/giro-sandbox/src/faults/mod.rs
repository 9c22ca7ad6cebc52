//! Fault injection: what goes wrong, decided per run (settings) and per request (header).

mod layer;
mod settings;

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

pub(crate) use layer::{FaultLayer, ProviderAnswers, inject};
pub use settings::{FAULT_HEADER, FaultSettings, ForcedFaults};

use crate::error::Error;
use crate::random::Random;

/// The run's fault settings and the seeded randomness the draws use.
#[derive(Debug)]
pub struct FaultController {
    settings: RwLock<FaultSettings>,
    random: Arc<Random>,
}

/// How a processed request's response is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lose {
    /// Close the connection without a response.
    Drop,
    /// Hold the connection for this long, then close it without a response.
    Hang(Duration),
}

/// The faults that hit one provider request.
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestFaults {
    pub latency: Duration,
    pub error_5xx: bool,
    pub rate_limit: bool,
    pub maintenance: bool,
    pub lose: Option<Lose>,
}

/// Callback faults fixed when an order is created.
#[derive(Clone, Debug, Default)]
pub(crate) struct OrderFaults {
    pub forced: ForcedFaults,
    pub reorder: bool,
    pub reverse_later: bool,
}

/// What happens to one notification.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NotificationFaults {
    pub drop: bool,
    pub duplicate: bool,
    pub delay: Option<Duration>,
}

impl FaultController {
    /// Starts with `settings`, drawing from `random`.
    pub fn new(settings: FaultSettings, random: Arc<Random>) -> Self {
        Self {
            settings: RwLock::new(settings),
            random,
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> FaultSettings {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the settings; refused when a probability is outside 0..=1.
    pub fn set(&self, settings: FaultSettings) -> Result<(), Error> {
        settings.validate()?;
        *self
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = settings;
        Ok(())
    }

    /// Restarts the random sequence, so the next draws repeat a known run.
    pub fn reseed(&self, seed: u64) {
        self.random.reseed(seed);
    }

    /// Whether `simulator` is down for maintenance (`FaultSettings::down_for_maintenance`).
    pub(crate) fn is_down(&self, simulator: &str) -> bool {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .down_for_maintenance
            .iter()
            .any(|s| s == simulator)
    }

    pub(crate) fn draw_request(&self, forced: &ForcedFaults) -> RequestFaults {
        let s = self.settings();
        let lose = if forced.lose_response || self.random.chance(s.lose_response) {
            Some(Lose::Drop)
        } else if let Some(hang) = forced.hang_response {
            Some(Lose::Hang(hang.unwrap_or_else(|| s.hang_for())))
        } else if self.random.chance(s.hang_response) {
            Some(Lose::Hang(s.hang_for()))
        } else {
            None
        };
        RequestFaults {
            latency: forced
                .latency
                .unwrap_or(Duration::from_millis(s.latency_ms)),
            error_5xx: forced.error_5xx || self.random.chance(s.error_5xx),
            rate_limit: forced.rate_limit || self.random.chance(s.rate_limit),
            maintenance: forced.maintenance || self.random.chance(s.maintenance),
            lose,
        }
    }

    pub(crate) fn draw_order(&self, forced: &ForcedFaults) -> OrderFaults {
        let s = self.settings();
        OrderFaults {
            forced: forced.clone(),
            reorder: forced.reorder_callbacks || self.random.chance(s.reorder_callbacks),
            reverse_later: forced.reverse_later || self.random.chance(s.reverse_later),
        }
    }

    pub(crate) fn draw_notification(&self, order: &OrderFaults) -> NotificationFaults {
        let s = self.settings();
        let delay = match order.forced.delay_callback {
            Some(forced) => Some(forced.unwrap_or_else(|| s.callback_delay())),
            None => self
                .random
                .chance(s.delay_callback)
                .then(|| s.callback_delay()),
        };
        NotificationFaults {
            drop: order.forced.drop_callback || self.random.chance(s.drop_callback),
            duplicate: order.forced.duplicate_callback || self.random.chance(s.duplicate_callback),
            delay,
        }
    }

    /// A seeded coin flip for provider behaviour documented as random (A55 card ending in 9).
    pub(crate) fn coin(&self) -> bool {
        self.random.chance(0.5)
    }
}
