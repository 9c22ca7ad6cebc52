//! The engine's runtime components wired from a provider registry, the one way `giro up`,
//! `giro bench e2e` and the end-to-end tests start them: a payout executor over every instance
//! with the payouts capability, a charge executor per instance with the charges capability, the
//! beneficiary account executor on the instance with the accounts capability, the webhook
//! ingress serving every registered receiver, and the notifications out to internal services
//! (`giro-notify`). The executors are started with
//! `giro_executor::start_payouts`, `start_charges` and `start_beneficiaries`, unchanged.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use giro_domain::ProviderId;
use giro_domain::beneficiary::ACCOUNTS_PROVIDER;
use giro_eventlog::EventLog;
use giro_executor::{ExecutorConfig, ExecutorHandle, PayoutInstance, Timings};
use giro_ingress::{IngressConfig, IngressHandle};
use giro_providers::{BoxFuture, Registry};

mod notify;
pub use notify::start_notify;
mod setup;
pub use setup::{SetupHandle, open_bank_lists, set_up_providers};

/// Why a component did not start.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("opening the event log for {component}: {reason}")]
    Log { component: String, reason: String },
    #[error("starting {component}: {reason}")]
    Start { component: String, reason: String },
    /// A provider refused Giro's set-up (wrong credentials, a configured account it does not have).
    #[error("setting up provider {provider}: {reason}")]
    Setup { provider: String, reason: String },
}

/// Where each component gets its event log: in `giro up` each has a connection of its own
/// (named after it) sharing one cache of recent orders; in tests they share one handle.
pub trait Logs: Send + Sync {
    /// The event log for the component named `component` (e.g. `giro-executor-killb`).
    fn open<'a>(&'a self, component: &'a str) -> BoxFuture<'a, Result<EventLog, StackError>>;
}

impl Logs for EventLog {
    fn open<'a>(&'a self, _component: &'a str) -> BoxFuture<'a, Result<EventLog, StackError>> {
        Box::pin(async move { Ok(self.clone()) })
    }
}

/// How payout executors consume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutConsumers {
    /// One executor driving every payout instance on one shared consumer (`giro up`).
    Shared,
    /// One executor (and consumer) per payout instance (`giro executor --provider`).
    PerInstance,
}

/// How to run the components.
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// Subject prefix of commands and events (`giro`).
    pub prefix: String,
    /// Executor timings; the executor's defaults when `None`.
    pub timings: Option<Timings>,
    /// Orders each executor steps at once; the executor's default when `None`.
    pub max_in_flight: Option<usize>,
    pub payout_consumers: PayoutConsumers,
    /// Where the ingress listens (port 0 picks one); `None` runs no ingress.
    pub ingress: Option<SocketAddr>,
    /// A socket already bound to `ingress`, served instead of binding it again (see
    /// [`bind_ingress`]).
    pub ingress_bound: Option<Arc<std::net::TcpListener>>,
    /// Whether the ingress's `/metrics` serves the process-wide metrics too (see
    /// `IngressConfig::process_metrics`).
    pub ingress_process_metrics: bool,
    /// How often the providers' set-up runs again after start-up (bank lists read again,
    /// webhooks checked): `GIRO_PROVIDER_SETUP_EVERY` seconds, an hour by default.
    pub setup_every: Duration,
    /// `GIRO_FAILOVER_MAINTENANCE_AFTER` (whole seconds): how long a payout is turned away with
    /// "come back later" before it fails over; the timings' own when `None`.
    pub failover_after: Option<Duration>,
    /// The executors' circuit breakers (`GIRO_BREAKER_*`, see `giro_executor::breaker`).
    pub breaker: giro_executor::breaker::BreakerSettings,
    /// One provider call's time-out (`GIRO_PROVIDER_TIMEOUT`). With the default timings the claim
    /// time-out is at least twice it, so that no claim is taken for gone while its call may still
    /// be under way; explicit `timings` are taken as given.
    pub provider_timeout: Duration,
}

/// How often provider set-up runs again when `GIRO_PROVIDER_SETUP_EVERY` does not say.
pub const DEFAULT_SETUP_EVERY: Duration = Duration::from_secs(3600);

/// `GIRO_PROVIDER_SETUP_EVERY` (whole seconds, at least 1), else [`DEFAULT_SETUP_EVERY`].
pub fn setup_every_from_env() -> Duration {
    std::env::var("GIRO_PROVIDER_SETUP_EVERY")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(DEFAULT_SETUP_EVERY, Duration::from_secs)
}

impl StackConfig {
    /// Every component, executors with default timings and one shared payout consumer.
    pub fn new(prefix: impl Into<String>, ingress: Option<SocketAddr>) -> Self {
        StackConfig {
            prefix: prefix.into(),
            timings: None,
            max_in_flight: None,
            payout_consumers: PayoutConsumers::Shared,
            ingress,
            ingress_bound: None,
            ingress_process_metrics: true,
            setup_every: setup_every_from_env(),
            failover_after: std::env::var("GIRO_FAILOVER_MAINTENANCE_AFTER")
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
            breaker: giro_executor::breaker::BreakerSettings::from_env(),
            provider_timeout: giro_providers::Settings::from_env()
                .provider_timeout()
                .unwrap_or(giro_providers::settings::DEFAULT_PROVIDER_TIMEOUT),
        }
    }

    /// The executor configuration of `provider`.
    pub fn executor(&self, provider: ProviderId) -> ExecutorConfig {
        let mut config = ExecutorConfig::new(provider, self.prefix.clone());
        match &self.timings {
            Some(timings) => config.timings = timings.clone(),
            None => {
                let floor = self.provider_timeout.saturating_mul(2);
                config.timings.claim_timeout = config.timings.claim_timeout.max(floor);
            }
        }
        if let Some(after) = self.failover_after {
            config.timings.failover_after = after;
        }
        config.breaker = self.breaker.clone();
        if let Some(n) = self.max_in_flight {
            config.max_in_flight = n.max(1);
        }
        config
    }
}

/// The running components.
pub struct Stack {
    pub ingress: Option<IngressHandle>,
    /// Each executor with the provider instance(s) it serves (`a,b` for a shared consumer).
    pub executors: Vec<(String, ExecutorHandle)>,
    /// The providers' set-up, run again every [`StackConfig::setup_every`].
    pub setup: SetupHandle,
    /// Notifications out: on NATS, and the webhooks of `GIRO_WEBHOOKS_FILE`.
    pub notify: giro_notify::NotifyHandle,
}

impl Stack {
    /// Stops every executor, then the ingress.
    pub async fn stop(self) {
        self.setup.stop();
        self.notify.stop().await;
        for (_, executor) in self.executors {
            executor.stop().await;
        }
        if let Some(ingress) = self.ingress {
            ingress.stop().await;
        }
    }
}

fn start_error(component: &str, e: impl std::fmt::Display) -> StackError {
    StackError::Start {
        component: component.to_string(),
        reason: e.to_string(),
    }
}

/// Starts the ingress and every executor of `registry`.
pub async fn start(
    registry: Arc<Registry>,
    logs: &dyn Logs,
    config: &StackConfig,
) -> Result<Stack, StackError> {
    // The ingress first: its port may have been chosen (and told to the providers) just before,
    // and is taken the sooner the better.
    let ingress = match config.ingress {
        Some(listen) => Some(start_ingress(registry.clone(), logs, config, listen).await?),
        None => None,
    };
    let banks = open_bank_lists(logs).await?;
    let setup =
        match set_up_providers(registry.clone(), None, config.setup_every, Some(banks)).await {
            Ok(setup) => setup,
            Err(e) => {
                if let Some(ingress) = ingress {
                    ingress.stop().await;
                }
                return Err(e);
            }
        };
    let mut executors = start_payouts(&registry, logs, config, None).await?;
    executors.extend(start_charges(&registry, logs, config, None).await?);
    executors.extend(start_accounts(&registry, logs, config).await?);
    let notify = start_notify(logs, None).await?;
    Ok(Stack {
        ingress,
        executors,
        setup,
        notify,
    })
}

/// The webhook ingress of `registry`'s receivers on `listen`.
pub async fn start_ingress(
    registry: Arc<Registry>,
    logs: &dyn Logs,
    config: &StackConfig,
    listen: SocketAddr,
) -> Result<IngressHandle, StackError> {
    let log = logs.open("giro-ingress").await?;
    let mut ingress = IngressConfig::new(listen, config.prefix.clone(), registry);
    ingress.process_metrics = config.ingress_process_metrics;
    let started = match &config.ingress_bound {
        Some(bound) => bound
            .try_clone()
            .and_then(|listener| giro_ingress::start_on(log, ingress, listener)),
        None => giro_ingress::start(log, ingress).await,
    };
    started.map_err(|e| start_error(&format!("the ingress on {listen}"), e))
}

/// Binds the ingress's address now (port 0 picks one) and keeps the socket in `config`, for a
/// caller that must tell the providers where the ingress is before it starts: the port stays
/// Giro's until the ingress serves on it. Returns the address bound.
pub fn bind_ingress(config: &mut StackConfig, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    config.ingress = Some(bound);
    config.ingress_bound = Some(Arc::new(listener));
    Ok(bound)
}

/// The payout executors of `registry`'s payout instances (only `only` when given).
pub async fn start_payouts(
    registry: &Registry,
    logs: &dyn Logs,
    config: &StackConfig,
    only: Option<&str>,
) -> Result<Vec<(String, ExecutorHandle)>, StackError> {
    let instances: Vec<PayoutInstance> = registry
        .payout_instances()
        .filter(|i| only.is_none_or(|id| i.id().as_str() == id))
        .filter_map(|i| {
            i.payouts.clone().map(|provider| PayoutInstance {
                provider,
                config: config.executor(i.id().clone()),
                prefunded: i.prefunded,
                currencies: i.profile.payouts.iter().map(|c| c.currency).collect(),
            })
        })
        .collect();
    let groups = match config.payout_consumers {
        PayoutConsumers::Shared if instances.len() > 1 => vec![instances],
        _ => instances.into_iter().map(|i| vec![i]).collect(),
    };
    let mut started = Vec::new();
    for group in groups {
        let ids: Vec<String> = group
            .iter()
            .map(|i| i.config.provider.to_string())
            .collect();
        let name = match ids.as_slice() {
            [one] => format!("giro-executor-{one}"),
            _ => giro_executor::SHARED_PAYOUT_CONSUMER.to_string(),
        };
        let log = logs.open(&name).await?;
        let served = ids.join(",");
        let handle = giro_executor::start_payouts(log, group)
            .await
            .map_err(|e| start_error(&format!("the payout executor of {served}"), e))?;
        tracing::info!(providers = %served, consumer = %name, "payout executor running");
        started.push((served, handle));
    }
    Ok(started)
}

/// A charge executor per charge instance of `registry` (only `only` when given).
pub async fn start_charges(
    registry: &Registry,
    logs: &dyn Logs,
    config: &StackConfig,
    only: Option<&str>,
) -> Result<Vec<(String, ExecutorHandle)>, StackError> {
    let mut started = Vec::new();
    for instance in registry.instances() {
        let Some(provider) = instance.charges.clone() else {
            continue;
        };
        let id = instance.id().clone();
        if only.is_some_and(|o| o != id.as_str()) {
            continue;
        }
        let log = logs.open(&format!("giro-executor-{id}")).await?;
        let handle = giro_executor::start_charges(log, provider, config.executor(id.clone()))
            .await
            .map_err(|e| start_error(&format!("the charge executor of {id}"), e))?;
        tracing::info!(provider = %id, "charge executor running");
        started.push((id.to_string(), handle));
    }
    Ok(started)
}

/// The beneficiary account executor (`killb-accounts` orders), on the first instance of
/// `registry` that keeps accounts; none when no instance does.
pub async fn start_accounts(
    registry: &Registry,
    logs: &dyn Logs,
    config: &StackConfig,
) -> Result<Option<(String, ExecutorHandle)>, StackError> {
    let Some(provider) = registry.instances().iter().find_map(|i| i.accounts.clone()) else {
        return Ok(None);
    };
    let id = giro_providers::provider_id(ACCOUNTS_PROVIDER)
        .map_err(|e| start_error("the beneficiary executor", e))?;
    let log = logs.open(&format!("giro-executor-{id}")).await?;
    let handle = giro_executor::start_beneficiaries(log, provider, config.executor(id.clone()))
        .await
        .map_err(|e| start_error(&format!("the beneficiary executor of {id}"), e))?;
    tracing::info!(provider = %id, "beneficiary account executor running");
    Ok(Some((id.to_string(), handle)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the default timings no claim is taken for gone while its provider call may still run.
    #[test]
    fn the_default_claim_time_out_is_at_least_twice_the_provider_call_time_out() {
        let mut config = StackConfig::new("giro", None);
        let provider = ProviderId::try_from("cashy-co".to_string()).unwrap();
        for (call, claim) in [(5, 40), (20, 40), (30, 60)] {
            config.provider_timeout = Duration::from_secs(call);
            let timings = config.executor(provider.clone()).timings;
            assert_eq!(
                timings.claim_timeout,
                Duration::from_secs(claim),
                "call {call}s"
            );
        }
        config.timings = Some(Timings {
            claim_timeout: Duration::from_secs(3),
            ..Timings::default()
        });
        let timings = config.executor(provider).timings;
        assert_eq!(timings.claim_timeout, Duration::from_secs(3));
    }
}
