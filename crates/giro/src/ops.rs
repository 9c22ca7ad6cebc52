//! `giro ops …`: a person's actions on an order (`giro.cmd.ops.*`), sent with the operator's
//! token (`GIRO_OPERATOR_TOKEN`, or `--token-file`), which intake verifies and records as who
//! acted; and `giro ops token`, a development token signed with the keys `giro up` made.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use giro_auth::Role;
use serde_json::{Value, json};

use crate::cli::{ClientArgs, client, out, parse_duration, print_reply};

/// Where `giro up` keeps its development keys (relative to where it runs; never committed).
pub const DEV_KEYS_DIR: &str = ".giro/dev-keys";

#[derive(Subcommand)]
pub enum OpsCommand {
    /// Settle a payout whose outcome is unknown, with what the provider shows for it.
    Resolve {
        order_id: String,
        /// The provider's reference of the payout.
        #[arg(long)]
        provider_ref: String,
        /// The status exactly as the provider shows it (e.g. COMPLETED, FAIL).
        #[arg(long)]
        provider_status: String,
        #[arg(long, value_enum)]
        outcome: Outcome,
        #[command(flatten)]
        why: Why,
    },
    /// Try a failed payout again as a new attempt (only when no attempt can still be paid).
    Retry {
        order_id: String,
        #[command(flatten)]
        why: Why,
    },
    /// Send a held payout again now (the funds check runs again; the hold clock restarts).
    Release {
        order_id: String,
        #[command(flatten)]
        why: Why,
    },
    /// Cancel a payout no provider has yet (scheduled, requested or held).
    Cancel {
        order_id: String,
        #[command(flatten)]
        why: Why,
    },
    /// Add a note to a payout's timeline.
    Note {
        order_id: String,
        #[arg(long)]
        text: String,
        #[command(flatten)]
        auth: Auth,
    },
    /// Approve a payout waiting for approval (the approver role; not its requester).
    Approve {
        order_id: String,
        /// Why, if you want it on the payout's history.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        auth: Auth,
    },
    /// Reject a payout waiting for approval; it ends cancelled (the approver role).
    Reject {
        order_id: String,
        #[command(flatten)]
        why: Why,
    },
    /// Hand an executor's dead letter back to its executor (by its sequence in the DLQ stream).
    ReplayDeadLetter {
        sequence: u64,
        #[command(flatten)]
        why: Why,
    },
    /// Mint a development token from the keys `giro up` made (never for production).
    Token {
        #[arg(long, value_enum)]
        role: Vec<RoleArg>,
        /// The operator's identity (the token's `sub`).
        #[arg(long)]
        sub: String,
        #[arg(long, default_value = "12h", value_parser = parse_ttl)]
        ttl: Duration,
        /// The folder of the development keys.
        #[arg(long, default_value = DEV_KEYS_DIR)]
        keys_dir: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Outcome {
    Succeeded,
    Failed,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    Viewer,
    Operator,
    Approver,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Operator => Role::Operator,
            RoleArg::Approver => Role::Approver,
        }
    }
}

/// The token and the connection.
#[derive(Args, Clone, Debug)]
pub struct Auth {
    /// The operator's bearer token.
    #[arg(long, env = "GIRO_OPERATOR_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// A file holding the token (instead of GIRO_OPERATOR_TOKEN).
    #[arg(long)]
    token_file: Option<PathBuf>,
    #[command(flatten)]
    client: ClientArgs,
}

/// Why (required on every action but a note), with the token and connection.
#[derive(Args, Clone, Debug)]
pub struct Why {
    /// Why the action is taken, for whoever reads the payout's history.
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    auth: Auth,
}

/// `12h`, `30m`, `90s`, `2d`.
fn parse_ttl(s: &str) -> Result<Duration, String> {
    match s.strip_suffix('h').or_else(|| s.strip_suffix('d')) {
        Some(n) => {
            let n: u64 = n.parse().map_err(|_| format!("{s:?} is not like 12h"))?;
            let unit = if s.ends_with('d') { 86_400 } else { 3_600 };
            Ok(Duration::from_secs(n * unit))
        }
        None => parse_duration(s),
    }
}

pub async fn run(command: OpsCommand) -> anyhow::Result<ExitCode> {
    let (action, body, auth) = match command {
        OpsCommand::Token {
            role,
            sub,
            ttl,
            keys_dir,
        } => return token(&role, &sub, ttl, &keys_dir),
        OpsCommand::Resolve {
            order_id,
            provider_ref,
            provider_status,
            outcome,
            why,
        } => {
            let outcome = match outcome {
                Outcome::Succeeded => "succeeded",
                Outcome::Failed => "failed",
            };
            let body = json!({
                "order_id": order_id, "reason": why.reason, "outcome": outcome,
                "evidence": {"provider_ref": provider_ref, "provider_status": provider_status},
            });
            ("payout.resolve", body, why.auth)
        }
        OpsCommand::Retry { order_id, why } => because("payout.retry", &order_id, why),
        OpsCommand::Release { order_id, why } => because("payout.release", &order_id, why),
        OpsCommand::Cancel { order_id, why } => because("payout.cancel", &order_id, why),
        OpsCommand::Note {
            order_id,
            text,
            auth,
        } => (
            "payout.note",
            json!({"order_id": order_id, "text": text}),
            auth,
        ),
        OpsCommand::Approve {
            order_id,
            reason,
            auth,
        } => {
            let mut body = json!({ "order_id": order_id });
            if let Some(reason) = reason {
                body["reason"] = json!(reason);
            }
            ("payout.approve", body, auth)
        }
        OpsCommand::Reject { order_id, why } => because("payout.reject", &order_id, why),
        OpsCommand::ReplayDeadLetter { sequence, why } => (
            "dead_letter.replay",
            json!({"dead_letter": sequence, "reason": why.reason}),
            why.auth,
        ),
    };
    let token = match (&auth.token, &auth.token_file) {
        (_, Some(path)) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the token file {}", path.display()))?
            .trim()
            .to_string(),
        (Some(token), None) => token.trim().to_string(),
        (None, None) => {
            anyhow::bail!("no operator token: set GIRO_OPERATOR_TOKEN or pass --token-file")
        }
    };
    let Some(intake) = client(&auth.client).await else {
        return Ok(ExitCode::from(1));
    };
    Ok(print_reply(&intake.operate(action, &body, &token).await))
}

fn because(action: &'static str, order_id: &str, why: Why) -> (&'static str, Value, Auth) {
    let body = json!({"order_id": order_id, "reason": why.reason});
    (action, body, why.auth)
}

fn token(
    roles: &[RoleArg],
    sub: &str,
    ttl: Duration,
    dir: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    if roles.is_empty() {
        anyhow::bail!("name at least one --role (viewer, operator, approver)");
    }
    let keys = giro_auth::dev::DevKeys::ensure(dir)?;
    let roles: Vec<Role> = roles.iter().map(|&r| r.into()).collect();
    out(&format!("{}\n", keys.mint(sub, &roles, ttl)?));
    Ok(ExitCode::SUCCESS)
}

/// Makes (or loads) the development keys for `giro up` when no keys are configured, and prints a
/// token per role; returns the configuration intake and the projection verify with.
pub fn dev_auth() -> anyhow::Result<giro_auth::AuthConfig> {
    let configured = giro_auth::AuthConfig::from_env();
    if configured.keys_file.is_some() {
        return Ok(configured);
    }
    let keys = giro_auth::dev::DevKeys::ensure(std::path::Path::new(DEV_KEYS_DIR))
        .context("making development operator keys (set GIRO_OPERATOR_KEYS_FILE to use yours)")?;
    eprintln!(
        "development operator keys in {DEV_KEYS_DIR}/ (GIRO_OPERATOR_KEYS_FILE={}); tokens for 12h:",
        keys.keys_file().display()
    );
    for role in Role::ALL {
        let token = keys.mint(
            &format!("dev-{role}"),
            &[role],
            Duration::from_secs(12 * 3_600),
        )?;
        eprintln!("  {role}: {token}");
    }
    Ok(giro_auth::AuthConfig {
        keys_file: Some(keys.keys_file()),
        issuer: Some(giro_auth::dev::DEV_ISSUER.to_string()),
        audience: Some(giro_auth::dev::DEV_AUDIENCE.to_string()),
    })
}
