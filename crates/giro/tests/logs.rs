//! Logs written to a pipe or a file (a collector, `giro up > giro.log`) are plain text: no
//! terminal colour codes, which only a terminal renders.

use std::process::{Command, Stdio};

use giro_eventlog::test_support::nats_url;

const GIRO: &str = env!("CARGO_BIN_EXE_giro");

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let out = Command::new(GIRO)
        .args(["payout", "show", "--timeout", "1s"])
        .arg("00000000-0000-0000-0000-000000000000")
        .env("NATS_URL", nats_url())
        .env("RUST_LOG", "debug")
        .env_remove("GIRO_LOG_FORMAT")
        .stdin(Stdio::null())
        .output()
        .expect("giro runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(" DEBUG "),
        "debug lines were logged: {stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "colour codes in: {stderr}");
}

/// A nats-server of its own on a free port that only lets `giro` with `password` in.
struct GuardedNats {
    port: u16,
    child: std::process::Child,
}

impl GuardedNats {
    fn start(password: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(giro_eventlog::test_support::nats_server_binary())
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(["--user", "giro", "--pass", password])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "nats-server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        GuardedNats { port, child }
    }
}

impl Drop for GuardedNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn credentials_in_nats_url_are_used_and_never_logged() {
    let password = "hunter2-not-in-logs";
    let nats = GuardedNats::start(password);
    let run = |url: String| {
        Command::new(GIRO)
            .args(["payout", "show", "--timeout", "1s"])
            .arg("00000000-0000-0000-0000-000000000000")
            .env("NATS_URL", url)
            .env("RUST_LOG", "debug")
            .env_remove("GIRO_LOG_FORMAT")
            .stdin(Stdio::null())
            .output()
            .expect("giro runs")
    };
    let out = run(format!("nats://giro:{password}@127.0.0.1:{}", nats.port));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    // Connected and authenticated: the question reached NATS (no intake answers it here).
    assert!(
        stderr.contains("unavailable: no giro-intake instance"),
        "{stdout}\n{stderr}"
    );
    assert!(stderr.contains(" DEBUG "), "{stderr}");
    assert!(
        !stdout.contains(password) && !stderr.contains(password),
        "the password was printed:\n{stdout}\n{stderr}"
    );
    // A wrong password is refused, and not printed either.
    let out = run(format!(
        "nats://giro:wrong-{password}@127.0.0.1:{}",
        nats.port
    ));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{printed}");
    assert!(!printed.contains(password), "{printed}");
}
