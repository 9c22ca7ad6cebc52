//! The independent reference servers (`ops/conformance/reference.py`), written from the providers'
//! pages apart from Giro's clients and sandbox: started on a free port for one test, asked for
//! what they saw (`/_conformance/report`), stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Reference {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Reference {
    /// Starts the reference servers; panics (naming what is missing) when they cannot start.
    pub fn start() -> Reference {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let script: PathBuf = root.join("ops/conformance/reference.py");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("giro-conformance-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let port_file = dir.join("port");
        let child = Command::new("python3")
            .arg(&script)
            .args(["--port", "0", "--port-file"])
            .arg(&port_file)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("python3 {}: {e}", script.display()));
        let deadline = Instant::now() + Duration::from_secs(20);
        let port = loop {
            if let Some(port) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|s| s.trim().parse::<u16>().ok())
            {
                break port;
            }
            assert!(
                Instant::now() < deadline,
                "the reference servers wrote no port to {} within 20 s",
                port_file.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Reference { child, port, dir }
    }

    /// The base URL of one provider (`killb`, `cashy-co`, `cashy-tz`, `a55`, `a55-auth`).
    pub fn url(&self, provider: &str) -> String {
        format!("http://127.0.0.1:{}/{provider}", self.port)
    }

    /// What the servers saw: `{operations: {name: count}, violations: [...], unknown_requests: [...]}`.
    pub async fn report(&self) -> Value {
        self.get("report").await
    }

    /// Every operation the servers know: `[{name, page, section}]` (or a map by name).
    pub async fn operations(&self) -> Value {
        self.get("operations").await
    }

    async fn get(&self, what: &str) -> Value {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = format!("http://127.0.0.1:{}/_conformance/{what}", self.port);
        reqwest::get(&url)
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: not JSON: {e}"))
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
