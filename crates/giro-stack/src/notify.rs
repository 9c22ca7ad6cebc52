//! Notifications out to internal services (giro-notify), as `giro up` and the tests start them.

use giro_notify::{NotifyConfig, NotifyHandle};

use crate::{Logs, StackError, start_error};

/// Starts the notifier and the webhook deliverer on their own log connection (`giro-notify`):
/// with `config`, or else as the environment configures them (`GIRO_WEBHOOKS_FILE`,
/// `GIRO_WEBHOOK_RETRY_*`), so a wrong subscription stops start-up naming it.
pub async fn start_notify(
    logs: &dyn Logs,
    config: Option<NotifyConfig>,
) -> Result<NotifyHandle, StackError> {
    let log = logs.open("giro-notify").await?;
    let config = match config {
        Some(config) => config,
        None => NotifyConfig::from_env(log.config().clone())
            .map_err(|e| start_error("notifications", e))?,
    };
    let handle = giro_notify::start(log, config)
        .await
        .map_err(|e| start_error("notifications", e))?;
    tracing::info!("notifications out running");
    Ok(handle)
}
