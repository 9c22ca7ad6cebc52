//! Private event logs for tests: each gets its own stream and subject prefix on the local NATS
//! (or `NATS_URL`), so tests run in parallel, and its streams (the event stream and any named after
//! it) are deleted when it is dropped, even when the test panics.

use crate::{EventLog, EventLogConfig};

/// The NATS server tests use.
pub fn nats_url() -> String {
    std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_string())
}

/// An event log of its own for one test.
pub struct TestLog {
    pub client: async_nats::Client,
    pub log: EventLog,
    pub config: EventLogConfig,
}

impl TestLog {
    /// Connects and provisions a stream named `GIRO_EVENTS_T<random>` with prefix `t<random>`.
    pub async fn new() -> Self {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let config = EventLogConfig {
            stream: format!("GIRO_EVENTS_T{tag}"),
            prefix: format!("t{tag}"),
            ..EventLogConfig::default()
        };
        Self::with_config(config).await
    }

    /// Like [`TestLog::new`] with a given configuration.
    pub async fn with_config(config: EventLogConfig) -> Self {
        let client = async_nats::connect(nats_url())
            .await
            .unwrap_or_else(|e| panic!("tests need NATS at {}: {e}", nats_url()));
        let log = EventLog::open(client.clone(), config.clone())
            .await
            .unwrap_or_else(|e| panic!("provisioning the test stream failed: {e}"));
        TestLog {
            client,
            log,
            config,
        }
    }
}

impl Drop for TestLog {
    fn drop(&mut self) {
        let stream = self.config.stream.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(client) = async_nats::connect(nats_url()).await {
                    let js = async_nats::jetstream::new(client);
                    // The test's stream and any it derived (e.g. `<stream>_FUNDS`).
                    let mut names = js.stream_names();
                    let mut owned = vec![];
                    while let Some(Ok(name)) = futures::StreamExt::next(&mut names).await {
                        if name.starts_with(&stream) {
                            owned.push(name);
                        }
                    }
                    for name in owned {
                        let _ = js.delete_stream(&name).await;
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}
