//! A whole Giro stack against the provider sandboxes, for end-to-end tests: a private event
//! stream, the sandboxes on free ports, the webhook ingress, and executors for every provider
//! instance, wired the way `giro up` wires them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutStatus};
use giro_domain::{EventMeta, OrderId, ProviderId};
use giro_eventlog::test_support::TestLog;
use giro_executor::{ExecutorHandle, Timings};
use giro_ingress::IngressHandle;
use giro_providers::{Adapter, PayoutProvider, Registry};
use giro_sandbox::{FaultSettings, SampleKind, Sandbox};

mod charges;
mod start;

/// The payout provider instances the simulators have samples for, in their order.
pub fn payout_providers() -> Vec<&'static str> {
    let mut instances: Vec<&'static str> = Vec::new();
    for sample in giro_sandbox::simulator::samples() {
        if sample.kind == SampleKind::Payout && !instances.contains(&sample.instance) {
            instances.push(sample.instance);
        }
    }
    instances
}

/// How to build the stack.
pub struct StackOptions {
    pub faults: FaultSettings,
    pub timings: Timings,
    /// Executor instances per provider instance.
    pub executors: usize,
    pub seed: u64,
    /// `giro sandbox` options the simulators start with, after the harness's own
    /// ([`giro_sandbox::Simulator::harness_flags`]): e.g. a smaller balance, older webhooks.
    pub sandbox: Vec<String>,
    /// Providers registered after the configured ones, with the same settings (tests' own).
    pub adapters: Vec<Arc<dyn Adapter>>,
    /// The NATS servers (one URL or a cluster's list); the tests' server when `None`.
    pub nats_url: Option<String>,
    /// Replicas of the stack's streams (3 on a cluster).
    pub replicas: usize,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            faults: FaultSettings::default(),
            timings: Timings {
                claim_timeout: Duration::from_secs(3),
                poll_after: Duration::from_millis(500),
                poll_max: Duration::from_secs(2),
                retry_base: Duration::from_millis(100),
                retry_max: Duration::from_millis(800),
                max_attempts: 8,
                hold_recheck: Duration::from_millis(300),
                hold_timeout: Duration::from_secs(300),
                ack_wait: Duration::from_secs(10),
                unknown_timeout: Duration::from_secs(20),
                failover_after: Duration::from_secs(60),
            },
            executors: 1,
            seed: 7,
            sandbox: vec![],
            adapters: vec![],
            nats_url: None,
            replicas: 1,
        }
    }
}

/// A running stack.
pub struct Stack {
    pub log: TestLog,
    pub sandbox: Sandbox,
    pub ingress: IngressHandle,
    /// The providers, as the stack's settings configure them (plus `StackOptions::adapters`).
    pub registry: Arc<Registry>,
    /// The payout instances: id, client, pre-funded.
    pub providers: Vec<(ProviderId, Arc<dyn PayoutProvider>, bool)>,
    pub executors: Vec<(ProviderId, ExecutorHandle)>,
    pub timings: Timings,
    /// The providers' start-up set-up (webhooks registered, bank lists read), as `giro up` runs it.
    pub setup: Option<giro_stack::SetupHandle>,
}

fn pid(s: &str) -> ProviderId {
    ProviderId::try_from(s.to_string()).expect("valid provider id")
}

impl Stack {
    /// The stack's executor configuration.
    fn stack_config(&self) -> giro_stack::StackConfig {
        let mut config = giro_stack::StackConfig::new(self.log.config.prefix.clone(), None);
        config.timings = Some(self.timings.clone());
        config.payout_consumers = giro_stack::PayoutConsumers::PerInstance;
        config
    }

    /// Starts one more charge executor instance of every charge provider.
    pub async fn start_charge_executor(&mut self) {
        let started =
            giro_stack::start_charges(&self.registry, &self.log.log, &self.stack_config(), None)
                .await
                .expect("charge executor starts");
        self.executors
            .extend(started.into_iter().map(|(id, handle)| (pid(&id), handle)));
    }

    /// Starts an intake instance on the stack's stream, and a client of it (10 s per request).
    pub async fn start_intake(&self) -> (giro_intake::IntakeHandle, giro_intake::IntakeClient) {
        self.start_intake_with(giro_intake::IntakeConfig::default())
            .await
    }

    /// [`Stack::start_intake`] with `config`'s operator keys and approval policy (its prefix and
    /// catalog are the stack's).
    pub async fn start_intake_with(
        &self,
        config: giro_intake::IntakeConfig,
    ) -> (giro_intake::IntakeHandle, giro_intake::IntakeClient) {
        let intake = giro_intake::Intake::start(
            self.log.client.clone(),
            self.log.log.clone(),
            giro_intake::IntakeConfig {
                prefix: self.log.config.prefix.clone(),
                catalog: self.registry.catalog(),
                ..config
            },
        )
        .await
        .expect("intake starts");
        let client = giro_intake::IntakeClient::new(
            self.log.client.clone(),
            self.log.config.prefix.clone(),
            Duration::from_secs(10),
        );
        (intake, client)
    }

    /// Starts one more beneficiary account executor instance (`killb-accounts`).
    pub async fn start_beneficiary_executor(&mut self) {
        let started =
            giro_stack::start_accounts(&self.registry, &self.log.log, &self.stack_config())
                .await
                .expect("beneficiary executor starts")
                .expect("a provider keeps accounts");
        self.executors.push((pid(&started.0), started.1));
    }

    /// Starts one more executor instance of payout provider `index` (in `providers` order).
    pub async fn start_executor(&mut self, index: usize) {
        let id = self.providers[index].0.clone();
        let started = giro_stack::start_payouts(
            &self.registry,
            &self.log.log,
            &self.stack_config(),
            Some(id.as_str()),
        )
        .await
        .expect("executor starts");
        self.executors
            .extend(started.into_iter().map(|(_, handle)| (id.clone(), handle)));
    }

    /// Stops (kills) the first running executor of `provider`.
    pub async fn kill_executor(&mut self, provider: &str) {
        if let Some(i) = self
            .executors
            .iter()
            .position(|(id, _)| id.as_str() == provider)
        {
            let (_, handle) = self.executors.remove(i);
            handle.stop().await;
        }
    }

    /// Creates a payout through `provider` as intake would (the body of that instance's first
    /// sample, with `amount`); returns its id.
    pub async fn create(&self, key: &str, provider: &str, amount: &str) -> OrderId {
        let sample = giro_sandbox::simulator::sample_for(SampleKind::Payout, Some(provider))
            .unwrap_or_else(|| panic!("no simulator pays out through {provider}"));
        let body = sample.body(&sample.order(key, amount, 0));
        let draft =
            giro_domain::payout::parse_create(body.to_string().as_bytes()).expect("valid payout");
        let cmd = draft
            .into_command(&self.registry.catalog(), None)
            .expect("routable payout");
        let id = cmd.order_id;
        self.log
            .log
            .execute::<PayoutDecider>(
                id,
                &PayoutCommand::Create(Box::new(cmd)),
                &EventMeta::default(),
                true,
            )
            .await
            .expect("payout stored");
        id
    }

    /// The payout's status now.
    pub async fn status(&self, id: OrderId) -> PayoutStatus {
        let order = self
            .log
            .log
            .load::<PayoutDecider>(id)
            .await
            .expect("order loads");
        order.state.map(|p| p.status).expect("order exists")
    }

    /// A projection of this stack's stream into the test's `schema`, serving on a free port;
    /// `config`'s other settings as given.
    pub async fn start_projection(
        &self,
        schema: &giro_projection::test_support::TestSchema,
        config: giro_projection::ProjectionConfig,
    ) -> giro_projection::ProjectionHandle {
        giro_projection::start(
            giro_projection::ProjectionConfig {
                database_url: schema.database_url.clone(),
                schema: schema.name.clone(),
                listen: "127.0.0.1:0".parse().expect("an address"),
                log: self.log.config.clone(),
                ..config
            },
            self.log.client.clone(),
        )
        .await
        .expect("projection starts")
    }

    /// The payout's events, oldest first.
    pub async fn events(&self, id: OrderId) -> Vec<giro_domain::payout::PayoutEvent> {
        let order = self
            .log
            .log
            .load::<PayoutDecider>(id)
            .await
            .expect("order loads");
        order.events.iter().map(|e| e.event.clone()).collect()
    }

    /// The payout's event types, oldest first.
    pub async fn event_types(&self, id: OrderId) -> Vec<&'static str> {
        self.events(id)
            .await
            .iter()
            .map(giro_domain::EventType::event_type)
            .collect()
    }

    /// Waits until `accept` holds for every order's status or `within` passes; returns statuses.
    pub async fn wait_for(
        &self,
        ids: &[OrderId],
        within: Duration,
        accept: impl Fn(PayoutStatus) -> bool,
    ) -> Vec<PayoutStatus> {
        let deadline = Instant::now() + within;
        loop {
            let mut statuses = Vec::with_capacity(ids.len());
            for id in ids {
                statuses.push(self.status(*id).await);
            }
            if statuses.iter().all(|s| accept(*s)) || Instant::now() > deadline {
                return statuses;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asserts the order's versions run 1..=n without gaps or repeats.
    /// The orders `provider`'s sandbox holds for payout `id` (any attempt's handle).
    pub fn sandbox_orders(&self, provider: &str, id: OrderId) -> Vec<giro_sandbox::OrderReport> {
        self.sandbox
            .registry()
            .orders(&giro_sandbox::OrderFilter {
                provider: Some(provider.to_string()),
                ..giro_sandbox::OrderFilter::default()
            })
            .into_iter()
            .filter(|o| {
                o.order
                    .handle
                    .parse::<giro_domain::SubmissionHandle>()
                    .is_ok_and(|h| h.order_id == id)
            })
            .collect()
    }

    pub async fn assert_gapless(&self, id: OrderId) {
        self.assert_gapless_as::<PayoutDecider>(id).await;
    }

    /// Asserts the versions of the order of kind `D` run 1..=n without gaps or repeats.
    pub async fn assert_gapless_as<D: giro_domain::Decider>(&self, id: OrderId) {
        let order = self.log.log.load::<D>(id).await.expect("order loads");
        let versions: Vec<u64> = order.events.iter().map(|e| e.version).collect();
        assert_eq!(
            versions,
            (1..=versions.len() as u64).collect::<Vec<_>>(),
            "order {id}"
        );
    }
}

/// A folder of its own under the system's temporary folder, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// `<tmp>/<prefix>-<process>-<nanoseconds>`.
    pub fn new(prefix: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("{prefix}-{}-{nanos}", std::process::id());
        TempDir(std::env::temp_dir().join(name))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The verifier of the development keys in `keys` (their issuer and audience), for an intake
/// that takes operator actions.
pub fn dev_verifier(keys: &giro_auth::dev::DevKeys) -> giro_auth::Verifier {
    giro_auth::Verifier::from_file(
        &keys.keys_file(),
        Some(giro_auth::dev::DEV_ISSUER.into()),
        Some(giro_auth::dev::DEV_AUDIENCE.into()),
    )
    .expect("the development keys")
}
