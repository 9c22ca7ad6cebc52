//! Starting components and what they share: connections, the event log, the ops endpoints, the
//! sandboxes of `giro up`, and a clean shutdown on Ctrl-C or SIGTERM.

use std::process::ExitCode;

use anyhow::Context as _;
use giro_eventlog::EventLog;
use giro_intake::{Intake, IntakeClient, IntakeConfig, Reply};

use super::args::{ClientArgs, ExecutorArgs, NatsArgs, UpArgs};

/// A connection for one command, or the `unavailable` reply saying why there is none.
pub(crate) async fn connect(args: &ClientArgs) -> Result<async_nats::Client, Reply> {
    let options = async_nats::ConnectOptions::new()
        .name("giro-cli")
        .connection_timeout(args.timeout);
    giro_eventlog::server::connect(&args.nats_url, options)
        .await
        .map_err(|e| Reply::unavailable(e.to_string()))
}

/// A client for commands; `None`, with the `unavailable` reply printed, when NATS cannot be
/// reached.
pub(crate) async fn client(args: &ClientArgs) -> Option<IntakeClient> {
    match connect(args).await {
        Ok(c) => Some(IntakeClient::new(c, args.prefix.clone(), args.timeout)),
        Err(refused) => {
            print_reply(&refused);
            None
        }
    }
}

/// Writes `text` to standard output; a reader that went away (`giro … | head`) is not an error
/// worth a panic, so a failed write is ignored.
pub(crate) fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

pub(crate) fn print_reply(reply: &Reply) -> ExitCode {
    match serde_json::to_string_pretty(reply) {
        Ok(s) => out(&format!("{s}\n")),
        Err(e) => eprintln!("giro: cannot print the reply: {e}"),
    }
    if reply.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Ctrl-C or SIGTERM (what `docker stop` and systemd send): components stop cleanly, and
/// pending spans are flushed on the way out.
pub(super) async fn wait_for_shutdown() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "SIGTERM cannot be caught; stop with Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}

/// The variable naming the approval policy's file (`giro_domain::approvals`).
pub(crate) const APPROVALS_FILE: &str = "GIRO_APPROVALS_FILE";

/// The approval policy of `GIRO_APPROVALS_FILE`, checked; none without the variable.
pub(crate) fn approval_policy() -> anyhow::Result<giro_domain::approvals::ApprovalPolicy> {
    let Ok(path) = std::env::var(APPROVALS_FILE) else {
        return Ok(Default::default());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("{APPROVALS_FILE}={path}: {e}"))?;
    let policy = giro_domain::approvals::ApprovalPolicy::parse(&text)
        .map_err(|e| anyhow::anyhow!("{APPROVALS_FILE}={path}: {e}"))?;
    policy
        .validate()
        .map_err(|errors| anyhow::anyhow!("{APPROVALS_FILE}={path}: {}", errors.join("; ")))?;
    Ok(policy)
}

/// The intake service, validating and routing orders with `registry`'s catalog.
pub(super) async fn run_intake(
    args: &NatsArgs,
    name: &str,
    shared: Option<&EventLog>,
    registry: &giro_providers::Registry,
    operators: Option<giro_auth::Verifier>,
) -> anyhow::Result<giro_intake::IntakeHandle> {
    let client = args.connect_service(name).await?;
    let log = log_on(args, client.clone(), shared).await?;
    let config = IntakeConfig {
        prefix: args.prefix.clone(),
        catalog: registry.catalog(),
        approvals: approval_policy()?,
        operators,
        ..IntakeConfig::default()
    };
    let handle = Intake::start(client, log, config)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    tracing::info!(prefix = %args.prefix, stream = %args.stream, "giro-intake is serving");
    Ok(handle)
}

/// Serves /healthz, /readyz (ready while NATS is connected) and /metrics on `addr`.
pub(super) async fn serve_ops(
    args: &NatsArgs,
    name: &str,
    addr: std::net::SocketAddr,
) -> anyhow::Result<std::net::SocketAddr> {
    let client = args.connect_service(name).await?;
    let ready: giro_telemetry::ops::Readiness =
        std::sync::Arc::new(move || match client.connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            state => Err(format!("NATS is {state}")),
        });
    let bound = giro_telemetry::ops::serve(addr, ready)
        .await
        .with_context(|| format!("binding /metrics to {addr} (set GIRO_METRICS_ADDR)"))?;
    tracing::info!(%bound, "serving /healthz, /readyz and /metrics");
    Ok(bound)
}

/// The event log on a connection of its own named `name`; sharing `shared`'s cache of recent
/// orders when the components run in one process (`giro up`).
pub(super) async fn open_log(
    args: &NatsArgs,
    name: &str,
    shared: Option<&EventLog>,
) -> anyhow::Result<EventLog> {
    log_on(args, args.connect_service(name).await?, shared).await
}

/// The event log over `client`: sharing `shared`'s cache when given, else a handle of its own.
pub(super) async fn log_on(
    args: &NatsArgs,
    client: async_nats::Client,
    shared: Option<&EventLog>,
) -> anyhow::Result<EventLog> {
    match shared {
        Some(log) => log.share(client).await,
        None => EventLog::open(client, args.log_config()).await,
    }
    .context("opening the event stream")
}

/// Each component's event log on a connection of its own, named after it; sharing `shared`'s
/// cache of recent orders when the components run in one process (`giro up`).
pub(super) struct ComponentLogs<'a> {
    pub(super) nats: &'a NatsArgs,
    pub(super) shared: Option<&'a EventLog>,
}

impl giro_stack::Logs for ComponentLogs<'_> {
    fn open<'a>(
        &'a self,
        component: &'a str,
    ) -> giro_providers::BoxFuture<'a, Result<EventLog, giro_stack::StackError>> {
        Box::pin(async move {
            open_log(self.nats, component, self.shared)
                .await
                .map_err(|e| giro_stack::StackError::Log {
                    component: component.to_string(),
                    reason: format!("{e:#}"),
                })
        })
    }
}

/// `giro executor --provider <id>`: the executor of one provider instance (payouts or charges)
/// or of the beneficiary accounts.
pub(super) async fn run_executor(
    args: &ExecutorArgs,
) -> anyhow::Result<Vec<giro_executor::ExecutorHandle>> {
    let registry = crate::providers::registry(&giro_providers::Settings::from_env())?;
    let logs = ComponentLogs {
        nats: &args.nats,
        shared: None,
    };
    let mut config = giro_stack::StackConfig::new(args.nats.prefix.clone(), None);
    config.payout_consumers = giro_stack::PayoutConsumers::PerInstance;
    let id = args.provider.as_str();
    // The instance's set-up at its provider (webhooks, bank list, account checks), then again
    // every GIRO_PROVIDER_SETUP_EVERY for as long as the process runs.
    // Dropping its handle leaves the task running.
    // Its bank list is published for intake (`<stream>_BANKS`).
    let banks = giro_stack::open_bank_lists(&logs).await?;
    drop(
        giro_stack::set_up_providers(registry.clone(), Some(id), config.setup_every, Some(banks))
            .await?,
    );
    let mut started = if id == giro_domain::beneficiary::ACCOUNTS_PROVIDER {
        giro_stack::start_accounts(&registry, &logs, &config)
            .await?
            .into_iter()
            .collect()
    } else {
        let mut started = giro_stack::start_payouts(&registry, &logs, &config, Some(id)).await?;
        started.extend(giro_stack::start_charges(&registry, &logs, &config, Some(id)).await?);
        started
    };
    if started.is_empty() {
        let known: Vec<&str> = registry
            .instances()
            .iter()
            .map(|i| i.id().as_str())
            .collect();
        anyhow::bail!(
            "no provider instance {id:?} ({}, {})",
            known.join(", "),
            giro_domain::beneficiary::ACCOUNTS_PROVIDER
        );
    }
    Ok(started.drain(..).map(|(_, handle)| handle).collect())
}

/// Starts the provider sandboxes in-process unless told not to, telling them where the ingress
/// is, and points `settings` at them.
pub(super) async fn start_sandbox(
    up: &mut UpArgs,
    settings: &mut giro_providers::Settings,
) -> anyhow::Result<Option<giro_sandbox::Sandbox>> {
    let public = settings.ingress_public_url();
    up.sandbox.call_back_to(&public);
    if up.no_sandbox {
        return Ok(None);
    }
    let sandbox = giro_sandbox::Sandbox::start(up.sandbox.config())
        .await
        .context("starting the provider sandboxes")?;
    for (name, url) in sandbox.urls() {
        eprintln!("{name} sandbox on {url} (introspection: {url}/_sandbox/summary)");
    }
    crate::providers::for_sandbox(settings, &sandbox, &up.sandbox);
    Ok(Some(sandbox))
}
