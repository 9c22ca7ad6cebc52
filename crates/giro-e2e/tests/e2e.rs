//! Giro's end-to-end tests, one module per area, built as one test binary: one link instead of
//! one per file (the suite's build time and disk), while nextest still runs every test in a
//! process of its own.

mod a55_capture;
mod alert_rules;
mod approvals;
mod bank_lists;
mod batches;
mod beneficiaries;
mod beneficiary_changes;
mod cashy_start_up;
mod chaos;
mod charge_reconciliation;
mod charges;
mod cluster;
mod console_browser;
mod engine_restart;
mod erasure;
mod failover;
mod funds;
mod ingress;
mod ingress_callbacks;
mod k8s_manifests;
mod killb_setup;
mod masked_logs;
mod notifications;
mod operator_actions;
mod ops_definitions;
mod outage;
mod payouts;
mod provider_names;
mod provider_platform;
mod reconciliation;
mod routing;
mod runbook;
mod scheduled;
mod tracing_and_metrics;
mod webhook_example;
mod webhooks;

/// With `autotests = false`, a file added to `tests/` is built only once it is named above.
#[test]
fn every_file_in_tests_is_a_module_of_this_binary() {
    let root = include_str!("e2e.rs");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut missing = vec![];
    for entry in std::fs::read_dir(&dir).expect("the tests directory") {
        let path = entry.expect("an entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs")
            && stem != "e2e"
            && !root.contains(&format!("\nmod {stem};\n"))
        {
            missing.push(stem.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "tests/{{{}}}.rs: add `mod <name>;` to tests/e2e.rs",
        missing.join(",")
    );
}
