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

pub use clock::Timing;
pub use config::SandboxConfig;
pub use dispatch::Ack;
pub use error::Error;
pub use faults::{FAULT_HEADER, FaultController, FaultSettings, ForcedFaults};
pub use introspect::{
    CallbackAttempt, CallbackOutcome, HandleRecord, OrderFilter, OrderRecord, OrderReport,
    ProviderSummary, Registry, StatusChange, Summary, Truncation,
};
pub use random::Random;
pub use ratelimit::RateLimit;

use std::net::SocketAddr;
use std::sync::Arc;

use context::Common;
use dispatch::Dispatcher;
use shutdown::ShutdownTrigger;

/// The running simulators. Dropping it (or calling [`Sandbox::shutdown`]) stops the servers and
/// every pending callback.
pub struct Sandbox {
    killb: Option<SocketAddr>,
    cashy: Option<SocketAddr>,
    a55: Option<SocketAddr>,
    common: Common,
    trigger: ShutdownTrigger,
}

impl Sandbox {
    /// Starts the simulators `config` enables.
    pub async fn start(config: SandboxConfig) -> Result<Self, Error> {
        config.validate()?;
        let (trigger, shutdown) = shutdown::channel();
        let random = Arc::new(Random::new(config.seed));
        let registry = Arc::new(Registry::default());
        let dispatcher = Dispatcher::new(
            Arc::clone(&registry),
            config.timing.clone(),
            shutdown.clone(),
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
        };
        let killb = match config.killb {
            Some(killb) => Some(killb::start(killb, common.clone()).await?),
            None => None,
        };
        let cashy = match config.cashy {
            Some(cashy) => Some(cashy::start(cashy, common.clone()).await?),
            None => None,
        };
        let a55 = match config.a55 {
            Some(a55) => Some(a55::start(a55, common.clone()).await?),
            None => None,
        };
        Ok(Self {
            killb,
            cashy,
            a55,
            common,
            trigger,
        })
    }

    /// Where the KillB simulator listens, if started.
    pub fn killb_addr(&self) -> Option<SocketAddr> {
        self.killb
    }

    /// `http://<addr>` of the KillB simulator, if started.
    pub fn killb_url(&self) -> Option<String> {
        self.killb.map(|a| format!("http://{a}"))
    }

    /// Where the Cashy simulator listens, if started.
    pub fn cashy_addr(&self) -> Option<SocketAddr> {
        self.cashy
    }

    /// `http://<addr>` of the Cashy simulator (its `baseUrl`), if started.
    pub fn cashy_url(&self) -> Option<String> {
        self.cashy.map(|a| format!("http://{a}"))
    }

    /// Where the A55 simulator (API and OAuth2 host) listens, if started.
    pub fn a55_addr(&self) -> Option<SocketAddr> {
        self.a55
    }

    /// `http://<addr>` of the A55 simulator, if started.
    pub fn a55_url(&self) -> Option<String> {
        self.a55.map(|a| format!("http://{a}"))
    }

    /// Every simulator started, by provider name, with its `http://<addr>`.
    pub fn urls(&self) -> Vec<(&'static str, String)> {
        [
            ("KillB", self.killb_url()),
            ("Cashy", self.cashy_url()),
            ("A55", self.a55_url()),
        ]
        .into_iter()
        .filter_map(|(name, url)| Some((name, url?)))
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
