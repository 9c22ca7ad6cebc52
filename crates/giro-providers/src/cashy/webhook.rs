//! Cashy's callbacks: the merchant in `MerchantId` must be configured, and `Sign` must be the MD5
//! of the raw body and that merchant's key. The merchant decides the provider instance (its
//! orders are the only ones the callback may report on) and the success answer. One receiver
//! serves every merchant, at one public path.

use chrono::{DateTime, Utc};
use giro_domain::{ProviderId, Secret};

use crate::capability::BoxFuture;
use crate::cashy::CashyCountry;
use crate::cashy::sign::verify_sign;
use crate::cashy::wire::Callback;
use crate::webhook::{
    Answer, HeaderMap, Received, StatusCode, WebhookReceiver, WebhookRefusal, WebhookReport, header,
};

/// One Cashy merchant: callbacks name it in `MerchantId` and are signed with its key.
#[derive(Debug, Clone)]
pub struct CashyMerchantHook {
    pub instance: ProviderId,
    pub merchant_id: String,
    pub api_key: Secret<String>,
    /// Decides the success answer: `SUCCESS` (Colombia) or `{"status":"SUCCESS"}` (Tanzania).
    pub country: CashyCountry,
}

/// Verifies Cashy's callbacks for every configured merchant.
#[derive(Debug, Clone, Default)]
pub struct CashyWebhook {
    pub merchants: Vec<CashyMerchantHook>,
}

impl CashyWebhook {
    /// Verifies and reads one callback.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<Received, WebhookRefusal> {
        let merchant = header(headers, "MerchantId")
            .ok_or_else(|| WebhookRefusal::forged("missing MerchantId"))?;
        let hook = self
            .merchants
            .iter()
            .find(|h| h.merchant_id == merchant)
            .ok_or_else(|| WebhookRefusal::forged("unknown MerchantId"))?;
        let sign = header(headers, "Sign").ok_or_else(|| WebhookRefusal::forged("missing Sign"))?;
        if !verify_sign(body, hook.api_key.expose(), sign) {
            return Err(WebhookRefusal::forged("Sign does not match"));
        }
        let callback = Callback::parse(body).map_err(|e| {
            WebhookRefusal::malformed(format!("unreadable callback: {e}")).of(&hook.instance)
        })?;
        // The signed body names its merchant too. Seed 004's own curl example names another
        // merchant in the body than in the header, so a difference is noted, not refused: the
        // signature under this merchant's key already proves the sender.
        if let Some(named) = callback
            .merchant_id
            .as_deref()
            .filter(|m| m.trim() != hook.merchant_id)
        {
            tracing::warn!(instance = %hook.instance, body_merchant = named,
                "Cashy callback body names another merchantId than its MerchantId header");
        }
        Ok(Received {
            instance: hook.instance.clone(),
            reports: vec![WebhookReport::Payout {
                report: callback.report(),
                handle: callback.mch_order_no,
            }],
            answer: Answer {
                status: StatusCode::OK,
                body: hook.country.callback_ack(),
            },
        })
    }
}

impl WebhookReceiver for CashyWebhook {
    fn receive<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        _now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Received, WebhookRefusal>> {
        Box::pin(async move { self.verify(headers, body) })
    }
}
