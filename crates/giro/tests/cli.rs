//! The `giro` binary as its users run it: every `giro …` command and flag ops/RUNBOOK.md names
//! exists, and against a running `giro up` (real NATS, the sandboxes, the projection on a private
//! PostgreSQL schema) `payout create|show|list|cancel` and `demo` do what README.md says.

use crate::support;

use std::time::Duration;

use serde_json::Value;
use support::{Up, giro, reply, repo, run, show, until};

fn doc(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A document's code: every line of its fenced blocks and every `inline` span.
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

/// Every `giro …` command ops/RUNBOOK.md and README.md run, with its flags, is one the binary
/// has.
#[test]
fn giro_commands_and_flags_exist() {
    for path in ["ops/RUNBOOK.md", "README.md"] {
        let checked = commands_and_flags_exist(path);
        assert!(checked >= 8, "only {checked} giro commands found in {path}");
    }
}

/// Checks the `giro …` commands of the document at `path`; how many there were.
fn commands_and_flags_exist(path: &str) -> usize {
    let mut checked = 0;
    for span in code_spans(&doc(path)) {
        let mut rest = span.as_str();
        while let Some(i) = rest.find("giro ") {
            // In command position: only `NAME=value` assignments before it, and the binary's
            // directory (`target/release/giro`).
            let (assignments, directory) = rest[..i]
                .rsplit_once(char::is_whitespace)
                .unwrap_or(("", &rest[..i]));
            let command = assignments.split_whitespace().all(|t| t.contains('='))
                && (directory.is_empty() || directory.ends_with('/'));
            let tail = &rest[i + "giro ".len()..];
            rest = tail;
            if !command {
                continue;
            }
            let tokens: Vec<&str> = tail.split_whitespace().collect();
            let command_path: Vec<&str> = tokens
                .iter()
                .take_while(|t| {
                    t.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        && !t.starts_with('-')
                })
                .copied()
                .collect();
            let flags: Vec<&str> = tokens[command_path.len()..]
                .iter()
                .filter(|t| t.starts_with("--"))
                .map(|t| t.split('=').next().unwrap_or(t))
                .collect();
            let help = giro()
                .args(&command_path)
                .arg("--help")
                .output()
                .expect("giro runs");
            let text = String::from_utf8_lossy(&help.stdout);
            assert!(
                help.status.success(),
                "{path} runs `giro {}`, which giro does not have: {}",
                command_path.join(" "),
                String::from_utf8_lossy(&help.stderr)
            );
            for flag in flags {
                assert!(
                    text.contains(flag),
                    "{path}: `giro {}` has no {flag}:\n{text}",
                    command_path.join(" ")
                );
            }
            checked += 1;
        }
    }
    checked
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
            &["charge", "list"][..],
            &[
                "--status",
                "--provider",
                "--external-id",
                "--limit",
                "--cursor",
                "--json",
            ][..],
        ),
        (
            &["beneficiary", "list"][..],
            &["--status", "--external-id", "--limit", "--cursor", "--json"][..],
        ),
        (&["payout", "show"][..], &["--json", "--timeout"][..]),
        (&["charge", "show"][..], &["--json"][..]),
        (&["beneficiary", "show"][..], &["--json"][..]),
        (&["charge", "refund"][..], &["--amount"][..]),
        (&["charge", "create"][..], &["--file"][..]),
        (&["charge", "cancel"][..], &["--prefix"][..]),
        (&["beneficiary", "register"][..], &["--file"][..]),
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

#[test]
fn the_command_line_drives_a_running_engine() {
    let up = Up::start();
    let cli = || up.cli();
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
    let shown = reply(&run(cli().args(["payout", "show", "--json", &id])));
    assert_eq!(shown["ok"], true, "{shown}");
    assert_eq!(shown["order_id"], id.as_str());
    assert_eq!(shown["order"]["provider"], "cashy-co", "{shown}");
    assert_eq!(shown["history"][0]["type"], "payout.requested", "{shown}");
    let out = until(
        Duration::from_secs(30),
        || run(cli().args(["payout", "show", "--json", &id])),
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
    // The same, for a person: state, masked beneficiary, one line per event.
    let out = run(cli().args(["payout", "show", &id]));
    assert!(out.status.success(), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.starts_with(&format!("payout {id}\n")), "{text}");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "status succeeded (since ",
        "amount 500000 COP",
        "provider cashy-co, attempt 1",
        "external id payout-2024-001",
        "account number ****6789",
        "document number ****5678",
        " payout.requested 500000 COP via cashy-co",
        " payout.succeeded ",
    ] {
        assert!(flat.contains(expected), "{expected:?} missing:\n{text}");
    }
    assert!(
        !text.contains("123456789") && !text.contains("Garcia"),
        "unmasked personal data:\n{text}"
    );

    // The projection lists it (as a table and as the API's JSON), to the command line only: it
    // reads with a viewer token of the development keys, where a request without one is refused.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let anonymous = up.rt().block_on(async {
        reqwest::get(format!("{}/v1/payouts", up.api))
            .await
            .expect("the query API answers")
    });
    assert_eq!(anonymous.status().as_u16(), 401);
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

    // The next page's command keeps the filters: following it lists only what they select.
    let filtered = ["payout", "list", "--status", "succeeded", "--limit", "1"];
    let out = until(
        Duration::from_secs(15),
        || run(cli().args(filtered)),
        |out| String::from_utf8_lossy(&out.stdout).contains("next cursor: "),
    );
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    let hint = table
        .lines()
        .find_map(|l| l.split_once("  (giro "))
        .map(|(_, command)| command.trim_end_matches(')').to_string())
        .unwrap_or_else(|| panic!("no next-page command:\n{table}"));
    assert!(
        hint.starts_with("payout list --status succeeded --limit 1 --cursor "),
        "{hint}"
    );
    let out = run(cli().args(hint.split_whitespace()));
    assert!(out.status.success(), "{}", show(&out));
    let next = String::from_utf8_lossy(&out.stdout).to_string();
    let rows = |t: &str| -> Vec<String> {
        t.lines()
            .skip(1)
            .filter(|l| !l.starts_with("next cursor") && !l.starts_with("no more"))
            .map(str::to_string)
            .collect()
    };
    let (first_rows, next_rows) = (rows(&table), rows(&next));
    assert_eq!(
        (first_rows.len(), next_rows.len()),
        (1, 1),
        "{table}\n{next}"
    );
    assert!(next_rows[0].contains(" succeeded "), "{next}");
    assert_ne!(first_rows[0], next_rows[0], "{table}\n{next}");

    // README's cancel example: a KillB payout larger than the pre-fund balance is held, and a
    // held payout (no provider has it) is cancelled.
    let held = "ops/examples/payout-killb-held.json";
    let created = reply(&run(cli().args(["payout", "create", "--file", held])));
    assert_eq!(created["ok"], true, "{created}");
    let held_id = created["order_id"].as_str().expect("order_id").to_string();
    until(
        Duration::from_secs(30),
        || run(cli().args(["payout", "show", "--json", &held_id])),
        |out| reply(out)["status"] == "held",
    );
    let out = run(cli().args(["payout", "cancel", &held_id]));
    assert!(out.status.success(), "{}", show(&out));
    let cancelled = reply(&out);
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");

    // Cancelling an order that does not exist.
    let unknown = uuid::Uuid::new_v4().to_string();
    let out = run(cli().args(["payout", "cancel", &unknown]));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let refused = reply(&out);
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["error"]["code"], "not_found", "{refused}");
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
