//! Giro's provider adapters (STYLE.md: one folder per provider, one shape for all). Each folder has
//! `wire.rs` (the provider's JSON exactly as it sends it), `sign.rs` (its signatures), `status.rs`
//! (its statuses, unknown ones included), `client.rs` (HTTP, tokens, error classification) and a
//! `mod.rs` with its configuration and the capability traits it implements ([`PayoutProvider`],
//! [`ChargeProvider`], [`AccountProvider`], and [`ProviderAdmin`] for what `giro provider` runs).
//! The executor and the ingress only see the traits.
//!
//! The helpers here are what every provider needs the same way: a pooled HTTP client whose errors
//! say whether the request was ever sent ([`http`]), a client-side rate limiter ([`ratelimit`]), the
//! identity of a provider report ([`report`]), exact decimals on the wire and cached bearer tokens.
//!
//! Each folder also has `webhook.rs` (its [`WebhookReceiver`]) and `adapter.rs` (its [`Adapter`]:
//! its configuration, catalog profiles, routes and receiver). The [`Registry`] built from
//! [`ADAPTERS`] is what the rest of Giro runs providers from; adding a provider is a new folder
//! and one line in [`ADAPTERS`].

pub mod a55;
pub mod admin;
mod capability;
pub mod cashy;
pub mod http;
mod json;
pub mod killb;
pub mod ratelimit;
pub mod registry;
pub mod report;
pub mod settings;
mod token;
pub mod webhook;

pub use admin::{AdminAction, AdminArg, AdminError, ProviderAdmin};
pub use capability::{
    AccountAnswer, AccountProvider, BoxFuture, ChargeOperation, ChargeOrder, ChargeProvider,
    ChargeSubmission, ChargeView, Lookup, PayoutOrder, PayoutProvider, ProviderSetup, Refusal,
    RefusalKind, SetupError, Submission,
};
pub use registry::{Adapter, ProviderInstance, Registry, RegistryError, provider_id};
pub use settings::Settings;
pub use webhook::{Answer, Received, WebhookReceiver, WebhookRefusal, WebhookReport};

/// Every provider adapter, in registration order (which is also the order of the routing rules
/// they add: the first matching rule wins).
pub const ADAPTERS: &[&dyn Adapter] = &[
    &killb::adapter::KillbAdapter,
    &cashy::adapter::CashyAdapter,
    &a55::adapter::A55Adapter,
];
