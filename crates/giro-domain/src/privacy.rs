//! Erasure of an order's personal data (`giro.cmd.privacy.erase`): the fact that it happened is
//! an event of the order; the erasure itself is the destruction of the order's key
//! ([`crate::seal`]), after which its personal fields read as [`crate::seal::ERASED`].

use serde::{Deserialize, Serialize};

use crate::rejection::{ErrorCode, Rejection};

/// The order's personal data was erased on request. Amounts, statuses, references and the
/// history stay; every personal field of the order reads as erased from here on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PersonalDataErased {
    /// Why, as the requester gave it (a data-subject request, a retention period ended).
    pub reason: String,
}

/// The refusal to erase an order that still needs its personal data to finish.
pub fn erase_refused(what: &str, status: &str) -> Rejection {
    Rejection::new(
        ErrorCode::InvalidState,
        format!(
            "cannot erase the personal data of a {what} that is {status}: it is still needed to \
             finish it; erase it once it is final"
        ),
    )
}
