//! The Prometheus configuration in `ops/prometheus/` as Prometheus's own checker reads it
//! (`promtool`, Debian's prometheus package, which `ops/dev test` installs): the rules and the
//! configuration are valid, every alert fires on the series that should fire it and not on
//! healthy ones (`promtool test rules` on `alerts.test.yml`), every series the rules watch is one
//! Giro exposes, and every alert points at its section of ops/RUNBOOK.md.

use std::path::PathBuf;
use std::process::Command;

fn ops() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ops/prometheus")
}

fn promtool(args: &[&str]) -> String {
    let out = Command::new("promtool")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "promtool cannot run ({e}): install Debian's prometheus package (ops/dev test does)"
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?}:\n{text}");
    text
}

#[test]
fn promtool_accepts_the_rules_and_the_configuration() {
    let rules = ops().join("alerts.yml");
    let text = promtool(&["check", "rules", rules.to_str().unwrap()]);
    assert!(
        text.contains(&format!("SUCCESS: {} rules found", alerts().len())),
        "{text}"
    );
    let config = ops().join("prometheus.yml");
    let text = promtool(&["check", "config", "--syntax-only", config.to_str().unwrap()]);
    assert!(text.contains("SUCCESS"), "{text}");
}

/// The alerts of `alerts.yml`, by name.
fn alerts() -> Vec<String> {
    let rules = std::fs::read_to_string(ops().join("alerts.yml")).unwrap();
    let alerts: Vec<String> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .map(str::to_string)
        .collect();
    assert!(alerts.len() >= 9, "{alerts:?}");
    alerts
}

#[test]
fn promtool_unit_tests_fire_each_alert_on_its_series_and_not_on_healthy_ones() {
    let tests = ops().join("alerts.test.yml");
    let text = promtool(&["test", "rules", tests.to_str().unwrap()]);
    assert!(text.contains("SUCCESS"), "{text}");
    // Every alert is tested both ways: an evaluation where it fires, one where it stays silent.
    let cases = std::fs::read_to_string(&tests).unwrap();
    let lines: Vec<&str> = cases.lines().map(str::trim).collect();
    for alert in alerts() {
        let outcomes: Vec<&str> = lines
            .windows(2)
            .filter(|w| w[0] == format!("alertname: {alert}"))
            .map(|w| w[1])
            .collect();
        assert!(
            outcomes.contains(&"exp_alerts: []"),
            "no case in alerts.test.yml where {alert} stays silent"
        );
        assert!(
            outcomes.contains(&"exp_alerts:"),
            "no case in alerts.test.yml where {alert} fires"
        );
    }
}

/// GitHub's anchor of a heading: lower case, spaces as dashes, punctuation left out.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn every_alert_points_at_a_section_of_the_runbook() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let runbook = std::fs::read_to_string(root.join("ops/RUNBOOK.md")).unwrap();
    let sections: Vec<String> = runbook
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
        .map(anchor)
        .collect();
    let rules = std::fs::read_to_string(ops().join("alerts.yml")).unwrap();
    let pointers: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("runbook_url: "))
        .collect();
    assert_eq!(pointers.len(), alerts().len(), "one runbook_url per alert");
    for pointer in pointers {
        let section = pointer
            .strip_prefix("ops/RUNBOOK.md#")
            .unwrap_or_else(|| panic!("{pointer} is not a section of ops/RUNBOOK.md"));
        assert!(
            sections.iter().any(|s| s == section),
            "{pointer}: ops/RUNBOOK.md has no such section ({sections:?})"
        );
    }
    // The runbook's table of alerts names each one.
    for alert in alerts() {
        assert!(
            runbook.contains(&format!("`{alert}`")),
            "{alert} not in the runbook"
        );
    }
}

#[test]
fn the_rules_watch_series_giro_exposes() {
    let rules = std::fs::read_to_string(ops().join("alerts.yml")).unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sources = [
        "crates/giro-projection/src/metrics.rs",
        "crates/giro-telemetry/src/metrics.rs",
    ]
    .map(|p| std::fs::read_to_string(root.join(p)).unwrap())
    .join("\n");
    // Series: registered names with their registry prefix and counter suffix.
    for (series, registered) in [
        ("giro_projection_treasury_amount", "\"treasury_amount\""),
        ("giro_events_appended_total", "\"events_appended\""),
    ] {
        assert!(rules.contains(series), "the rules no longer watch {series}");
        assert!(
            sources.contains(registered),
            "{series} is not registered any more"
        );
    }
    // Every series the rules name, by its registered name (registry prefix and the counter's or
    // histogram's suffix left out).
    let series: std::collections::BTreeSet<&str> = rules
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        .filter(|w| w.starts_with("giro_"))
        .collect();
    assert!(series.len() >= 8, "{series:?}");
    for name in series {
        let registered = ["giro_projection_", "giro_"]
            .iter()
            .find_map(|prefix| name.strip_prefix(prefix))
            .map(|rest| {
                ["_total", "_count", "_sum", "_bucket"]
                    .iter()
                    .find_map(|suffix| rest.strip_suffix(suffix))
                    .unwrap_or(rest)
            })
            .unwrap();
        assert!(
            sources.contains(&format!("\"{registered}\"")),
            "the rules watch {name}, which Giro does not register ({registered})"
        );
    }
    // The provider-call outcomes the error rate counts are ones the calls are labelled with.
    let calls = std::fs::read_to_string(root.join("crates/giro-providers/src/http.rs")).unwrap();
    let outcomes = rules
        .split("outcome=~\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the error rate's outcomes");
    for outcome in outcomes.split('|') {
        assert!(
            calls.contains(&format!("=> \"{outcome}\"")),
            "outcome {outcome} is not one provider calls are labelled with"
        );
    }
    for figure in ["balance", "low_threshold", "shortfall"] {
        assert!(
            rules.contains(&format!("figure=\"{figure}\""))
                && sources.contains(&format!("(\"{figure}\"")),
            "figure {figure}"
        );
    }
    for event in [
        "payout.report_unmatched",
        "payout.discrepancy",
        "charge.discrepancy",
    ] {
        assert!(rules.contains(event), "{event}");
    }
}

/// `promtool check metrics` on `text`: no error and no lint (a family without help text, a
/// counter not named `_total`, …).
fn promtool_checks_metrics(what: &str, text: &str) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs (ops/dev test installs Debian's prometheus)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool check metrics on {what}:\n{said}\n{text}"
    );
    assert!(said.trim().is_empty(), "promtool on {what}: {said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metrics_endpoint_passes_promtool_check_metrics() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stack = giro_e2e::Stack::start(giro_e2e::StackOptions::default()).await;
    let (intake, _client) = stack.start_intake().await;
    let id = stack.create("promtool-1", "cashy-co", "150000").await;
    stack
        .wait_for(&[id], std::time::Duration::from_secs(60), |s| {
            s.is_terminal()
        })
        .await;
    let schema = giro_projection::test_support::TestSchema::new();
    let projection = stack
        .start_projection(
            &schema,
            giro_projection::ProjectionConfig {
                linger: std::time::Duration::from_millis(5),
                ..giro_projection::ProjectionConfig::default()
            },
        )
        .await;
    let http = reqwest::Client::new();
    for (what, url) in [
        ("the ingress", format!("{}/metrics", stack.ingress.url())),
        (
            "the projection",
            format!("http://{}/metrics", projection.local_addr()),
        ),
    ] {
        let response = http.get(&url).send().await.unwrap();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{what}: {content_type}"
        );
        let text = response.text().await.unwrap();
        assert!(text.contains("_total"), "{what}: {text}");
        // Provider calls are labelled with the provider instance, not the provider's API.
        assert!(
            text.contains("giro_provider_call_seconds_count{provider=\"cashy-co\""),
            "{what}: {text}"
        );
        assert!(!text.contains("provider=\"cashy\""), "{what}: {text}");
        // Intake's commands and append conflicts are series from start-up (none failed here).
        assert!(
            text.contains("giro_commands_total{command=\"charge-create\",result=\"ok\"} 0"),
            "{what}: {text}"
        );
        assert!(
            text.contains("giro_append_conflicts_total{kind=\"beneficiary\"}"),
            "{what}: {text}"
        );
        // Dead letters are counted from 0 for every instance before the first one.
        for component in ["executor", "ingress"] {
            let series = format!(
                "giro_dead_letters_total{{component=\"{component}\",provider=\"cashy-tz\"}} 0"
            );
            assert!(text.contains(&series), "{what}: no {series} in {text}");
        }
        promtool_checks_metrics(what, &text);
    }
    intake.stop().await;
    projection.stop().await;
}
