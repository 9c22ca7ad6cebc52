//! Command-line interface and configuration (flags with environment fallbacks).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use giro_eventlog::{EventLog, EventLogConfig};
use giro_intake::{Intake, IntakeClient, IntakeConfig, Reply};

use crate::bench;

#[derive(Parser)]
#[command(
    name = "giro",
    version,
    about = "Giro: an event-sourced payout engine on NATS JetStream"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run every component in one process, with the provider sandboxes.
    Up(UpArgs),
    /// Run the giro-intake NATS micro service.
    Intake(IntakeArgs),
    /// Run the executor of one provider instance (any number may run side by side).
    Executor(ExecutorArgs),
    /// Run the webhook ingress (POST /webhooks/killb, /webhooks/cashy, /webhooks/a55).
    Ingress(IngressArgs),
    /// Run the PostgreSQL projection: read models, query API, dashboard (`rebuild` to rebuild).
    Projection(ProjectionCli),
    /// Run the KillB, Cashy and A55 simulators (scenarios and faults: see --help).
    #[command(after_help = giro_sandbox::cli::AFTER_HELP)]
    Sandbox(giro_sandbox::cli::SandboxArgs),
    /// Create, show, list and cancel payouts.
    #[command(subcommand)]
    Payout(PayoutCommand),
    /// Send a mix of payouts and charges to a running engine and wait for their outcomes.
    Demo(crate::demo::DemoArgs),
    /// Measure components against the local NATS.
    #[command(subcommand)]
    Bench(BenchCommand),
}

impl Command {
    /// The component name used in telemetry.
    pub fn component(&self) -> &'static str {
        match self {
            Command::Up(_) => "up",
            Command::Intake(_) => "intake",
            Command::Sandbox(_) => "sandbox",
            Command::Executor(_) => "executor",
            Command::Ingress(_) => "ingress",
            Command::Projection(_) => "projection",
            Command::Payout(_) | Command::Demo(_) => "cli",
            Command::Bench(_) => "bench",
        }
    }
}

#[derive(Subcommand)]
pub enum PayoutCommand {
    /// Send `giro.cmd.payout.create` with the JSON in FILE (`-` for standard input).
    Create {
        #[arg(long, short)]
        file: PathBuf,
        #[command(flatten)]
        nats: ClientArgs,
    },
    /// Show a payout's state and history, rebuilt from its events.
    Show {
        order_id: String,
        #[command(flatten)]
        nats: ClientArgs,
    },
    /// List payouts from the projection's query API (`GET /v1/payouts`), newest first.
    List(crate::list::ListArgs),
    /// Cancel a payout no provider has yet.
    Cancel {
        order_id: String,
        #[command(flatten)]
        nats: ClientArgs,
    },
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Creates/s and reply latency of one intake instance, and order rebuild latency.
    Intake(bench::IntakeBenchArgs),
    /// Payouts/s and command-to-terminal latency through every component.
    E2e(crate::bench_e2e::E2eBenchArgs),
    /// Projection catch-up speed (events/s) over a private stream and schema.
    Projection(giro_projection::bench::BenchArgs),
}

/// `giro projection [rebuild]`.
#[derive(Args, Clone, Debug)]
pub struct ProjectionCli {
    #[command(subcommand)]
    pub action: Option<ProjectionAction>,
    #[command(flatten)]
    pub args: giro_projection::ProjectionArgs,
}

#[derive(Subcommand, Clone, Debug)]
pub enum ProjectionAction {
    /// Rebuild the read models from stream sequence 1 (into a shadow schema, then swapped in).
    Rebuild,
}

/// `giro intake`.
#[derive(Args, Clone, Debug)]
pub struct IntakeArgs {
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Where /healthz, /readyz and /metrics are served.
    #[arg(long, env = "GIRO_METRICS_ADDR", default_value = "127.0.0.1:9101")]
    pub metrics_addr: std::net::SocketAddr,
}

/// `giro executor`.
#[derive(Args, Clone, Debug)]
pub struct ExecutorArgs {
    /// The provider instance (one the provider registry configures: payouts or charges), or
    /// killb-accounts (beneficiaries as accounts of the provider that keeps them).
    #[arg(long, env = "GIRO_PROVIDER")]
    pub provider: String,
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Where /healthz, /readyz and /metrics are served (one port per instance on a host).
    #[arg(long, env = "GIRO_METRICS_ADDR", default_value = "127.0.0.1:9102")]
    pub metrics_addr: std::net::SocketAddr,
}

/// `giro ingress`.
#[derive(Args, Clone, Debug)]
pub struct IngressArgs {
    /// Where the webhook server listens.
    #[arg(long, env = "GIRO_INGRESS_ADDR", default_value = "127.0.0.1:8081")]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    pub nats: NatsArgs,
}

/// `giro up`: the engine plus, unless told otherwise, the provider simulators in-process.
#[derive(Args, Clone, Debug)]
pub struct UpArgs {
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Where the webhook ingress listens (port 0 picks a free one). Unless
    /// GIRO_INGRESS_PUBLIC_URL says otherwise, providers are told to call this address.
    #[arg(long, env = "GIRO_INGRESS_ADDR", default_value = "127.0.0.1:8081")]
    pub ingress_addr: std::net::SocketAddr,
    /// Do not start the provider sandboxes (real provider credentials are configured).
    #[arg(long, env = "GIRO_NO_SANDBOX")]
    pub no_sandbox: bool,
    /// Do not start the projection (no PostgreSQL at hand).
    #[arg(long, env = "GIRO_NO_PROJECTION")]
    pub no_projection: bool,
    /// PostgreSQL holding the read models.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
    /// PostgreSQL schema of the read models.
    #[arg(long, env = "GIRO_PG_SCHEMA", default_value = "giro")]
    pub schema: String,
    /// Where the query API and dashboard listen (port 0 picks a free one).
    #[arg(long, env = "GIRO_PROJECTION_LISTEN", default_value = "127.0.0.1:8082")]
    pub projection_addr: std::net::SocketAddr,
    #[command(flatten)]
    pub sandbox: giro_sandbox::cli::SandboxArgs,
}

/// Where NATS and the event stream are.
#[derive(Args, Clone, Debug)]
pub struct NatsArgs {
    /// NATS server URL.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// Subject prefix of commands and events.
    #[arg(long, env = "GIRO_PREFIX", default_value = "giro")]
    pub prefix: String,
    /// JetStream stream holding every order's events.
    #[arg(long, env = "GIRO_STREAM", default_value = "GIRO_EVENTS")]
    pub stream: String,
    /// Stream replicas (3 on a clustered NATS).
    #[arg(long, env = "GIRO_STREAM_REPLICAS", default_value_t = 1)]
    pub replicas: usize,
}

impl NatsArgs {
    pub fn log_config(&self) -> EventLogConfig {
        EventLogConfig {
            stream: self.stream.clone(),
            prefix: self.prefix.clone(),
            replicas: self.replicas,
            ..EventLogConfig::default()
        }
    }

    /// Connects for a long-running component: keeps retrying while NATS is down, at start and
    /// after, so the component recovers by itself.
    pub async fn connect_service(&self, name: &str) -> anyhow::Result<async_nats::Client> {
        async_nats::ConnectOptions::new()
            .name(name)
            .retry_on_initial_connect()
            .connect(&self.nats_url)
            .await
            .with_context(|| format!("connecting to NATS at {}", self.nats_url))
    }
}

/// Where to send a command.
#[derive(Args, Clone, Debug)]
pub struct ClientArgs {
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    #[arg(long, env = "GIRO_PREFIX", default_value = "giro")]
    pub prefix: String,
    /// How long to wait for a reply.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Parses `250ms`, `10s`, `2m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 10s"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("{s:?}: use ms, s or m")),
    }
}

/// `addr` itself, or with port 0 a free port on its host (found by binding it once).
pub(crate) fn concrete_addr(addr: std::net::SocketAddr) -> std::io::Result<std::net::SocketAddr> {
    if addr.port() != 0 {
        return Ok(addr);
    }
    std::net::TcpListener::bind(addr)?.local_addr()
}

/// Where a local client reaches a server bound to `addr` (an unspecified address is loopback).
fn reachable(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
            std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, addr.port()))
        }
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    }
}

pub(crate) async fn client(args: &ClientArgs) -> Option<IntakeClient> {
    let connect = async_nats::ConnectOptions::new()
        .name("giro-cli")
        .connection_timeout(args.timeout)
        .connect(&args.nats_url)
        .await;
    match connect {
        Ok(c) => Some(IntakeClient::new(c, args.prefix.clone(), args.timeout)),
        Err(e) => {
            print_reply(&Reply::unavailable(format!(
                "cannot connect to NATS at {}: {e}",
                args.nats_url
            )));
            None
        }
    }
}

fn print_reply(reply: &Reply) -> ExitCode {
    match serde_json::to_string_pretty(reply) {
        Ok(s) => println!("{s}"),
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
async fn wait_for_shutdown() {
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

/// The intake service, validating and routing orders with `registry`'s catalog.
async fn run_intake(
    args: &NatsArgs,
    name: &str,
    shared: Option<&EventLog>,
    registry: &giro_providers::Registry,
) -> anyhow::Result<giro_intake::IntakeHandle> {
    let client = args.connect_service(name).await?;
    let log = log_on(args, client.clone(), shared).await?;
    let config = IntakeConfig {
        prefix: args.prefix.clone(),
        catalog: registry.catalog(),
        ..IntakeConfig::default()
    };
    let handle = Intake::start(client, log, config)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    tracing::info!(prefix = %args.prefix, stream = %args.stream, "giro-intake is serving");
    Ok(handle)
}

/// Serves /healthz, /readyz (ready while NATS is connected) and /metrics on `addr`.
async fn serve_ops(args: &NatsArgs, name: &str, addr: std::net::SocketAddr) -> anyhow::Result<()> {
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
    Ok(())
}

/// The event log on a connection of its own named `name`; sharing `shared`'s cache of recent
/// orders when the components run in one process (`giro up`).
async fn open_log(
    args: &NatsArgs,
    name: &str,
    shared: Option<&EventLog>,
) -> anyhow::Result<EventLog> {
    log_on(args, args.connect_service(name).await?, shared).await
}

/// The event log over `client`: sharing `shared`'s cache when given, else a handle of its own.
async fn log_on(
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
struct ComponentLogs<'a> {
    nats: &'a NatsArgs,
    shared: Option<&'a EventLog>,
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
async fn run_executor(args: &ExecutorArgs) -> anyhow::Result<Vec<giro_executor::ExecutorHandle>> {
    let registry = crate::providers::registry(&giro_providers::Settings::from_env())?;
    let logs = ComponentLogs {
        nats: &args.nats,
        shared: None,
    };
    let mut config = giro_stack::StackConfig::new(args.nats.prefix.clone(), None);
    config.payout_consumers = giro_stack::PayoutConsumers::PerInstance;
    let id = args.provider.as_str();
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
async fn start_sandbox(
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

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Up(mut up) => {
            // Provider settings come from GIRO_* variables (the sandbox flags share their names).
            let mut settings = giro_providers::Settings::from_env();
            // The sandboxes are told where to send callbacks before the ingress starts, so a
            // free port (`:0`) is chosen now; and unless a public URL is configured, providers
            // call the ingress where it listens.
            up.ingress_addr = concrete_addr(up.ingress_addr).with_context(|| {
                format!("choosing a port for the ingress on {}", up.ingress_addr)
            })?;
            if std::env::var_os("GIRO_INGRESS_PUBLIC_URL").is_none_or(|v| v.is_empty()) {
                let url = format!("http://{}", reachable(up.ingress_addr));
                settings.set("GIRO_INGRESS_PUBLIC_URL", url);
            }
            let sandbox = start_sandbox(&mut up, &mut settings).await?;
            let registry = crate::providers::registry(&settings)?;
            // One process: each component on its own connection, all sharing one cache of
            // recent orders, so an order handed from one to the next is not read again.
            let shared = open_log(&up.nats, "giro-up", None).await?;
            let shared = Some(&shared);
            let intake = run_intake(&up.nats, "giro-intake", shared, &registry).await?;
            let logs = ComponentLogs {
                nats: &up.nats,
                shared,
            };
            let config =
                giro_stack::StackConfig::new(up.nats.prefix.clone(), Some(up.ingress_addr));
            let stack = giro_stack::start(registry.clone(), &logs, &config).await?;
            let projection = if up.no_projection {
                None
            } else {
                let client = up.nats.connect_service("giro-projection").await?;
                let mut config = giro_projection::ProjectionConfig {
                    database_url: up.database_url.clone(),
                    schema: up.schema.clone(),
                    listen: up.projection_addr,
                    ..giro_projection::ProjectionConfig::default()
                };
                config.log = up.nats.log_config();
                let handle = giro_projection::start(config, client)
                    .await
                    .context("starting the projection (use --no-projection without PostgreSQL)")?;
                eprintln!(
                    "dashboard and query API on http://{} (/, /v1/payouts, /v1/stats)",
                    handle.local_addr()
                );
                Some(handle)
            };
            if let Some(ingress) = &stack.ingress {
                let paths: Vec<String> = registry
                    .webhook_paths()
                    .map(|p| format!("/webhooks/{p}"))
                    .collect();
                eprintln!(
                    "webhook ingress on {} (POST {})",
                    ingress.url(),
                    paths.join(", ")
                );
            }
            eprintln!(
                "giro is up: commands on {p}.cmd.*, events in stream {s} ({p}.evt.>). Ctrl-C stops.",
                p = up.nats.prefix,
                s = up.nats.stream
            );
            wait_for_shutdown().await;
            intake.stop().await;
            stack.stop().await;
            if let Some(projection) = projection {
                projection.stop().await;
            }
            drop(sandbox);
            Ok(ExitCode::SUCCESS)
        }
        Command::Sandbox(args) => {
            giro_sandbox::cli::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Executor(args) => {
            let executors = run_executor(&args).await?;
            serve_ops(&args.nats, "giro-executor-ops", args.metrics_addr).await?;
            wait_for_shutdown().await;
            for executor in executors {
                executor.stop().await;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingress(args) => {
            let registry = crate::providers::registry(&giro_providers::Settings::from_env())?;
            let logs = ComponentLogs {
                nats: &args.nats,
                shared: None,
            };
            let config = giro_stack::StackConfig::new(args.nats.prefix.clone(), None);
            let ingress = giro_stack::start_ingress(registry, &logs, &config, args.listen).await?;
            eprintln!("webhook ingress on {}", ingress.url());
            wait_for_shutdown().await;
            ingress.stop().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Projection(ProjectionCli { action, args }) => {
            let client = async_nats::ConnectOptions::new()
                .name("giro-projection")
                .retry_on_initial_connect()
                .connect(&args.nats_url)
                .await
                .with_context(|| format!("connecting to NATS at {}", args.nats_url))?;
            match action {
                None => {
                    giro_projection::run(args.config(), client, wait_for_shutdown()).await?;
                }
                Some(ProjectionAction::Rebuild) => {
                    let summary = giro_projection::rebuild(&args.config(), client).await?;
                    println!("{summary}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Intake(args) => {
            let registry = crate::providers::registry(&giro_providers::Settings::from_env())?;
            let intake = run_intake(&args.nats, "giro-intake", None, &registry).await?;
            serve_ops(&args.nats, "giro-intake-ops", args.metrics_addr).await?;
            wait_for_shutdown().await;
            intake.stop().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Payout(PayoutCommand::Create { file, nats }) => {
            let body = if file.as_os_str() == "-" {
                let mut buf = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                    .context("reading standard input")?;
                buf
            } else {
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?
            };
            let Some(c) = client(&nats).await else {
                return Ok(ExitCode::from(1));
            };
            Ok(print_reply(&c.create_payout(body).await))
        }
        Command::Payout(PayoutCommand::Show { order_id, nats }) => {
            let Some(c) = client(&nats).await else {
                return Ok(ExitCode::from(1));
            };
            Ok(print_reply(&c.get_order(&order_id).await))
        }
        Command::Payout(PayoutCommand::List(args)) => Ok(crate::list::run(&args).await),
        Command::Demo(args) => Ok(crate::demo::run(&args).await),
        Command::Payout(PayoutCommand::Cancel { order_id, nats }) => {
            let Some(c) = client(&nats).await else {
                return Ok(ExitCode::from(1));
            };
            Ok(print_reply(&c.cancel_payout(&order_id).await))
        }
        Command::Bench(BenchCommand::E2e(args)) => {
            crate::bench_e2e::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Projection(args)) => {
            giro_projection::bench::catch_up(&args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Intake(args)) => {
            bench::intake(args).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
