//! KillB's webhooks: `x-signature-sha256` over the raw body, in either documented reading, under
//! the registered webhook secret. `PAYOUT` events report payouts (by `externalId`, the submission
//! handle); `ACCOUNT` events report the beneficiary accounts (by `externalId`, the beneficiary
//! id); every other event is acknowledged and ignored.

use chrono::{DateTime, Utc};
use giro_domain::beneficiary::BeneficiaryStatusChanged;
use giro_domain::payout::ReportSource;
use giro_domain::{ProviderId, Secret};

use crate::capability::BoxFuture;
use crate::killb::sign::verify_signature;
use crate::killb::wire::WebhookEnvelope;
use crate::webhook::{
    Answer, HeaderMap, Received, WebhookReceiver, WebhookRefusal, WebhookReport, header,
};

/// The header KillB signs its webhooks in.
pub const SIGNATURE_HEADER: &str = "x-signature-sha256";

/// Verifies KillB's webhooks for one instance.
#[derive(Debug, Clone)]
pub struct KillbWebhook {
    pub instance: ProviderId,
    pub secret: Secret<String>,
}

impl KillbWebhook {
    /// Verifies and reads one webhook.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<Received, WebhookRefusal> {
        let signature = header(headers, SIGNATURE_HEADER)
            .ok_or_else(|| WebhookRefusal::forged("missing x-signature-sha256"))?;
        if !verify_signature(self.secret.expose(), body, signature) {
            return Err(WebhookRefusal::forged("signature does not match"));
        }
        let envelope = WebhookEnvelope::parse(body).map_err(|e| {
            WebhookRefusal::malformed(format!("unreadable webhook: {e}")).of(&self.instance)
        })?;
        let reports = match envelope.event.as_str() {
            "ACCOUNT" => vec![self.account(&envelope)?],
            "PAYOUT" => {
                let payout = envelope.payout().map_err(|e| {
                    WebhookRefusal::malformed(format!("unreadable payout: {e}")).of(&self.instance)
                })?;
                vec![WebhookReport::Payout {
                    report: payout.report(ReportSource::Webhook),
                    handle: payout.external_id,
                }]
            }
            // Other events (ramps, customers, …) are not Giro's business: acknowledged, not stored.
            _ => vec![],
        };
        Ok(Received {
            instance: self.instance.clone(),
            reports,
            answer: Answer::OK,
        })
    }

    /// An `ACCOUNT` event: the status of a beneficiary's account, recorded as
    /// `beneficiary.status_changed`. A status KillB has not documented is kept, not guessed at.
    fn account(&self, envelope: &WebhookEnvelope) -> Result<WebhookReport, WebhookRefusal> {
        let account = envelope.account().map_err(|e| {
            WebhookRefusal::malformed(format!("unreadable account: {e}")).of(&self.instance)
        })?;
        let Some(status) = account.beneficiary_status() else {
            return Ok(WebhookReport::Keep {
                reason: format!("unknown KillB account status {:?}", account.status),
            });
        };
        Ok(WebhookReport::Beneficiary {
            report_id: format!("{}:{}", account.id, account.status),
            status: BeneficiaryStatusChanged {
                status,
                provider_ref: Some(account.id.clone()),
                reason: None,
            },
            handle: account.external_id,
        })
    }
}

impl WebhookReceiver for KillbWebhook {
    fn receive<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        _now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Received, WebhookRefusal>> {
        Box::pin(async move { self.verify(headers, body) })
    }
}
