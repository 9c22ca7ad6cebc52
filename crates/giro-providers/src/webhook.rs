//! The webhook capability (STYLE.md: one shape for all): a provider's callback, as the ingress
//! hands it over (headers, raw body, the time it arrived), verified in constant time and read
//! into the reports Giro records. The ingress stores what a receiver returns, the same way for
//! every provider, and answers in the provider's own success form only once it is stored.

use chrono::{DateTime, Utc};
use giro_domain::ProviderId;
use giro_domain::beneficiary::BeneficiaryStatusChanged;
use giro_domain::charge::ChargeReport;
use giro_domain::payout::ProviderReport;
pub use reqwest::StatusCode;
pub use reqwest::header::HeaderMap;

use crate::capability::BoxFuture;

/// Why a callback is refused before anything is stored: the HTTP status the provider gets, the
/// `result` label of the callbacks metric, and a reason fit for the answer and the log (never a
/// secret or personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRefusal {
    pub status: StatusCode,
    /// `forged`, `stale`, `malformed`, `not_configured`, `unconfirmed`, `unavailable`, …
    pub result: &'static str,
    pub reason: String,
    /// The provider instance whose credentials verified the callback, when it got that far (the
    /// metric is then labelled with it rather than with the webhook path).
    pub instance: Option<ProviderId>,
}

impl WebhookRefusal {
    /// A refusal before the callback is known to come from any instance.
    pub fn new(status: StatusCode, result: &'static str, reason: impl Into<String>) -> Self {
        WebhookRefusal {
            status,
            result,
            reason: reason.into(),
            instance: None,
        }
    }

    /// A refusal of a callback `instance`'s credentials verified (a malformed body, say).
    pub fn of(mut self, instance: &ProviderId) -> Self {
        self.instance = Some(instance.clone());
        self
    }

    /// A verified body that cannot be read: 400 `malformed`.
    pub fn malformed(reason: impl Into<String>) -> Self {
        WebhookRefusal::new(StatusCode::BAD_REQUEST, "malformed", reason)
    }

    /// A signature that is missing or does not match: 401 `forged`.
    pub fn forged(reason: impl Into<String>) -> Self {
        WebhookRefusal::new(StatusCode::UNAUTHORIZED, "forged", reason)
    }
}

/// One thing a verified callback reports, with the submission handle (or beneficiary id) that
/// names its order.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookReport {
    /// A payout's status (KillB `PAYOUT` event, Cashy callback).
    Payout {
        handle: Option<String>,
        report: ProviderReport,
    },
    /// A charge's status (A55).
    Charge {
        handle: Option<String>,
        report: ChargeReport,
    },
    /// A beneficiary account's status (KillB `ACCOUNT` event); `handle` is the beneficiary id and
    /// `report_id` the report's identity.
    Beneficiary {
        handle: Option<String>,
        report_id: String,
        status: BeneficiaryStatusChanged,
    },
    /// Something the provider said that Giro cannot read into a report (an undocumented status):
    /// kept on the dead-letter subject with the reason, so that nothing is lost.
    Keep { reason: String },
}

/// The provider's success answer, sent once what it reported is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    pub body: &'static str,
}

impl Answer {
    /// 200 with an empty body.
    pub const OK: Answer = Answer {
        status: StatusCode::OK,
        body: "",
    };
}

/// A verified callback.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The provider instance whose credentials verified it: it may only report on that
    /// instance's orders.
    pub instance: ProviderId,
    /// What to record, in order; empty when the callback is not Giro's business (acknowledged,
    /// counted as `ignored`, not stored).
    pub reports: Vec<WebhookReport>,
    pub answer: Answer,
}

/// What the ingress verifies a provider's callbacks with, at `POST /webhooks/<path>`.
/// Implementations never panic, whatever the headers and bytes, and compare signatures in
/// constant time.
pub trait WebhookReceiver: Send + Sync {
    /// Verifies and reads one callback that arrived at `now`.
    fn receive<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Received, WebhookRefusal>>;
}

/// A header's text, when present and readable.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
