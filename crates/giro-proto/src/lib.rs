//! Giro's machine-readable contract, `proto/` (docs/CONTRACT.md): a JSON Schema (draft-07) for every
//! command, reply and event, generated from the Rust types with schemars, and the AsyncAPI 3.0
//! document of the NATS subjects, referencing those schemas.
//!
//! `cargo run -p giro-proto -- write` regenerates `proto/`; `cargo run -p giro-proto -- check`
//! (and this crate's tests) fail when the checked-in files differ from what the code generates.
//! The examples in `proto/examples/` are written by hand and validated by the tests.

mod asyncapi;
pub mod contract;
mod files;
mod schemas;
mod yaml;

use std::path::{Path, PathBuf};

pub use asyncapi::asyncapi;
pub use files::{check, generate, write};
pub use schemas::{SchemaFile, event_types, schemas};

/// The command that rewrites the generated files.
pub const REGENERATE: &str = "cargo run -p giro-proto -- write";

/// Generated files carry this, so nobody edits them by hand.
pub(crate) const GENERATED_NOTE: &str = "Generated from the Rust types by `cargo run -p giro-proto -- write`; do not edit. See proto/README.md.";

/// The `proto/` directory of the workspace.
pub fn proto_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto")
}
