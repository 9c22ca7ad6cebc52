//! The audit trail of operator actions, in the stream `<stream>_AUDIT` (subjects
//! `<prefix>.audit.<target>.<verb>`): one [`AuditRecord`] per operator command, allowed or refused,
//! written by intake and projected into `giro.audit`. An allowed action is also its events on the
//! order; a refused one (no or bad token, missing role, a domain rejection) is only here.

use async_nats::jetstream::{self, stream};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::EventLogConfig;
use crate::error::Error;

/// The audit stream of `config`'s deployment.
pub fn stream_name(config: &EventLogConfig) -> String {
    format!("{}_AUDIT", config.stream)
}

/// The subject of one action's records: `<prefix>.audit.<target>.<verb>` for the action
/// `<target>.<verb>` (`giro.audit.payout.resolve`).
pub fn subject(config: &EventLogConfig, action: &str) -> String {
    let (target, verb) = action.split_once('.').unwrap_or((action, "other"));
    format!("{}.audit.{target}.{verb}", config.prefix)
}

/// Whether the action was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Allowed,
    Refused,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Allowed => "allowed",
            AuditOutcome::Refused => "refused",
        }
    }
}

/// One operator command as intake saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    /// The action (`payout.resolve`, `dead_letter.replay`, …).
    pub action: String,
    /// The verified token's subject; absent when no token verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    pub outcome: AuditOutcome,
    /// The refusal's error code (`unauthorized`, `forbidden`, `invalid_state`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The operator's reason (allowed) or the refusal's message (refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The event types the action appended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

/// Appends audit records; cheap to clone.
#[derive(Debug, Clone)]
pub struct AuditLog {
    js: jetstream::Context,
    config: EventLogConfig,
}

impl AuditLog {
    /// Creates the audit stream if it is missing (idempotent) and returns a writer.
    pub async fn open(js: &jetstream::Context, config: &EventLogConfig) -> Result<AuditLog, Error> {
        let definition = stream::Config {
            name: stream_name(config),
            subjects: vec![format!("{}.audit.>", config.prefix)],
            storage: stream::StorageType::File,
            num_replicas: config.replicas,
            description: Some(
                "Giro audit: every operator action, allowed or refused (<prefix>.audit.<action>)"
                    .to_string(),
            ),
            ..Default::default()
        };
        let name = stream_name(config);
        crate::provision::provision(&name, crate::provision::stream_transient, || {
            js.create_or_update_stream(definition.clone())
        })
        .await
        .map_err(|e| Error::Provision(e.to_string()))?;
        Ok(AuditLog {
            js: js.clone(),
            config: config.clone(),
        })
    }

    /// Stores one record and waits for JetStream's acknowledgement.
    pub async fn append(&self, record: &AuditRecord) -> Result<(), Error> {
        let body = serde_json::to_vec(record).map_err(|e| Error::Unavailable(e.to_string()))?;
        let unavailable = |e: String| Error::Unavailable(format!("audit: {e}"));
        self.js
            .publish(subject(&self.config, &record.action), body.into())
            .await
            .map_err(|e| unavailable(e.to_string()))?
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        Ok(())
    }
}
