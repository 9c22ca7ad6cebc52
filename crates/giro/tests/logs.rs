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
