//! End-to-end tests of the simulators over HTTP, all in one binary to keep linking cheap.

mod a55;
mod a55_callbacks;
mod a55_capture;
mod a55_operations;
mod a55_statement;
mod cashy;
mod cashy_callbacks;
mod cashy_refusals;
mod cli;
mod common;
mod faults;
mod introspection;
mod killb;
mod killb_accounts;
mod killb_accounts_api;
mod killb_accounts_flow;
mod killb_users;
mod signatures;
mod statements;
