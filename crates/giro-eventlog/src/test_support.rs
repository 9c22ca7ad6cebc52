//! Private event logs for tests: each gets its own stream and subject prefix on the local NATS
//! (or `NATS_URL`), so tests run in parallel, and its streams (the event stream and any named after
//! it) are deleted when it is dropped, even when the test panics.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
    /// The NATS servers it is on (one URL or a comma-separated list).
    pub url: String,
}

impl TestLog {
    /// Connects and provisions a stream named `GIRO_EVENTS_T<random>` with prefix `t<random>`.
    pub async fn new() -> Self {
        Self::with_config(Self::private_config()).await
    }

    /// A private stream and prefix: `GIRO_EVENTS_T<random>` and `t<random>`.
    pub fn private_config() -> EventLogConfig {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        EventLogConfig {
            stream: format!("GIRO_EVENTS_T{tag}"),
            prefix: format!("t{tag}"),
            ..EventLogConfig::default()
        }
    }

    /// Like [`TestLog::new`] with a given configuration.
    pub async fn with_config(config: EventLogConfig) -> Self {
        Self::on(&nats_url(), config).await
    }

    /// Like [`TestLog::with_config`] on the servers of `url` (e.g. a test's own cluster).
    pub async fn on(url: &str, config: EventLogConfig) -> Self {
        let client = crate::server::connect(url, async_nats::ConnectOptions::new())
            .await
            .unwrap_or_else(|e| panic!("tests need NATS: {e}"));
        let log = EventLog::open(client.clone(), config.clone())
            .await
            .unwrap_or_else(|e| panic!("provisioning the test stream failed: {e}"));
        TestLog {
            client,
            log,
            config,
            url: url.to_string(),
        }
    }
}

impl Drop for TestLog {
    fn drop(&mut self) {
        let stream = self.config.stream.clone();
        let url = self.url.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let options = async_nats::ConnectOptions::new()
                    .connection_timeout(Duration::from_secs(2))
                    .max_reconnects(Some(1));
                if let Ok(client) = crate::server::connect(&url, options).await {
                    let js = async_nats::jetstream::new(client);
                    // The test's stream and any it derived (e.g. `<stream>_FUNDS`, and the key
                    // bucket's `KV_<stream>_KEYS`).
                    crate::provision::delete_with_derived(&js, &stream).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A nats-server of the test's own, on a free port, so a test may stop and restart it.
pub struct PrivateNats {
    pub port: u16,
    pub store: PathBuf,
    child: Option<Child>,
}

impl PrivateNats {
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let store =
            std::env::temp_dir().join(format!("giro-nats-{}", uuid::Uuid::new_v4().simple()));
        let mut n = PrivateNats {
            port,
            store,
            child: None,
        };
        n.run(true);
        n
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// (Re)starts the server, with or without JetStream.
    pub fn run(&mut self, jetstream: bool) {
        self.stop();
        let mut cmd = Command::new(nats_server_binary());
        cmd.args(["-a", "127.0.0.1", "-p", &self.port.to_string()]);
        if jetstream {
            cmd.args(["-js", "-sd", self.store.to_str().unwrap()]);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", nats_server_binary()));
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "nats-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

/// Where the pinned nats-server lives once `ops/dev` installed it.
pub const PINNED_NATS_SERVER: &str = "/opt/giro-nats/2.12.8/nats-server";

/// A nats-server binary of 2.12 or later for tests that run servers of their own: `GIRO_NATS_SERVER`,
/// else the one `ops/dev` pins, else `nats-server` on PATH if recent enough. Panics, saying what
/// to run, when there is none: such tests never pass by skipping.
pub fn nats_server_binary() -> String {
    if let Ok(bin) = std::env::var("GIRO_NATS_SERVER") {
        return bin;
    }
    if std::path::Path::new(PINNED_NATS_SERVER).exists() {
        return PINNED_NATS_SERVER.to_string();
    }
    let on_path = Command::new("nats-server")
        .arg("--version")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).to_string());
    let version = on_path.as_deref().and_then(|v| v.split('v').nth(1));
    match version.map(|v| crate::server::check_version(v, "nats-server on PATH")) {
        Some(Ok(_)) => "nats-server".to_string(),
        Some(Err(e)) => panic!("{e}; set GIRO_NATS_SERVER to a 2.12 binary"),
        None => panic!(
            "no nats-server 2.12 or later: run `ops/dev nats` (installs {PINNED_NATS_SERVER}) \
             or set GIRO_NATS_SERVER"
        ),
    }
}

/// For a crate whose integration tests are one binary (`autotests = false`, a root file naming
/// every file of `tests/` as a module): panics naming each `tests/<name>.rs` the root `root`
/// (its source `root_source`) does not name, which would otherwise never be built.
pub fn assert_every_test_file_is_a_module(manifest_dir: &str, root: &str, root_source: &str) {
    let dir = std::path::Path::new(manifest_dir).join("tests");
    let mut missing = vec![];
    for entry in std::fs::read_dir(&dir).expect("the tests directory") {
        let path = entry.expect("an entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs")
            && stem != root
            && !root_source.contains(&format!("\nmod {stem};\n"))
        {
            missing.push(stem.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "{}: add `mod <name>;` to tests/{root}.rs for tests/{{{}}}.rs",
        dir.display(),
        missing.join(",")
    );
}

/// The test, in a one-binary test crate's root `tests/<root>.rs`, that every file of `tests/` is
/// one of its modules (`assert_every_test_file_is_a_module`).
#[macro_export]
macro_rules! every_test_file_is_a_module {
    ($root:literal) => {
        /// With `autotests = false`, a file added to `tests/` is built only once it is named above.
        #[test]
        fn every_file_in_tests_is_a_module_of_this_binary() {
            $crate::test_support::assert_every_test_file_is_a_module(
                env!("CARGO_MANIFEST_DIR"),
                $root,
                include_str!(concat!($root, ".rs")),
            );
        }
    };
}
