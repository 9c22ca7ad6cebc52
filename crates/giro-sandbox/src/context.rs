//! What every simulator shares: timing, faults, randomness, the journal, the callback dispatcher
//! and the shutdown signal.

use std::sync::Arc;

use crate::clock::Timing;
use crate::dispatch::Dispatcher;
use crate::faults::FaultController;
use crate::introspect::Registry;
use crate::random::Random;
use crate::shutdown::Shutdown;

/// Shared pieces handed to each provider's router and background tasks.
#[derive(Clone)]
pub struct Common {
    pub(crate) timing: Timing,
    pub(crate) faults: Arc<FaultController>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) random: Arc<Random>,
    pub(crate) dispatcher: Dispatcher,
    pub(crate) shutdown: Shutdown,
}
