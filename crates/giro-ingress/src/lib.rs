//! Giro's webhook ingress (DESIGN.md principle 4: never lose a callback).
//!
//! A provider's callback (`POST /webhooks/{path}`) is verified (in constant time) and read by the
//! webhook receiver the provider registry holds at `path` (`giro_providers::WebhookReceiver`), and
//! what it reports is appended to its order's subject as `payout.provider_status` or `charge.provider_status`
//! (then the decider's consequence) **before** the provider gets its success answer. If the event
//! log cannot store it, the answer is 5xx and the provider retries. Repeats append nothing (a
//! report is recorded once by its identity). A callback may only report on an order of the
//! provider instance whose credentials verified it (else 401). A verified callback Giro cannot
//! take (no such order, or one the order refuses for good) is kept on
//! `<prefix>.dlq.ingress.<provider>` with the reason and answered as received, so nothing is
//! lost and nothing loops.

mod config;
mod guard;
mod handlers;
mod metrics;
mod record;
mod server;

pub use config::IngressConfig;
pub use metrics::IngressMetrics;
pub use record::DEAD_LETTER_REASON_HEADER;
pub use server::{IngressHandle, router, start, start_on};
