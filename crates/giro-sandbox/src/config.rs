//! What a sandbox run is started with.

use crate::a55::A55Config;
use crate::cashy::CashyConfig;
use crate::clock::Timing;
use crate::error::Error;
use crate::faults::FaultSettings;
use crate::killb::KillbConfig;

/// Which simulators to start, and how the run behaves.
#[derive(Clone, Debug, Default)]
pub struct SandboxConfig {
    /// The KillB simulator, if wanted.
    pub killb: Option<KillbConfig>,
    /// The Cashy simulator (all its merchants on one server), if wanted.
    pub cashy: Option<CashyConfig>,
    /// The A55 simulator, if wanted.
    pub a55: Option<A55Config>,
    /// Time scale and dwell times.
    pub timing: Timing,
    /// Faults in force from the start (changeable later through `POST /_sandbox/faults`).
    pub faults: FaultSettings,
    /// Seed of all randomness (fault draws, random card outcomes, generated ids).
    pub seed: u64,
}

impl SandboxConfig {
    /// Refuses settings that cannot work (probabilities outside 0..=1, a negative time scale).
    pub fn validate(&self) -> Result<(), Error> {
        self.faults.validate()?;
        if !(self.timing.time_scale.is_finite() && self.timing.time_scale >= 0.0) {
            return Err(Error::Config(format!(
                "time_scale is {}, expected a finite number >= 0",
                self.timing.time_scale
            )));
        }
        Ok(())
    }
}
