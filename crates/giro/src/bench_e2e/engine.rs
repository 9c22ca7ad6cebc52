//! The engine under measurement, as `giro up` runs it in one process: the sandboxes (no
//! latency, no rate limits, balances for any run length), the ingress, the payout executors and
//! intake, every component on its own connection (counted by role) sharing the log's cache.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use giro_eventlog::{EventLog, EventLogConfig};
use giro_intake::{Intake, IntakeConfig};
use giro_sandbox::{SIMULATORS, SampleKind, Sandbox, Timing};

use super::E2eBenchArgs;

/// Every connection of the run, by component, for the NATS traffic per payout.
pub(super) struct Connections {
    url: String,
    pub(super) all: Arc<Mutex<Vec<(&'static str, async_nats::Client)>>>,
}

impl Connections {
    pub(super) fn new(url: &str) -> Self {
        Connections {
            url: url.to_string(),
            all: Arc::default(),
        }
    }

    /// A new connection for `role`, remembered for the traffic figures.
    pub(super) async fn connect(
        &self,
        role: &'static str,
    ) -> Result<async_nats::Client, giro_eventlog::server::ConnectError> {
        let client = crate::bench::connect(&self.url).await?;
        if let Ok(mut c) = self.all.lock() {
            c.push((role, client.clone()));
        }
        Ok(client)
    }
}

/// The running engine and its sandboxes.
pub(super) struct Engine {
    pub(super) sandbox: Sandbox,
    ingress: giro_ingress::IngressHandle,
    executors: Vec<giro_executor::ExecutorHandle>,
    intake: giro_intake::IntakeHandle,
}

impl Engine {
    pub(super) async fn start(
        args: &E2eBenchArgs,
        config: &EventLogConfig,
        log: &EventLog,
        conns: &Connections,
    ) -> anyhow::Result<Self> {
        // The sandboxes' credentials, from the same GIRO_* variables the providers read, on
        // free ports.
        let mut creds = giro_sandbox::cli::SandboxArgs::automated(&[])?;
        // The ingress's address first (bound now, kept until it serves): the sandboxes need it,
        // and the providers need theirs.
        let mut stack_config = giro_stack::StackConfig::new(config.prefix.clone(), None);
        let listen = giro_stack::bind_ingress(&mut stack_config, "127.0.0.1:0".parse()?)?;
        // `http://giro.localhost:<port>`: providers refuse IP addresses; the sandboxes resolve
        // the name to the ingress without DNS.
        let ingress_url = creds.call_back_locally(listen);
        // No rate limit on either side, balances for any run length: the figure is Giro's.
        creds.for_load();
        let sandbox = start_sandbox(&creds).await?;
        let mut settings = giro_providers::Settings::from_env();
        crate::providers::for_sandbox(&mut settings, &sandbox, &creds);
        settings.set("GIRO_INGRESS_PUBLIC_URL", ingress_url);
        let registry = crate::providers::registry(&settings)?;
        stack_config.max_in_flight = Some(args.executor_in_flight);
        let ingress_log = log.share(conns.connect("ingress").await?).await?;
        let ingress =
            giro_stack::start_ingress(registry.clone(), &ingress_log, &stack_config, listen)
                .await?;
        let mut executors = Vec::new();
        for _ in 0..args.executors.max(1) {
            let log = log.share(conns.connect("executors").await?).await?;
            let started = giro_stack::start_payouts(&registry, &log, &stack_config, None).await?;
            executors.extend(started.into_iter().map(|(_, executor)| executor));
        }
        let intake = Intake::start(
            conns.connect("intake").await?,
            log.clone(),
            IntakeConfig {
                prefix: config.prefix.clone(),
                catalog: registry.catalog(),
                ..IntakeConfig::default()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
        Ok(Engine {
            sandbox,
            ingress,
            executors,
            intake,
        })
    }

    pub(super) async fn stop(self) {
        self.intake.stop().await;
        for e in self.executors {
            e.stop().await;
        }
        self.ingress.stop().await;
        drop(self.sandbox);
    }
}

/// The simulators that pay out (the only orders `giro bench e2e` sends), as `creds` describe
/// them; the others stay off.
async fn start_sandbox(creds: &giro_sandbox::cli::SandboxArgs) -> anyhow::Result<Sandbox> {
    let paying: Vec<&str> = SIMULATORS
        .iter()
        .filter(|s| s.samples().iter().any(|x| x.kind == SampleKind::Payout))
        .map(|s| s.name())
        .collect();
    let mut config = creds.config();
    config.simulators.retain(|s| paying.contains(&s.name()));
    config.timing = Timing {
        time_scale: 0.001,
        step_delay: Duration::ZERO,
        reversal_delay: Duration::from_secs(1),
        callback_timeout: Duration::from_secs(5),
    };
    Ok(Sandbox::start(config).await?)
}
