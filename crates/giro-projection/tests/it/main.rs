//! End-to-end tests of the projection against the real NATS and PostgreSQL. Each test has its own
//! stream, subject prefix and schema, so they run in parallel and leave nothing behind.

mod api;
mod batches;
mod beneficiary_changes;
mod charge_money;
mod common;
mod console;
mod dashboard;
mod exactly_once;
mod exceptions;
mod failover;
mod ledger;
mod masking;
mod money;
mod openapi;
mod rebuild;
mod scheduled;
mod status_paths;
mod stuck_metrics;
