//! What every simulator shares: timing, clock, faults, randomness, the journal, the callback
//! dispatcher, the shutdown signal and the statement sources.

use std::sync::Arc;

use crate::clock::{Clock, Timing};
use crate::dispatch::Dispatcher;
use crate::faults::FaultController;
use crate::introspect::Registry;
use crate::random::Random;
use crate::shutdown::Shutdown;
use crate::statement::Statements;

/// Shared pieces handed to each provider's router and background tasks.
#[derive(Clone)]
pub struct Common {
    pub(crate) timing: Timing,
    pub(crate) faults: Arc<FaultController>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) random: Arc<Random>,
    pub(crate) dispatcher: Dispatcher,
    pub(crate) shutdown: Shutdown,
    pub(crate) clock: Clock,
    /// The running simulators that export statements (`GET /_sandbox/<name>/statement`).
    pub(crate) statements: Arc<Statements>,
}
