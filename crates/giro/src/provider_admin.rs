//! `giro provider <instance> [<action> [name=value …]]`: the administrative actions a provider
//! module declares (`giro_providers::ProviderAdmin`), listed or run against the provider as
//! configured (`GIRO_*`, the sandboxes' by default). The command names no provider: each module
//! says which actions it has.

use std::process::ExitCode;

use giro_providers::{AdminAction, AdminError, Registry, Settings};
use serde_json::{Value, json};

use crate::cli::out;

/// `giro provider`.
#[derive(clap::Args, Debug)]
pub struct ProviderArgs {
    /// The provider instance, as configured (an unknown one lists those there are).
    pub instance: String,
    /// The action to run; without one, the instance's actions are listed.
    pub action: Option<String>,
    /// The action's arguments, each `name=value`.
    pub args: Vec<String>,
}

fn print(value: &Value) {
    out(&format!(
        "{}\n",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    ));
}

/// Prints `{"ok": false, …, "error": {code, message}}`; exit code 1.
fn refused(instance: &str, action: Option<&str>, code: &str, message: String) -> ExitCode {
    print(&json!({
        "ok": false, "provider": instance, "action": action,
        "error": {"code": code, "message": message},
    }));
    ExitCode::from(1)
}

fn describe(action: &AdminAction) -> Value {
    json!({
        "action": action.name,
        "about": action.about,
        "args": action.args.iter().map(|a| json!({
            "name": a.name, "required": a.required, "about": a.about,
        })).collect::<Vec<_>>(),
    })
}

/// `name=value` pairs, or the one that is not.
fn parse_args(args: &[String]) -> Result<Vec<(String, String)>, String> {
    args.iter()
        .map(|a| match a.split_once('=') {
            Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
            _ => Err(format!("{a:?} is not name=value")),
        })
        .collect()
}

pub async fn run(args: &ProviderArgs) -> anyhow::Result<ExitCode> {
    let registry = Registry::from_settings(&Settings::from_env())?;
    let instance = args.instance.as_str();
    let Some(found) = registry.instance(instance) else {
        let known: Vec<&str> = registry
            .instances()
            .iter()
            .map(|i| i.id().as_str())
            .collect();
        return Ok(refused(
            instance,
            args.action.as_deref(),
            "unknown_provider",
            format!("no provider instance {instance:?} ({})", known.join(", ")),
        ));
    };
    let Some(admin) = found.admin.clone() else {
        return Ok(refused(
            instance,
            args.action.as_deref(),
            "no_actions",
            format!("{instance} offers no administrative actions"),
        ));
    };
    let Some(action) = args.action.as_deref() else {
        print(&json!({
            "ok": true, "provider": instance,
            "actions": admin.actions().iter().map(describe).collect::<Vec<_>>(),
        }));
        return Ok(ExitCode::SUCCESS);
    };
    let pairs = match parse_args(&args.args) {
        Ok(pairs) => pairs,
        Err(reason) => return Ok(refused(instance, Some(action), "invalid_argument", reason)),
    };
    match admin.run(action, &pairs).await {
        Ok(result) => {
            print(&json!({"ok": true, "provider": instance, "action": action, "result": result}));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let code = match &e {
                AdminError::UnknownAction { .. } => "unknown_action",
                AdminError::Argument { .. } => "invalid_argument",
                AdminError::Refused(_) => "refused",
                AdminError::Unavailable(_) => "unavailable",
            };
            Ok(refused(instance, Some(action), code, e.to_string()))
        }
    }
}
