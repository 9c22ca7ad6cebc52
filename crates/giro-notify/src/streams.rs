//! The streams notifications live in: `<stream>_NOTIFY` keeps every notification (subscribers
//! read it with a consumer of their own, or listen on the subjects), and `<stream>_WEBHOOKS` is the
//! work queue of webhook deliveries, where a delivery waits between its attempts, durably.

use async_nats::jetstream::{self, consumer, stream};
use giro_eventlog::provision::{consumer_transient, provision, stream_transient};

use crate::config::NotifyConfig;
use crate::error::Error;

/// Creates (or updates) both streams; idempotent, so any number of instances may do it at once.
pub(crate) async fn provision_streams(
    js: &jetstream::Context,
    config: &NotifyConfig,
) -> Result<(), Error> {
    let notifications = stream::Config {
        name: config.notification_stream(),
        subjects: vec![format!("{}.notify.>", config.log.prefix)],
        storage: stream::StorageType::File,
        num_replicas: config.log.replicas,
        duplicate_window: config.log.duplicate_window,
        allow_direct: true,
        description: Some(
            "Giro notifications: <prefix>.notify.v1.<kind>.<status>, one per status change".into(),
        ),
        ..Default::default()
    };
    let webhooks = stream::Config {
        name: config.webhook_stream(),
        subjects: vec![format!("{}.webhook.>", config.log.prefix)],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::WorkQueue,
        num_replicas: config.log.replicas,
        duplicate_window: config.log.duplicate_window,
        description: Some("Giro webhook deliveries waiting for their next attempt".into()),
        ..Default::default()
    };
    for wanted in [notifications, webhooks] {
        let name = wanted.name.clone();
        provision(&name, stream_transient, || {
            js.create_or_update_stream(wanted.clone())
        })
        .await
        .map_err(|e| Error::nats(format!("creating stream {name}"), e))?;
    }
    Ok(())
}

/// The durable pull consumer `name` on `stream`, created with `wanted` when it does not exist.
pub(crate) async fn durable(
    js: &jetstream::Context,
    stream: &str,
    name: &str,
    wanted: consumer::pull::Config,
) -> Result<consumer::Consumer<consumer::pull::Config>, Error> {
    let what = || format!("consumer {name} on stream {stream}");
    let stream = js
        .get_stream(stream)
        .await
        .map_err(|e| Error::nats(what(), e))?;
    provision(name, consumer_transient, || {
        stream.get_or_create_consumer(name, wanted.clone())
    })
    .await
    .map_err(|e| Error::nats(what(), e))
}
