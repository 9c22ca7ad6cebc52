//! The message shapes of docs/CONTRACT.md §1 that have no single Rust type in the services: command
//! bodies (read by hand-written parsers in `giro-domain`, e.g. `payout::parse_create`, which accept
//! more than one wire form) and replies (built as JSON objects by `giro-intake`'s handlers into its
//! `Reply` envelope). Every part that does have a domain type (beneficiaries, payers, statuses,
//! error codes, currencies, ids) is that type, so its schema comes from the code.
//!
//! The tests keep these honest: every example in `proto/examples/` must pass both its schema and
//! the domain parser (commands) or round-trip through `giro_intake::Reply` (replies), and every
//! invalid example must be refused by both.
//!
//! Building blocks shared by several messages are in `parts`, command bodies in `commands`,
//! replies in `replies`.

mod commands;
mod ops;
mod parts;
mod replies;

pub use commands::{
    BeneficiaryRegister, BeneficiaryRemove, BeneficiaryUpdate, ChargeCapture, ChargeCreate,
    ChargeRefund, ErasureReason, OrderRef, PayoutBatchAddItems, PayoutBatchCancel,
    PayoutBatchCreate, PayoutCreate, PrivacyErase,
};
pub use ops::{OpsApprove, OpsBecause, OpsDone, OpsNote, OpsReplay, OpsReply, OpsResolve, OpsText};
pub use parts::{
    AmountInput, CARD_FIELDS, CardFree, ChargeMetadata, ExternalId, Metadata, card_field_pattern,
};
pub use replies::{
    Accepted, AnyStatus, BatchAccepted, BatchCancelled, BatchRefused, BatchReply,
    BeneficiaryAccepted, BeneficiaryChangeAccepted, BeneficiaryChangeReply, BeneficiaryReply,
    ChargeReply, ChargeSummary, Erased, HistoryEntry, Kind, OrderGetReply, OrderSummary, OrderView,
    PayoutBatchCancelReply, PayoutBatchReply, PayoutReply, PayoutSummary, PrivacyEraseReply,
    Refused, Reply,
};
