//! Giro's observability, shared by every component:
//!
//! - [`metrics`]: the process-wide Prometheus metrics (commands, appends, conflicts, provider calls,
//!   dead letters, consumer lag) that every component's `/metrics` serves;
//! - [`init`]: logs (plain or JSON, filtered by `RUST_LOG`) and traces, exported over OTLP when the
//!   standard `OTEL_*` variables name an endpoint, with the W3C propagator for NATS and HTTP headers;
//! - [`trace`]: W3C trace headers for outgoing HTTP requests;
//! - [`exposition`]: `/metrics` as Prometheus text or OpenMetrics, as the scraper asks;
//! - [`http`]: serving an HTTP router with time limits on slow clients;
//! - [`ops`]: `/healthz`, `/readyz` and `/metrics` for components without an HTTP server of their own.

pub mod exposition;
pub mod http;
pub mod metrics;
pub mod ops;
mod setup;
pub mod trace;

pub use setup::{Telemetry, init, otlp_configured};
