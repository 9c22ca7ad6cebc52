//! Giro's read models (CONTRACT.md §3), fed from the event log, with the query API, the operations
//! dashboard and the projection's health and metrics (§4).
//!
//! - [`start`] / [`run`]: one projection instance: the projector (exactly-once, any number of
//!   instances; see the crate README) and the HTTP server.
//! - [`rebuild`]: `giro projection rebuild`, from sequence 1 into a fresh schema, swapped in.
//! - [`bench::catch_up`]: `giro bench projection`.

mod apply;
mod args;
mod audit;
pub mod bench;
mod config;
mod db;
mod decode;
mod duration;
mod error;
mod http;
mod metrics;
mod projector;
mod read;
mod rebuild;
pub mod reconcile;
mod service;
mod source;
pub mod treasury;

#[cfg(feature = "test-support")]
pub mod test_support;

pub use args::ProjectionArgs;
pub use config::{ProjectionConfig, StuckThresholds};
pub use duration::{format_duration, parse_duration};
pub use error::Error;
pub use rebuild::{RebuildSummary, rebuild};
pub use service::{ProjectionHandle, run, start};
