//! The Prometheus configuration in `ops/prometheus/` as Prometheus's own checker reads it
//! (`promtool`, Debian's prometheus package, which `ops/dev test` installs), and every series
//! its alert rules watch is one Giro exposes.

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
    assert!(text.contains("SUCCESS: 4 rules found"), "{text}");
    let config = ops().join("prometheus.yml");
    let text = promtool(&["check", "config", "--syntax-only", config.to_str().unwrap()]);
    assert!(text.contains("SUCCESS"), "{text}");
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
