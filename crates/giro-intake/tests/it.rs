//! This crate's integration tests, one module per file, built as one test binary: one link
//! instead of one per file (the suite's build time and disk), while nextest still runs every
//! test in a process of its own.

mod amounts;
mod bank_lists;
mod batches;
mod charges;
mod common;
mod errors;
mod idempotency;
mod malformed;
mod micro_official_client;
mod micro_service;
mod operator_tokens;
mod outage;
mod text;

giro_eventlog::every_test_file_is_a_module!("it");
