//! Giro's provider adapters (STYLE.md: one folder per provider, one shape for all). Each folder has
//! `wire.rs` (the provider's JSON exactly as it sends it), `sign.rs` (its signatures), `status.rs`
//! (its statuses, unknown ones included), `client.rs` (HTTP, tokens, error classification) and a
//! `mod.rs` with its configuration and the capability traits it implements ([`PayoutProvider`],
//! [`ChargeProvider`], [`AccountProvider`]). The executor and the ingress only see the traits.
//!
//! The helpers here are what every provider needs the same way: a pooled HTTP client whose errors
//! say whether the request was ever sent ([`http`]), a client-side rate limiter ([`ratelimit`]), the
//! identity of a provider report ([`report`]), exact decimals on the wire and cached bearer tokens.

pub mod a55;
mod capability;
pub mod cashy;
pub mod http;
mod json;
pub mod killb;
pub mod ratelimit;
pub mod report;
mod token;

pub use capability::{
    AccountAnswer, AccountProvider, BoxFuture, ChargeOperation, ChargeOrder, ChargeProvider,
    ChargeSubmission, ChargeView, Lookup, PayoutOrder, PayoutProvider, Refusal, RefusalKind,
    Submission,
};
