//! What a projection instance needs to know: where PostgreSQL, the stream and its HTTP port are,
//! how it batches, and when an order counts as stuck.

use std::net::SocketAddr;
use std::time::Duration;

use giro_domain::payout::PayoutStatus;
use giro_eventlog::EventLogConfig;

use crate::error::Error;

/// Longest schema name accepted: PostgreSQL's 63-byte limit less the `_rebuild` suffix.
const MAX_SCHEMA_LEN: usize = 55;

/// One projection instance. Any number may run against the same schema (see the README).
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionConfig {
    /// `postgres://…`; the schema below is set as each connection's `search_path`.
    pub database_url: String,
    /// The PostgreSQL schema of the read models (CONTRACT.md §3: `giro`). Lowercase letters,
    /// digits and `_`, starting with a letter or `_`.
    pub schema: String,
    /// Where the query API, dashboard, health and metrics are served (port 0 picks a free one).
    pub listen: SocketAddr,
    /// The event stream and subject prefix to read (the projection never changes the stream).
    pub log: EventLogConfig,
    /// Most events applied in one transaction.
    pub batch_size: usize,
    /// How long a partial batch waits for more events before it is applied.
    pub linger: Duration,
    /// When a non-terminal payout counts as stuck, per status.
    pub stuck: StuckThresholds,
    /// How often the dashboard page reloads itself.
    pub dashboard_refresh: Duration,
    /// PostgreSQL connections in the pool (the projector uses one, the HTTP API the rest).
    pub max_connections: u32,
    /// Balance thresholds per provider account and currency (treasury alerts and exceptions).
    pub low_balance: Vec<crate::treasury::LowBalance>,
    /// Whether `/metrics` also serves the process-wide metrics: no where the process serves them
    /// once elsewhere (`giro up`), so that they are not scraped twice.
    pub process_metrics: bool,
    /// Operators' token keys (`GIRO_OPERATOR_KEYS_FILE`): when set, every page and API call
    /// needs a token with at least the viewer role.
    pub operators: giro_auth::AuthConfig,
}

impl Default for ProjectionConfig {
    fn default() -> Self {
        ProjectionConfig {
            database_url: "postgres://postgres@127.0.0.1:5432/postgres".to_string(),
            schema: "giro".to_string(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8082)),
            log: EventLogConfig::default(),
            batch_size: 1_000,
            linger: Duration::from_millis(20),
            stuck: StuckThresholds::default(),
            dashboard_refresh: Duration::from_secs(10),
            max_connections: 8,
            low_balance: Vec::new(),
            process_metrics: true,
            operators: giro_auth::AuthConfig::default(),
        }
    }
}

impl ProjectionConfig {
    /// Refuses settings that cannot work, naming the setting.
    pub fn validate(&self) -> Result<(), Error> {
        validate_schema(&self.schema)?;
        self.operators
            .verifier()
            .map_err(|e| Error::Config(e.to_string()))?;
        if self.batch_size == 0 || self.batch_size > 50_000 {
            return Err(Error::Config(format!(
                "batch size must be 1 to 50000, got {}",
                self.batch_size
            )));
        }
        if self.max_connections < 2 {
            return Err(Error::Config(
                "max connections must be at least 2 (one for the projector, one for the API)"
                    .to_string(),
            ));
        }
        if self.log.prefix.is_empty() || self.log.stream.is_empty() {
            return Err(Error::Config(
                "the subject prefix and stream name must not be empty".to_string(),
            ));
        }
        Ok(())
    }
}

/// Schema names go into DDL and `search_path`, so only plain identifiers are accepted.
pub(crate) fn validate_schema(schema: &str) -> Result<(), Error> {
    let mut chars = schema.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && schema.len() <= MAX_SCHEMA_LEN && !schema.starts_with("pg_") {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "schema {schema:?} must be 1 to {MAX_SCHEMA_LEN} characters of a-z, 0-9 and _, \
             starting with a letter or _, and not pg_"
        )))
    }
}

/// How long a payout may stay in each non-terminal status before the dashboard lists it as stuck
/// (DESIGN.md principle 5: nothing stuck silently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StuckThresholds {
    /// Waiting for an approver: the approval expires after 24 h by default, so a payout still
    /// waiting well after that is one whose expiry did not happen.
    pub pending_approval: Duration,
    /// Counted from the payout's `execute_at`, not from when it was scheduled.
    pub scheduled: Duration,
    pub requested: Duration,
    pub held: Duration,
    pub submitting: Duration,
    pub submitted: Duration,
    pub processing: Duration,
}

impl Default for StuckThresholds {
    fn default() -> Self {
        StuckThresholds {
            pending_approval: Duration::from_secs(25 * 3_600),
            scheduled: Duration::from_secs(5 * 60),
            requested: Duration::from_secs(15 * 60),
            held: Duration::from_secs(15 * 60),
            submitting: Duration::from_secs(5 * 60),
            submitted: Duration::from_secs(3_600),
            processing: Duration::from_secs(3_600),
        }
    }
}

impl StuckThresholds {
    /// Each non-terminal status with its threshold.
    pub fn by_status(&self) -> [(PayoutStatus, Duration); 7] {
        [
            (PayoutStatus::PendingApproval, self.pending_approval),
            (PayoutStatus::Scheduled, self.scheduled),
            (PayoutStatus::Requested, self.requested),
            (PayoutStatus::Held, self.held),
            (PayoutStatus::Submitting, self.submitting),
            (PayoutStatus::Submitted, self.submitted),
            (PayoutStatus::Processing, self.processing),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for ok in ["giro", "_t1", "giro_test_0a9f"] {
            assert!(validate_schema(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Giro",
            "1giro",
            "gi-ro",
            "giro;drop",
            "pg_catalog",
            &"a".repeat(56),
        ] {
            assert!(validate_schema(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_non_terminal_status_has_a_threshold() {
        let listed: Vec<_> = StuckThresholds::default()
            .by_status()
            .map(|(s, _)| s)
            .to_vec();
        let open: Vec<_> = PayoutStatus::ALL
            .into_iter()
            .filter(|s| !s.is_terminal())
            .collect();
        assert_eq!(listed, open);
    }
}
