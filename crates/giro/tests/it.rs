//! This crate's integration tests, one module per file, built as one test binary: one link
//! instead of one per file (the suite's build time and disk), while nextest still runs every
//! test in a process of its own.

mod cli;
mod cli_batches;
mod cli_orders;
mod examples;
mod logs;
mod otlp;
mod probe;
mod provider_cli;
mod reconcile_cli;
mod routes_cli;
mod support;
mod webhooks_cli;

giro_eventlog::every_test_file_is_a_module!("it");
