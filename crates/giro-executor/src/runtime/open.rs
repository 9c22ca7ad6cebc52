//! Opening an executor's durable consumer, and reporting its lag.

use std::time::Duration;

use async_nats::jetstream::consumer::{self, pull};
use giro_domain::OrderKind;
use giro_eventlog::EventLog;
use giro_eventlog::provision::{consumer_transient, get_stream_transient, provision};

use super::StartError;
use crate::config::ExecutorConfig;

/// The durable consumer `name` on orders of `kind`, shared by every instance serving the same
/// providers (`serves`, for its description).
pub(super) async fn open_consumer(
    log: &EventLog,
    config: &ExecutorConfig,
    name: &str,
    serves: &str,
    kind: OrderKind,
) -> Result<consumer::Consumer<pull::Config>, StartError> {
    let js = log.context();
    let name = name.to_string();
    let stream = provision(&name, get_stream_transient, || {
        js.get_stream(&log.config().stream)
    })
    .await
    .map_err(|e| StartError::Consumer(name.clone(), e.to_string()))?;
    let consumer_config = pull::Config {
        durable_name: Some(name.clone()),
        description: Some(format!(
            "Giro executor of {serves} ({})",
            match kind {
                OrderKind::Payout => "payouts",
                OrderKind::Charge => "charges",
                OrderKind::Beneficiary => "beneficiaries",
                OrderKind::PayoutBatch => "payout batches",
            }
        )),
        filter_subject: format!("{}.evt.{kind}.>", config.prefix),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: config.timings.ack_wait,
        max_deliver: -1,
        max_ack_pending: 100_000,
        deliver_policy: consumer::DeliverPolicy::All,
        ..Default::default()
    };
    provision(&name, consumer_transient, || {
        stream.get_or_create_consumer(&name, consumer_config.clone())
    })
    .await
    .map_err(|e| StartError::Consumer(name.clone(), e.to_string()))
}

/// Publishes the consumer's lag (`giro_consumer_pending`, `giro_consumer_ack_pending`) as the
/// server reports it, every few seconds.
pub(super) async fn report_lag(mut consumer: consumer::Consumer<pull::Config>, name: String) {
    loop {
        match consumer.info().await {
            Ok(info) => giro_telemetry::metrics::consumer_lag(
                &name,
                info.num_pending,
                u64::try_from(info.num_ack_pending).unwrap_or(0),
            ),
            Err(e) => tracing::debug!(error = %e, consumer = %name, "consumer info unavailable"),
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}
