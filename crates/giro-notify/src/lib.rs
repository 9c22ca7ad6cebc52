//! Notifications out to internal services (CONTRACT.md §2 "Notifications" and §4 "Webhooks out"):
//! every status change of a payout or charge becomes a versioned
//! [`Notification`](giro_domain::notification::Notification) on
//! `<prefix>.notify.v1.<kind>.<status>` (kept in `<stream>_NOTIFY`), and, for each webhook
//! subscription that wants it, a signed HTTP POST, retried with back-off for the retry horizon
//! (24 h by default), then dead-lettered; dead letters can be listed and replayed.
//!
//! Two durable consumers, any number of instances of each: the notifier (`giro-notify`) on the
//! events, and the deliverer (`giro-webhooks`) on the webhook work queue.

mod config;
pub mod dead_letters;
mod deliver;
mod error;
mod notifier;
mod sign;
mod streams;
mod subscriptions;

use std::sync::Arc;

use giro_eventlog::EventLog;
use tokio::task::JoinSet;

pub use config::{NotifyConfig, RetryPolicy};
pub use deliver::DELIVERER_CONSUMER;
pub use error::Error;
pub use notifier::NOTIFIER_CONSUMER;
pub use subscriptions::{Subscription, Subscriptions};

/// The running notifier and deliverer.
pub struct NotifyHandle {
    tasks: JoinSet<()>,
}

impl NotifyHandle {
    /// Stops both; what was not acknowledged is delivered again to the next instance.
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

/// Creates the notification and webhook streams and their consumers, then runs the notifier
/// and, when there are subscriptions, the webhook deliverer.
pub async fn start(log: EventLog, config: NotifyConfig) -> Result<NotifyHandle, Error> {
    let js = log.context().clone();
    streams::provision_streams(&js, &config).await?;
    let notifier = notifier::open(&log).await?;
    let config = Arc::new(config);
    let mut tasks = JoinSet::new();
    if !config.subscriptions.is_empty() {
        for subscription in config.subscriptions.0.iter() {
            giro_telemetry::metrics::dead_letters_expected("webhooks", &subscription.id);
        }
        let deliverer = deliver::open(&js, &config).await?;
        let http = http_client(&config)?;
        tasks.spawn(deliver::run(js, config.clone(), http, deliverer));
    }
    for kind in giro_domain::notification::NotifiedKind::ALL {
        giro_telemetry::metrics::dead_letters_expected("notify", kind.as_str());
    }
    tasks.spawn(notifier::run(log, config, notifier));
    Ok(NotifyHandle { tasks })
}

fn http_client(config: &NotifyConfig) -> Result<reqwest::Client, Error> {
    // reqwest is built with `rustls-no-provider`: the process picks the crypto provider; an
    // error means one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(config.http_timeout)
        .connect_timeout(config.http_timeout.min(std::time::Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("giro-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Config(format!("building the webhook HTTP client: {e}")))
}
