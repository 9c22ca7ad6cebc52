//! What a refused (or perhaps refused) attempt records, whatever the kind of order: the one
//! reading of a provider's typed refusal, so payouts and charges record it alike.

use std::time::Duration;

use giro_domain::attempts::ProviderWaitAnnounced;
use giro_providers::{Refusal, RefusalKind};

/// A provider's wait as the whole milliseconds an event records it in.
pub fn millis(wait: Duration) -> u64 {
    u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)
}

/// The record an attempt's refusal leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptRecord {
    /// It may have reached the provider: only a lookup (or its webhook) may resolve it.
    Unknown { reason: String },
    /// The provider asked to come back later.
    Wait(ProviderWaitAnnounced),
    /// The provider did not take it; `retryable` when a later attempt may succeed (a retryable
    /// refusal, or a short balance: the order goes back to waiting rather than failing).
    Failed {
        code: String,
        message: String,
        retryable: bool,
    },
}

impl AttemptRecord {
    /// What attempt `attempt`'s `refusal` records.
    pub fn of(attempt: u32, refusal: Refusal) -> Self {
        let Refusal {
            kind,
            code,
            message,
        } = refusal;
        match kind {
            RefusalKind::OutcomeUnknown => AttemptRecord::Unknown { reason: message },
            RefusalKind::ComeBackAfter(wait) => AttemptRecord::Wait(ProviderWaitAnnounced {
                attempt,
                code,
                message,
                wait_ms: wait.map(millis),
            }),
            RefusalKind::Retryable | RefusalKind::InsufficientFunds => AttemptRecord::Failed {
                code,
                message,
                retryable: true,
            },
            RefusalKind::Final => AttemptRecord::Failed {
                code,
                message,
                retryable: false,
            },
        }
    }
}
