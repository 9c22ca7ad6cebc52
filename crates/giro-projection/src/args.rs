//! `giro projection` flags, each with an environment fallback, for the binary to flatten in.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use giro_eventlog::EventLogConfig;

use crate::config::{ProjectionConfig, StuckThresholds};
use crate::duration::parse_duration;

/// Options of `giro projection` (serve) and `giro projection rebuild`.
#[derive(Args, Debug, Clone)]
pub struct ProjectionArgs {
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
    /// Address of the query API, dashboard, /healthz, /readyz and /metrics.
    #[arg(long, env = "GIRO_PROJECTION_LISTEN", default_value = "127.0.0.1:8082")]
    pub listen: SocketAddr,
    /// NATS server URL, or a comma-separated list of a cluster's nodes.
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// Subject prefix of the events.
    #[arg(long, env = "GIRO_PREFIX", default_value = "giro")]
    pub prefix: String,
    /// JetStream stream holding every order's events.
    #[arg(long, env = "GIRO_STREAM", default_value = "GIRO_EVENTS")]
    pub stream: String,
    /// Most events applied in one transaction.
    #[arg(long, env = "GIRO_PROJECTION_BATCH", default_value_t = 1_000)]
    pub batch_size: usize,
    /// A payout `pending_approval` longer than this is listed as stuck (its approval should
    /// have expired before).
    #[arg(long, env = "GIRO_STUCK_PENDING_APPROVAL", default_value = "25h", value_parser = parse_duration)]
    pub stuck_pending_approval: Duration,
    /// A payout still `scheduled` this long after its `execute_at` is listed as stuck.
    #[arg(long, env = "GIRO_STUCK_SCHEDULED", default_value = "5m", value_parser = parse_duration)]
    pub stuck_scheduled: Duration,
    /// A payout `requested` longer than this is listed as stuck.
    #[arg(long, env = "GIRO_STUCK_REQUESTED", default_value = "15m", value_parser = parse_duration)]
    pub stuck_requested: Duration,
    /// A payout `held` (waiting for funds) longer than this is listed as stuck.
    #[arg(long, env = "GIRO_STUCK_HELD", default_value = "15m", value_parser = parse_duration)]
    pub stuck_held: Duration,
    /// A payout `submitting` longer than this is listed as stuck.
    #[arg(long, env = "GIRO_STUCK_SUBMITTING", default_value = "5m", value_parser = parse_duration)]
    pub stuck_submitting: Duration,
    /// A payout `submitted` longer than this is listed as stuck.
    #[arg(long, env = "GIRO_STUCK_SUBMITTED", default_value = "1h", value_parser = parse_duration)]
    pub stuck_submitted: Duration,
    /// A payout `processing` longer than this is listed as stuck.
    #[arg(long, env = "GIRO_STUCK_PROCESSING", default_value = "1h", value_parser = parse_duration)]
    pub stuck_processing: Duration,
    /// Balance thresholds, `provider:CURRENCY:amount[,…]` (e.g. `killb:COP:5000000`): a provider
    /// account below its threshold is an alert and an exception.
    #[arg(long, env = "GIRO_TREASURY_LOW_BALANCE", default_value = "", value_parser = crate::treasury::parse_low_balance)]
    pub low_balance: std::vec::Vec<crate::treasury::LowBalance>,
}

impl ProjectionArgs {
    /// The configuration these flags describe; `ProjectionConfig::validate` checks it at start.
    pub fn config(&self) -> ProjectionConfig {
        ProjectionConfig {
            database_url: self.database_url.clone(),
            schema: self.schema.clone(),
            listen: self.listen,
            log: EventLogConfig {
                stream: self.stream.clone(),
                prefix: self.prefix.clone(),
                ..EventLogConfig::default()
            },
            batch_size: self.batch_size,
            stuck: StuckThresholds {
                pending_approval: self.stuck_pending_approval,
                scheduled: self.stuck_scheduled,
                requested: self.stuck_requested,
                held: self.stuck_held,
                submitting: self.stuck_submitting,
                submitted: self.stuck_submitted,
                processing: self.stuck_processing,
            },
            low_balance: self.low_balance.clone(),
            operators: giro_auth::AuthConfig::from_env(),
            ..ProjectionConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ProjectionArgs,
    }

    #[test]
    fn flags_become_a_valid_config() {
        let cli = Cli::parse_from([
            "giro",
            "--schema",
            "giro_x",
            "--listen",
            "127.0.0.1:0",
            "--stuck-submitting",
            "90s",
        ]);
        let config = cli.args.config();
        assert_eq!(config.schema, "giro_x");
        assert_eq!(config.stuck.submitting, Duration::from_secs(90));
        assert_eq!(config.stuck.held, Duration::from_secs(900));
        assert!(config.validate().is_ok());
    }
}
