//! Giro's stand-ins for its payment providers: HTTP servers that behave as KillB, Cashy (Colombia,
//! Tanzania) and A55 are documented to (`shared/PROVIDERS.md` and the seed pages), as strict as the
//! providers and as unkind as production, so every executor and webhook path runs for real over HTTP
//! and `giro up` works end to end without credentials.
//!
//! Start them with [`Sandbox::start`]; each simulator is optional, listens on its own address (port 0
//! picks a free one) and is stopped when the [`Sandbox`] is dropped. Outcomes are chosen by the
//! amount (see the crate README), faults by [`FaultSettings`] or the `X-Sandbox-Fault` header, and
//! everything that happened is readable under `GET /_sandbox/*` or through [`Sandbox::registry`].

pub mod a55;
pub mod cashy;
pub mod cli;
mod clock;
mod config;
mod context;
mod dispatch;
mod error;
mod faults;
mod introspect;
mod json;
pub mod killb;
mod lifecycle;
mod random;
mod ratelimit;
mod scenario;
mod secret;
mod server;
mod shutdown;
pub mod simulator;
mod statement;

pub use clock::{Clock, Timing};
pub use config::{LOCAL_CALLBACK_HOST, SandboxConfig};
pub use dispatch::Ack;
pub use error::Error;
pub use faults::{FAULT_HEADER, FaultController, FaultSettings, ForcedFaults};
pub use introspect::{
    CallbackAttempt, CallbackOutcome, HandleRecord, OrderFilter, OrderRecord, OrderReport,
    ProviderSummary, Registry, StatusChange, Summary, Truncation,
};
pub use random::Random;
pub use ratelimit::RateLimit;
pub use simulator::{Sample, SampleKind, SampleOrder, Simulator, SimulatorArgs, SimulatorConfig};
pub use statement::{STATEMENT_HEADER, StatementLine};

/// Every simulator, in the order `giro sandbox` lists and starts them; adding a provider's
/// simulator is a new folder and one line here.
pub const SIMULATORS: &[&dyn Simulator] = &[&killb::KILLB, &cashy::CASHY, &a55::A55];

use std::net::SocketAddr;
use std::sync::Arc;

use context::Common;
use dispatch::Dispatcher;
use shutdown::ShutdownTrigger;

/// The running simulators. Dropping it (or calling [`Sandbox::shutdown`]) stops the servers and
/// every pending callback.
pub struct Sandbox {
    servers: Vec<(&'static str, SocketAddr)>,
    common: Common,
    trigger: ShutdownTrigger,
}

impl Sandbox {
    /// Starts the simulators `config` lists, on the system clock.
    pub async fn start(config: SandboxConfig) -> Result<Self, Error> {
        Self::start_with_clock(config, Clock::system()).await
    }

    /// Starts the simulators `config` lists, stamping orders, status changes and callbacks by
    /// `clock` (e.g. [`Clock::starting_at`], to place a test's run on a date of its choosing).
    pub async fn start_with_clock(config: SandboxConfig, clock: Clock) -> Result<Self, Error> {
        config.validate()?;
        let (trigger, shutdown) = shutdown::channel();
        let random = Arc::new(Random::new(config.seed));
        let registry = Arc::new(Registry::new(clock.clone()));
        let dispatcher = Dispatcher::new(
            Arc::clone(&registry),
            config.timing.clone(),
            shutdown.clone(),
            &config.callback_resolve,
        )?;
        let common = Common {
            timing: config.timing.clone(),
            faults: Arc::new(FaultController::new(
                config.faults.clone(),
                Arc::clone(&random),
            )),
            registry,
            random,
            dispatcher,
            shutdown,
            clock,
            statements: Arc::default(),
        };
        let mut servers = Vec::with_capacity(config.simulators.len());
        for simulator in config.simulators {
            let name = simulator.name();
            servers.push((name, simulator.start(common.clone()).await?));
        }
        Ok(Self {
            servers,
            common,
            trigger,
        })
    }

    /// Where the simulator `name` listens, if started.
    pub fn addr(&self, name: &str) -> Option<SocketAddr> {
        self.servers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, addr)| *addr)
    }

    /// `http://<addr>` of the simulator `name`, if started.
    pub fn url(&self, name: &str) -> Option<String> {
        self.addr(name).map(|a| format!("http://{a}"))
    }

    /// Every simulator started, by its name, with its `http://<addr>`.
    pub fn servers(&self) -> Vec<(&'static str, String)> {
        self.servers
            .iter()
            .map(|(name, addr)| (*name, format!("http://{addr}")))
            .collect()
    }

    /// Every simulator started, by provider name as people write it, with its `http://<addr>`.
    pub fn urls(&self) -> Vec<(&'static str, String)> {
        self.servers()
            .into_iter()
            .map(|(name, url)| {
                let label = SIMULATORS
                    .iter()
                    .find(|s| s.name() == name)
                    .map_or(name, |s| s.label());
                (label, url)
            })
            .collect()
    }

    /// The journal of submissions, orders and callbacks.
    pub fn registry(&self) -> &Registry {
        &self.common.registry
    }

    /// The run's fault settings, changeable while running.
    pub fn faults(&self) -> &FaultController {
        &self.common.faults
    }

    /// Stops the servers and background tasks (pending callbacks are abandoned). Dropping the
    /// sandbox does the same.
    pub fn shutdown(self) {
        self.trigger.trigger();
    }

    /// Resolves once the sandbox has been told to stop.
    pub async fn stopped(&self) {
        self.common.shutdown.wait().await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.trigger.trigger();
    }
}
