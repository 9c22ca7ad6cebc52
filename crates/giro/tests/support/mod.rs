//! What the command-line tests share: `giro` as its users run it, and a running `giro up` on a
//! private stream, prefix and PostgreSQL schema.
// Each test binary that includes this module uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use giro_eventlog::test_support::{TestLog, nats_url};
use giro_projection::test_support::TestSchema;
use serde_json::Value;

const GIRO: &str = env!("CARGO_BIN_EXE_giro");

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `giro` with no `GIRO_*` settings of the environment the tests run in.
pub fn giro() -> Command {
    let mut cmd = Command::new(GIRO);
    for (name, _) in std::env::vars_os() {
        let n = name.to_string_lossy();
        if n.starts_with("GIRO_") || n == "DATABASE_URL" || n == "OTEL_EXPORTER_OTLP_ENDPOINT" {
            cmd.env_remove(&name);
        }
    }
    cmd.env("NATS_URL", nats_url())
        .env("RUST_LOG", "warn")
        .current_dir(repo())
        .stdin(Stdio::null());
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("giro runs")
}

pub fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The reply a `giro payout …` command printed.
pub fn reply(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(out)))
}

/// A running `giro up` on a stream, prefix and PostgreSQL schema of its own, killed when dropped
/// (also when the test panics), then its stream and schema deleted.
pub struct Up {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
    /// The query API's base URL.
    pub api: String,
    prefix: String,
    _schema: TestSchema,
    _log: TestLog,
    rt: tokio::runtime::Runtime,
}

impl Up {
    pub fn start() -> Up {
        Up::start_with(&[])
    }

    /// [`Up::start`] with more environment variables (`OTEL_*`, `GIRO_LOG_FORMAT`, …).
    pub fn start_with(env: &[(&str, &str)]) -> Up {
        let rt = tokio::runtime::Runtime::new().expect("a runtime");
        let log = rt.block_on(TestLog::new());
        let schema = rt.block_on(async { TestSchema::new() });
        let any = "127.0.0.1:0";
        let mut cmd = giro();
        cmd.envs(env.iter().copied());
        let mut child = cmd
            .args(["up", "--prefix", &log.config.prefix])
            .args(["--stream", &log.config.stream])
            .args(["--ingress-addr", any, "--projection-addr", any])
            .args(["--metrics-addr", any])
            .args(["--killb-addr", any, "--cashy-addr", any, "--a55-addr", any])
            .args(["--database-url", &schema.database_url])
            .args(["--schema", &schema.name])
            // Quick sandboxes: 200 ms in each provider status, schedules at 1/100.
            .args(["--step-delay-ms", "200", "--time-scale", "0.01"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("giro up starts");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = BufReader::new(child.stderr.take().expect("stderr"));
        let kept = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                let _ = tx.send(line.clone());
                kept.lock().unwrap().push(line);
            }
        });
        let mut up = Up {
            child,
            stderr,
            api: String::new(),
            prefix: log.config.prefix.clone(),
            _schema: schema,
            _log: log,
            rt,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("dashboard and query API on ") {
                        up.api = rest.split_whitespace().next().unwrap_or_default().into();
                    }
                    if line.starts_with("giro is up") {
                        break;
                    }
                }
                Err(_) => panic!("giro up did not come up:\n{}", up.log()),
            }
        }
        assert!(up.api.starts_with("http://127.0.0.1:"), "{}", up.log());
        up
    }

    /// A runtime for the test's own async calls.
    pub fn rt(&self) -> &tokio::runtime::Runtime {
        &self.rt
    }

    /// `giro` pointed at this engine: its prefix and query API.
    pub fn cli(&self) -> Command {
        let mut cmd = giro();
        cmd.env("GIRO_PREFIX", &self.prefix)
            .env("GIRO_API_URL", &self.api);
        cmd
    }

    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Every line written to standard error so far.
    pub fn lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// The engine's subject prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Stops the engine as an orchestrator does (SIGTERM) and waits until it has exited.
    pub fn terminate(&mut self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().expect("status").is_none() {
            assert!(Instant::now() < deadline, "giro up did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `cmd` until `done` accepts its output, or panics after `within`.
pub fn until(
    within: Duration,
    mut cmd: impl FnMut() -> Output,
    done: impl Fn(&Output) -> bool,
) -> Output {
    let deadline = Instant::now() + within;
    loop {
        let out = cmd();
        if done(&out) {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting:\n{}",
            show(&out)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}
