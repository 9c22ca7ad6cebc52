//! The command line's arguments: flags with environment fallbacks, per component.

use std::time::Duration;

use clap::Args;
use giro_eventlog::EventLogConfig;

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

/// `giro notify`.
#[derive(Args, Clone, Debug)]
pub struct NotifyArgs {
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Where /healthz, /readyz and /metrics are served.
    #[arg(long, env = "GIRO_METRICS_ADDR", default_value = "127.0.0.1:9103")]
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
    /// Where the process-wide metrics (intake, executors, provider calls, …) are served, once:
    /// /metrics, /healthz and /readyz. The ingress's and the projection's own /metrics then
    /// serve only their own series, so nothing is scraped twice.
    #[arg(long, env = "GIRO_METRICS_ADDR", default_value = "127.0.0.1:9100")]
    pub metrics_addr: std::net::SocketAddr,
    #[command(flatten)]
    pub sandbox: giro_sandbox::cli::SandboxArgs,
}

/// Where NATS and the event stream are.
#[derive(Args, Clone, Debug)]
pub struct NatsArgs {
    /// NATS server URL, or a comma-separated list of a cluster's nodes.
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
    /// after, so the component recovers by itself; refuses a server older than Giro needs.
    pub async fn connect_service(&self, name: &str) -> anyhow::Result<async_nats::Client> {
        let options = async_nats::ConnectOptions::new()
            .name(name)
            .retry_on_initial_connect();
        Ok(giro_eventlog::server::connect(&self.nats_url, options).await?)
    }
}

/// Where to send a command.
#[derive(Args, Clone, Debug)]
pub struct ClientArgs {
    /// NATS server URL, or a comma-separated list of a cluster's nodes.
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
