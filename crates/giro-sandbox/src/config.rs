//! What a sandbox run is started with.

use std::any::Any;
use std::net::{IpAddr, Ipv4Addr};

use crate::clock::Timing;
use crate::error::Error;
use crate::faults::FaultSettings;
use crate::simulator::SimulatorConfig;

/// The host name Giro's development public URL uses (`http://giro.localhost:<port>`): a name,
/// not an IP address, because providers refuse callback addresses that are IP addresses
/// (Cashy seed 001), and one under `.localhost` (RFC 6761), which never reaches the internet.
/// The sandbox does not ask DNS for it: [`SandboxConfig::callback_resolve`] maps it.
pub const LOCAL_CALLBACK_HOST: &str = "giro.localhost";

/// Which simulators to start, and how the run behaves.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The simulators to start, each with its own configuration (at most one of each).
    pub simulators: Vec<Box<dyn SimulatorConfig>>,
    /// Time scale and dwell times.
    pub timing: Timing,
    /// Faults in force from the start (changeable later through `POST /_sandbox/faults`).
    pub faults: FaultSettings,
    /// Seed of all randomness (fault draws, random card outcomes, generated ids).
    pub seed: u64,
    /// Where callbacks to these host names go, instead of asking DNS (as curl's `--resolve`; the
    /// port is the callback URL's): by default [`LOCAL_CALLBACK_HOST`] is the loopback address,
    /// so development callbacks need neither DNS nor the internet.
    pub callback_resolve: Vec<(String, IpAddr)>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            simulators: Vec::new(),
            timing: Timing::default(),
            faults: FaultSettings::default(),
            seed: 0,
            callback_resolve: vec![(
                LOCAL_CALLBACK_HOST.to_owned(),
                IpAddr::V4(Ipv4Addr::LOCALHOST),
            )],
        }
    }
}

impl SandboxConfig {
    /// Also starts the simulator `config` describes (replacing one of the same name).
    pub fn with(mut self, config: impl SimulatorConfig) -> Self {
        self.simulators.retain(|s| s.name() != config.name());
        self.simulators.push(Box::new(config));
        self
    }

    /// Sends callbacks to `host` to `ip` (replacing what it was mapped to).
    pub fn resolve(mut self, host: &str, ip: IpAddr) -> Self {
        resolve(&mut self.callback_resolve, host, ip);
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

/// Maps `host` (compared without case) to `ip` in `map`, replacing an earlier mapping.
pub(crate) fn resolve(map: &mut Vec<(String, IpAddr)>, host: &str, ip: IpAddr) {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    map.retain(|(h, _)| *h != host);
    map.push((host, ip));
}
