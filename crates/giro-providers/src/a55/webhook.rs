//! A55's charge webhooks. The signed form (`X-Webhook-Signature` = hex HMAC-SHA256 over
//! `"<X-Webhook-Timestamp>." + body`, at most 300 s old or ahead) is verified in constant time;
//! the older unsigned form is accepted only when configured, and then only what A55 says when the
//! charge is read counts. The charge's order is the one its `reference_external_id` (the
//! submission handle) names.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use giro_domain::charge::{ChargeReport, ReportSource};
use giro_domain::{ProviderId, Secret};

use crate::a55::sign::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::a55::wire::{Charge, LegacyWebhook};
use crate::a55::{A55Client, A55Error, MAX_AGE, SignatureError, verify_signature};
use crate::capability::BoxFuture;
use crate::webhook::{
    Answer, HeaderMap, Received, StatusCode, WebhookReceiver, WebhookRefusal, WebhookReport,
};

/// What a webhook turned out to say, once verified (or confirmed).
#[derive(Debug)]
pub struct Verified {
    pub report: ChargeReport,
    /// `reference_external_id`: the submission handle naming the order.
    pub handle: Option<String>,
}

/// Verifies A55's webhooks for one wallet.
#[derive(Debug, Clone)]
pub struct A55Webhook {
    pub instance: ProviderId,
    pub secret: Secret<String>,
    /// Set to accept A55's older unsigned webhook: each one is then confirmed by reading the
    /// charge from A55 with this client, and only what A55 says counts. `None` refuses them.
    pub legacy: Option<Arc<A55Client>>,
}

/// Verifies and parses a signed webhook; `Ok(None)` when it carries no signature headers at all
/// (the legacy form). Never panics, whatever the bytes and headers.
pub fn verify_signed(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<Verified>, WebhookRefusal> {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or(""));
    let (signature, timestamp) = match (header(SIGNATURE_HEADER), header(TIMESTAMP_HEADER)) {
        (None, None) => return Ok(None),
        (Some(s), Some(t)) => (s, t),
        _ => {
            return Err(WebhookRefusal::forged(
                "X-Webhook-Signature and X-Webhook-Timestamp come together",
            ));
        }
    };
    match verify_signature(secret, timestamp, body, signature, now, MAX_AGE) {
        Ok(()) => {}
        Err(e @ SignatureError::Stale { .. }) => {
            return Err(WebhookRefusal::new(
                StatusCode::UNAUTHORIZED,
                "stale",
                e.to_string(),
            ));
        }
        Err(e) => return Err(WebhookRefusal::forged(e.to_string())),
    }
    let charge = Charge::parse(body)
        .map_err(|e| WebhookRefusal::malformed(format!("unreadable charge: {e}")))?;
    Ok(Some(Verified {
        report: charge.report(ReportSource::Webhook),
        handle: charge.reference_external_id,
    }))
}

impl A55Webhook {
    /// Confirms an unsigned webhook by reading its charge from A55: the report is what A55
    /// answers, not what the webhook claims.
    async fn confirm_legacy(&self, body: &[u8]) -> Result<Verified, WebhookRefusal> {
        let Some(client) = &self.legacy else {
            return Err(WebhookRefusal::forged(
                "missing X-Webhook-Signature (unsigned webhooks are not accepted)",
            ));
        };
        let legacy = LegacyWebhook::parse(body)
            .map_err(|e| WebhookRefusal::malformed(format!("unreadable webhook: {e}")))?;
        match client.get_charge(&legacy.charge_uuid).await {
            Ok(charge) => Ok(Verified {
                report: charge.report(ReportSource::Webhook),
                handle: charge.reference_external_id,
            }),
            Err(A55Error::Refused { status: 404, .. }) => Err(WebhookRefusal::new(
                StatusCode::UNAUTHORIZED,
                "unconfirmed",
                "A55 does not know the charge the unsigned webhook names",
            )),
            Err(e) => Err(WebhookRefusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("cannot confirm the unsigned webhook with A55 now: {e}"),
            )),
        }
    }

    /// Verifies (or confirms) and reads one webhook.
    pub async fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Received, WebhookRefusal> {
        let verified = match verify_signed(self.secret.expose(), headers, body, now)? {
            Some(v) => v,
            None => self.confirm_legacy(body).await?,
        };
        Ok(Received {
            instance: self.instance.clone(),
            reports: vec![WebhookReport::Charge {
                report: verified.report,
                handle: verified.handle,
            }],
            answer: Answer::OK,
        })
    }
}

impl WebhookReceiver for A55Webhook {
    fn receive<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Received, WebhookRefusal>> {
        Box::pin(self.verify(headers, body, now))
    }
}
