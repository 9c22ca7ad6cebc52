//! The `giro` binary as its users run it: every `giro …` command and flag ops/RUNBOOK.md names
//! exists, and against a running `giro up` (real NATS, the sandboxes, the projection on a private
//! PostgreSQL schema) `payout create|show|list|cancel` and `demo` do what README.md says.

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

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn runbook() -> String {
    std::fs::read_to_string(repo().join("ops/RUNBOOK.md")).expect("ops/RUNBOOK.md")
}

/// The runbook's code: every line of its fenced blocks and every `inline` span.
fn code_spans(text: &str) -> Vec<String> {
    let mut spans = vec![];
    for (i, part) in text.split("```").enumerate() {
        if i % 2 == 1 {
            spans.extend(part.lines().map(str::to_string));
        } else {
            spans.extend(
                part.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(|s| s.replace('\n', " ")),
            );
        }
    }
    spans
}

/// `giro` with no `GIRO_*` settings of the environment the tests run in.
fn giro() -> Command {
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

#[test]
fn giro_commands_and_flags_exist() {
    let mut checked = 0;
    for span in code_spans(&runbook()) {
        let mut rest = span.as_str();
        while let Some(i) = rest.find("giro ") {
            // In command position: only `NAME=value` assignments before it.
            let command = rest[..i].split_whitespace().all(|t| t.contains('='))
                && rest[..i].chars().last().is_none_or(char::is_whitespace);
            let tail = &rest[i + "giro ".len()..];
            rest = tail;
            if !command {
                continue;
            }
            let tokens: Vec<&str> = tail.split_whitespace().collect();
            let path: Vec<&str> = tokens
                .iter()
                .take_while(|t| {
                    t.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        && !t.starts_with('-')
                })
                .copied()
                .collect();
            let flags: Vec<&str> = tokens[path.len()..]
                .iter()
                .filter(|t| t.starts_with("--"))
                .map(|t| t.split('=').next().unwrap_or(t))
                .collect();
            let help = giro()
                .args(&path)
                .arg("--help")
                .output()
                .expect("giro runs");
            let text = String::from_utf8_lossy(&help.stdout);
            assert!(
                help.status.success(),
                "the runbook runs `giro {}`, which giro does not have: {}",
                path.join(" "),
                String::from_utf8_lossy(&help.stderr)
            );
            for flag in flags {
                assert!(
                    text.contains(flag),
                    "`giro {}` has no {flag}:\n{text}",
                    path.join(" ")
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} giro commands found");
}

/// README.md's command-line section names only commands and flags the binary has.
#[test]
fn readme_commands_exist() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    for (path, flags) in [
        (
            &["payout", "list"][..],
            &[
                "--status",
                "--provider",
                "--external-id",
                "--limit",
                "--cursor",
                "--api",
                "--json",
            ][..],
        ),
        (
            &["demo"][..],
            &["--count", "--wait", "--prefix", "--nats-url"][..],
        ),
    ] {
        assert!(
            readme.contains(&format!("giro {}", path.join(" "))),
            "README.md does not mention giro {}",
            path.join(" ")
        );
        let help = giro().args(path).arg("--help").output().expect("giro runs");
        assert!(help.status.success());
        let text = String::from_utf8_lossy(&help.stdout);
        for flag in flags {
            assert!(text.contains(flag), "giro {path:?} has no {flag}:\n{text}");
        }
    }
    assert!(
        !readme.contains("`giro payout list` are missing"),
        "README.md still says giro payout list is missing"
    );
}

#[test]
fn payout_list_without_an_api_is_a_clear_error() {
    // Port 9 (discard) has no listener here: the connection is refused.
    let out = run(giro().args([
        "payout",
        "list",
        "--api",
        "http://127.0.0.1:9",
        "--timeout",
        "5s",
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot reach the query API at http://127.0.0.1:9"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn demo_without_an_engine_is_a_clear_error() {
    // A prefix no intake serves: the first command finds no responder.
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    let out = run(giro().args([
        "demo",
        "--count",
        "3",
        "--timeout",
        "1s",
        "--prefix",
        &prefix,
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is `giro up` running"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("giro runs")
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The reply a `giro payout …` command printed.
fn reply(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(out)))
}

/// A running `giro up`, killed when dropped (also when the test panics).
struct Up {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
    /// The query API's base URL.
    api: String,
}

impl Up {
    fn start(log: &TestLog, schema: &TestSchema) -> Up {
        let any = "127.0.0.1:0";
        let mut child = giro()
            .args(["up", "--prefix", &log.config.prefix])
            .args(["--stream", &log.config.stream])
            .args(["--ingress-addr", any, "--projection-addr", any])
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

    fn log(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `cmd` until `done` accepts its output, or panics after `within`.
fn until(
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

#[test]
fn the_command_line_drives_a_running_engine() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let log = rt.block_on(TestLog::new());
    let schema = rt.block_on(async { TestSchema::new() });
    let up = Up::start(&log, &schema);
    let prefix = log.config.prefix.as_str();
    let cli = || {
        let mut cmd = giro();
        cmd.env("GIRO_PREFIX", prefix).env("GIRO_API_URL", &up.api);
        cmd
    };
    let example = "ops/examples/payout-cashy-co.json";

    // Create, and the same command again.
    let out = run(cli().args(["payout", "create", "--file", example]));
    assert!(out.status.success(), "{}\n{}", show(&out), up.log());
    let created = reply(&out);
    assert_eq!(created["ok"], true, "{created}");
    assert_eq!(created["duplicate"], false, "{created}");
    let id = created["order_id"].as_str().expect("order_id").to_string();
    let again = reply(&run(cli().args(["payout", "create", "--file", example])));
    assert_eq!(again["ok"], true, "{again}");
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(again["order_id"], id.as_str());

    // Its state and history, rebuilt from the events, until the sandbox has paid it.
    let shown = reply(&run(cli().args(["payout", "show", &id])));
    assert_eq!(shown["ok"], true, "{shown}");
    assert_eq!(shown["order_id"], id.as_str());
    assert_eq!(shown["order"]["provider"], "cashy-co", "{shown}");
    assert_eq!(shown["history"][0]["type"], "payout.requested", "{shown}");
    let out = until(
        Duration::from_secs(30),
        || run(cli().args(["payout", "show", &id])),
        |out| reply(out)["status"] == "succeeded",
    );
    let history: Vec<String> = reply(&out)["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        history.contains(&"payout.submitted".to_string())
            && history.last().map(String::as_str) == Some("payout.succeeded"),
        "{history:?}"
    );

    // The projection lists it (as a table and as the API's JSON).
    let external = ["payout", "list", "--external-id", "payout-2024-001"];
    let out = until(
        Duration::from_secs(15),
        || run(cli().args(external)),
        |out| String::from_utf8_lossy(&out.stdout).contains("succeeded"),
    );
    assert!(out.status.success(), "{}", show(&out));
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(table.starts_with("ORDER ID"), "{table}");
    let row = table
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("{table}"));
    for cell in ["cashy-co", "succeeded", "500000 COP", "payout-2024-001"] {
        assert!(row.contains(cell), "{cell} missing: {row}");
    }
    let out = run(cli().args(external).arg("--json"));
    assert!(out.status.success(), "{}", show(&out));
    let page = reply(&out);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["order_id"], id.as_str());
    assert_eq!(items[0]["status"], "succeeded");

    // The demo: a mix of orders, each to a final status.
    let out = run(cli().args(["demo", "--count", "6", "--wait", "45s"]));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    eprintln!("{stdout}");
    assert!(out.status.success(), "{}\n{}", show(&out), up.log());
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("demo: 6 orders"))
        .unwrap_or_else(|| panic!("no summary line:\n{stdout}"));
    assert!(
        summary.contains("6 final, 0 still open, 0 refused"),
        "{summary}"
    );
    for provider in ["cashy-co", "cashy-tz", "killb", "a55"] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(provider)),
            "no {provider} line:\n{stdout}"
        );
    }

    // Pages: 6 payouts now (5 of the demo's 6 orders are payouts), two at a time.
    let out = until(
        Duration::from_secs(15),
        || run(cli().args(["payout", "list", "--limit", "2", "--json"])),
        |out| {
            let page = reply(out);
            page["next_cursor"].is_string()
        },
    );
    let first = reply(&out);
    let cursor = first["next_cursor"].as_str().unwrap();
    let out = run(cli().args([
        "payout", "list", "--limit", "2", "--json", "--cursor", cursor,
    ]));
    assert!(out.status.success(), "{}", show(&out));
    let second = reply(&out);
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["order_id"].as_str().unwrap().to_string())
            .collect()
    };
    let (one, two) = (ids(&first), ids(&second));
    assert_eq!((one.len(), two.len()), (2, 2), "{first}\n{second}");
    assert!(one.iter().all(|id| !two.contains(id)), "{one:?} {two:?}");
    let out = run(cli().args(["payout", "list", "--limit", "2"]));
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(table.contains("next cursor: "), "{}", show(&out));
    let out = run(cli().args(["payout", "list", "--status", "paid"]));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid_parameter"),
        "{}",
        show(&out)
    );

    // Cancelling an order that does not exist.
    let unknown = uuid::Uuid::new_v4().to_string();
    let out = run(cli().args(["payout", "cancel", &unknown]));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let refused = reply(&out);
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["error"]["code"], "not_found", "{refused}");

    drop(up);
    drop(schema);
    drop(log);
}

/// Every fault setting the sandbox takes (the JSON names of `POST /_sandbox/faults`) is an option
/// of `giro sandbox`, explained in its help's FAULTS section and in the sandbox README; every
/// scenario code of the help's table is in the README's.
#[test]
fn sandbox_help_and_readme_document_every_scenario_and_fault() {
    let help = giro()
        .args(["sandbox", "--help"])
        .output()
        .expect("giro runs");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    let readme = std::fs::read_to_string(repo().join("crates/giro-sandbox/README.md"))
        .expect("the sandbox README");
    let faults = serde_json::to_value(giro_sandbox::FaultSettings::default()).expect("JSON");
    let names: Vec<&String> = faults.as_object().expect("an object").keys().collect();
    assert!(names.len() >= 10, "{names:?}");
    let (_, faults_section) = help.split_once("FAULTS").expect("a FAULTS section");
    for name in names {
        let option = format!("--{}", name.replace('_', "-"));
        assert!(help.contains(&option), "giro sandbox has no {option}");
        assert!(
            readme.contains(name.as_str()),
            "the sandbox README does not explain {name}"
        );
        // Settings that only tune another fault (`hang_ms`, `callback_delay_ms`, `latency_ms`)
        // are explained with it: `hang_response[=<ms>]`, `latency=<ms>`.
        let explained = name
            .strip_suffix("_ms")
            .map(|stem| stem.replace("callback_delay", "delay_callback"));
        let explained = explained.as_deref().unwrap_or(name);
        assert!(
            faults_section.contains(explained),
            "the FAULTS section does not explain {name}"
        );
    }
    let (_, scenarios) = help.split_once("SCENARIOS").expect("a SCENARIOS section");
    let codes: Vec<&str> = scenarios
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|t| t.len() == 2 && t.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert!(codes.len() >= 9, "{codes:?}");
    for code in codes {
        assert!(
            readme.contains(&format!("| {code} |")),
            "the sandbox README's table has no scenario {code}"
        );
    }
}
