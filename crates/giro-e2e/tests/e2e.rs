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

giro_eventlog::every_test_file_is_a_module!("e2e");
