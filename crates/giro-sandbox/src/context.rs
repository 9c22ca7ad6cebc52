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
pub(crate) struct Common {
    pub timing: Timing,
    pub faults: Arc<FaultController>,
    pub registry: Arc<Registry>,
    pub random: Arc<Random>,
    pub dispatcher: Dispatcher,
    pub shutdown: Shutdown,
}
