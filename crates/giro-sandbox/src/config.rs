//! What a sandbox run is started with.

use std::any::Any;

use crate::clock::Timing;
use crate::error::Error;
use crate::faults::FaultSettings;
use crate::simulator::SimulatorConfig;

/// Which simulators to start, and how the run behaves.
#[derive(Clone, Debug, Default)]
pub struct SandboxConfig {
    /// The simulators to start, each with its own configuration (at most one of each).
    pub simulators: Vec<Box<dyn SimulatorConfig>>,
    /// Time scale and dwell times.
    pub timing: Timing,
    /// Faults in force from the start (changeable later through `POST /_sandbox/faults`).
    pub faults: FaultSettings,
    /// Seed of all randomness (fault draws, random card outcomes, generated ids).
    pub seed: u64,
}

impl SandboxConfig {
    /// Also starts the simulator `config` describes (replacing one of the same name).
    pub fn with(mut self, config: impl SimulatorConfig) -> Self {
        self.simulators.retain(|s| s.name() != config.name());
        self.simulators.push(Box::new(config));
        self
    }

    /// The configuration of type `T`, if that simulator is started.
    pub fn get<T: SimulatorConfig>(&self) -> Option<&T> {
        self.simulators.iter().find_map(|s| {
            let any: &dyn Any = s.as_ref();
            any.downcast_ref()
        })
    }

    /// The configuration of type `T`, to change before starting.
    pub fn get_mut<T: SimulatorConfig>(&mut self) -> Option<&mut T> {
        self.simulators.iter_mut().find_map(|s| {
            let any: &mut dyn Any = s.as_mut();
            any.downcast_mut()
        })
    }

    /// Refuses settings that cannot work (probabilities outside 0..=1, a negative time scale,
    /// one simulator twice).
    pub fn validate(&self) -> Result<(), Error> {
        self.faults.validate()?;
        if !(self.timing.time_scale.is_finite() && self.timing.time_scale >= 0.0) {
            return Err(Error::Config(format!(
                "time_scale is {}, expected a finite number >= 0",
                self.timing.time_scale
            )));
        }
        for (i, s) in self.simulators.iter().enumerate() {
            if self.simulators[..i].iter().any(|o| o.name() == s.name()) {
                return Err(Error::Config(format!(
                    "the {} simulator is configured twice",
                    s.name()
                )));
            }
        }
        Ok(())
    }
}
