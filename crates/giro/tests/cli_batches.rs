//! `giro batch submit|show|cancel` as README.md describes them: a file with bad lines is refused
//! naming each line and field and nothing is sent; the example payroll files are sent, followed
//! to `completed` against a running `giro up` (real NATS, the sandboxes, the projection).

use crate::support;

use support::{Up, giro, run, show};

#[test]
fn a_file_with_bad_lines_names_each_line_and_sends_nothing() {
    let dir = std::env::temp_dir().join(format!("giro-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good =
        std::fs::read_to_string(support::repo().join("ops/examples/batch-payroll.csv")).unwrap();
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    lines[2] = lines[2].replace("123456781", "12AB");
    lines[4] = lines[4].replace(",400000,", ",400000.123,");
    lines[5] = lines[1].clone();
    let file = dir.join("bad.csv");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = run(giro().args(["batch", "submit"]).arg(&file).args([
        "--nats-url",
        "nats://127.0.0.1:1",
        "--timeout",
        "1s",
    ]));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!out.status.success(), "{}", show(&out));
    let said = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "line 3: beneficiary.account_number: ",
        "line 5: amount: ",
        "line 6: idempotency_key: repeats line 2's",
        "3 problem(s)",
        "nothing was sent",
    ] {
        assert!(said.contains(expected), "{expected:?} missing:\n{said}");
    }
}

#[test]
fn the_example_payrolls_are_paid_and_followed_to_the_end() {
    let up = Up::start();
    for file in [
        "ops/examples/batch-payroll.csv",
        "ops/examples/batch-payroll.jsonl",
    ] {
        let out = run(up.cli().args(["batch", "submit", file, "--wait", "60s"]));
        assert!(out.status.success(), "{file}: {}\n{}", show(&out), up.log());
        let said = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(said.contains("8 payouts accepted in"), "{said}");
        assert!(
            said.contains(": completed: 8 succeeded, 0 failed, 0 cancelled"),
            "{said}"
        );
        let batch = said
            .split_whitespace()
            .nth(1)
            .map(|id| id.trim_end_matches(':').to_string())
            .unwrap();
        let out = run(up.cli().args(["batch", "show", &batch]));
        assert!(out.status.success(), "{}", show(&out));
        let row: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(row["status"], "completed", "{row}");
        assert_eq!(row["items_received"], 8, "{row}");
        // The same file again is the same batch: nothing is paid twice.
        let again = run(up.cli().args(["batch", "submit", file, "--no-wait"]));
        assert!(again.status.success(), "{}", show(&again));
        let out = run(up.cli().args(["batch", "cancel", &batch]));
        assert!(out.status.success(), "{}", show(&out));
        let reply: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (&reply["cancelled"], &reply["not_cancellable"]),
            (&0.into(), &8.into())
        );
    }
}
