//! The provider registry from configuration: every adapter of `giro_providers::ADAPTERS`, each
//! reading its `GIRO_*` variables (secrets also from `<NAME>_FILE`) with its sandbox's
//! credentials as defaults, so `giro sandbox` and the engine work together out of the box.

use std::sync::Arc;

use anyhow::Context as _;
use giro_providers::{Registry, Settings};

/// The registry of `settings`.
pub fn registry(settings: &Settings) -> anyhow::Result<Arc<Registry>> {
    Ok(Arc::new(
        Registry::from_settings(settings).context("configuring the providers")?,
    ))
}

/// Points `settings` at in-process sandboxes started from `sandbox` with `args` (their
/// addresses and the credentials they were started with).
pub fn for_sandbox(
    settings: &mut Settings,
    sandbox: &giro_sandbox::Sandbox,
    args: &giro_sandbox::cli::SandboxArgs,
) {
    for (name, value) in args.engine_settings(sandbox) {
        settings.set(name, value);
    }
}
