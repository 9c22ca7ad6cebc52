//! Creating streams and consumers while a cluster may be electing a leader: JetStream answers
//! "temporarily unavailable" or does not answer for a few seconds (4–9 s measured with
//! nats-server 2.12 on a loopback cluster after a node was killed), so a component starting then
//! keeps trying for a while instead of exiting.

use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::context::{CreateStreamErrorKind, GetStreamErrorKind};
use async_nats::jetstream::stream::ConsumerErrorKind;

/// How long provisioning keeps trying an answer that may pass: well beyond a leader election.
pub const PROVISION_WINDOW: Duration = Duration::from_secs(30);

/// Runs `attempt` until it succeeds, fails for good (`transient` says no), or
/// [`PROVISION_WINDOW`] has passed; waits from 100 ms doubling to 2 s in between.
pub async fn provision<T, E, F, Fut>(
    what: &str,
    transient: impl Fn(&E) -> bool,
    mut attempt: F,
) -> Result<T, E>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + PROVISION_WINDOW;
    let mut wait = Duration::from_millis(100);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) if transient(&e) && tokio::time::Instant::now() + wait < deadline => {
                tracing::warn!(error = %e, what, "JetStream not ready (a cluster electing a leader answers so); trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
            Err(e) => return Err(e),
        }
    }
}

fn unavailable(e: &async_nats::jetstream::Error) -> bool {
    e.error_code() == ErrorCode::CLUSTER_NOT_AVAILABLE
}

/// Whether creating a stream may succeed if tried again.
pub fn stream_transient(e: &async_nats::jetstream::context::CreateStreamError) -> bool {
    match e.kind() {
        CreateStreamErrorKind::TimedOut | CreateStreamErrorKind::JetStreamUnavailable => true,
        CreateStreamErrorKind::JetStream(api) => unavailable(&api),
        _ => false,
    }
}

/// Whether looking a stream up may succeed if tried again.
pub fn get_stream_transient(e: &async_nats::jetstream::context::GetStreamError) -> bool {
    match e.kind() {
        GetStreamErrorKind::Request => true,
        GetStreamErrorKind::JetStream(api) => unavailable(&api),
        _ => false,
    }
}

/// Whether creating a consumer may succeed if tried again.
pub fn consumer_transient(e: &async_nats::jetstream::stream::ConsumerError) -> bool {
    match e.kind() {
        ConsumerErrorKind::TimedOut | ConsumerErrorKind::Request => true,
        ConsumerErrorKind::JetStream(api) => unavailable(&api),
        _ => false,
    }
}

/// The key-value bucket `bucket` (one value per key, file storage, on `replicas` servers): opened
/// when it exists (all a reader may be allowed), else created (idempotent).
pub async fn open_bucket(
    js: &async_nats::jetstream::Context,
    bucket: &str,
    description: &str,
    replicas: usize,
) -> Result<async_nats::jetstream::kv::Store, crate::Error> {
    use async_nats::jetstream::context::{CreateKeyValueError, CreateKeyValueErrorKind};
    if let Ok(kv) = js.get_key_value(bucket).await {
        return Ok(kv);
    }
    let config = async_nats::jetstream::kv::Config {
        bucket: bucket.to_string(),
        description: description.to_string(),
        history: 1,
        storage: async_nats::jetstream::stream::StorageType::File,
        num_replicas: replicas,
        ..Default::default()
    };
    provision(
        bucket,
        |e: &CreateKeyValueError| e.kind() == CreateKeyValueErrorKind::TimedOut,
        || js.create_key_value(config.clone()),
    )
    .await
    .map_err(|e| crate::Error::Provision(format!("bucket {bucket}: {e}")))
}

/// Deletes event stream `stream` and every stream Giro provisions beside it (`<stream>_DLQ`,
/// `_FUNDS`, `_SCHEDULES`, `_AUDIT`; the key-value buckets `KV_<stream>_KEYS`, `_BANKS`, …),
/// as a test or a bench does with its private stream when it ends. Best effort: a stream already
/// gone, or a server that does not answer, is left as it is.
pub async fn delete_with_derived(js: &async_nats::jetstream::Context, stream: &str) {
    let buckets = format!("KV_{stream}");
    let mut names = js.stream_names();
    let mut owned = vec![];
    while let Some(Ok(name)) = futures::StreamExt::next(&mut names).await {
        if name.starts_with(stream) || name.starts_with(&buckets) {
            owned.push(name);
        }
    }
    for name in owned {
        let _ = js.delete_stream(&name).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_transient_failure_is_tried_again_until_it_passes() {
        let calls = AtomicU32::new(0);
        let result: Result<u32, String> = provision(
            "test",
            |_| true,
            || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    n if n < 3 => Err(format!("unavailable {n}")),
                    n => Ok(n),
                }
            },
        )
        .await;
        assert_eq!(result, Ok(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_lasting_failure_ends_after_the_window_and_a_final_one_at_once() {
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let lasting: Result<(), String> = provision(
            "test",
            |_| true,
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("unavailable".to_string())
            },
        )
        .await;
        assert!(lasting.is_err());
        assert!(started.elapsed() <= PROVISION_WINDOW);
        assert!(started.elapsed() >= PROVISION_WINDOW - Duration::from_secs(2));
        calls.store(0, Ordering::SeqCst);
        let fatal: Result<(), String> = provision(
            "test",
            |_| false,
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("permission denied".to_string())
            },
        )
        .await;
        assert!(fatal.is_err());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "a final error is not retried"
        );
    }
}
