//! KillB webhooks: registration, and the signed PAYOUT and ACCOUNT envelopes sent to every
//! registration listing the event.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::errors::KillbError;
use super::sign::killb_signature;
use super::state::{Killb, PROVIDER, Webhook};
use super::wire::{Envelope, PayoutOut, WebhookOut};
use crate::clock::iso_millis;
use crate::dispatch::{Delivery, Rendered};
use crate::json::RawObject;

const EVENTS: [&str; 5] = ["PAYOUT", "RAMP", "CUSTOMER", "ACCOUNT", "TRANSACTION"];

/// `POST /api/v2/webhooks {url, secret, events}`.
pub(crate) async fn register(
    State(killb): State<Arc<Killb>>,
    body: Bytes,
) -> Result<(StatusCode, Json<WebhookOut>), KillbError> {
    let obj = RawObject::parse(&body).map_err(|e| {
        KillbError::invalid("body", format!("Request body is not a JSON object: {e}"))
    })?;
    let wrong = |e: crate::json::WrongType| {
        KillbError::invalid(e.0.clone(), format!("{} has the wrong type", e.0))
    };
    let url = obj.string("url").map_err(wrong)?.unwrap_or_default();
    let parsed = url::Url::parse(&url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    if parsed.is_none() {
        return Err(KillbError::invalid("url", "url must be an http(s) URL"));
    }
    let secret = obj.string("secret").map_err(wrong)?.unwrap_or_default();
    if secret.is_empty() {
        return Err(KillbError::invalid("secret", "secret should not be empty"));
    }
    let events = obj.strings("events").map_err(wrong)?.unwrap_or_default();
    if events.is_empty() || events.iter().any(|e| !EVENTS.contains(&e.as_str())) {
        return Err(KillbError::invalid(
            "events",
            format!("events must be a non-empty list of {}", EVENTS.join(", ")),
        ));
    }
    let out = WebhookOut {
        id: format!("wh_{}", killb.common.random.uuid().simple()),
        url,
        events,
        created_at: iso_millis(killb.common.clock.now()),
    };
    killb.books().webhooks.push(Webhook {
        out: out.clone(),
        secret,
    });
    Ok((StatusCode::CREATED, Json(out)))
}

/// `GET /api/v2/webhooks`.
pub(crate) async fn list(State(killb): State<Arc<Killb>>) -> Json<Vec<WebhookOut>> {
    Json(
        killb
            .books()
            .webhooks
            .iter()
            .map(|w| w.out.clone())
            .collect(),
    )
}

/// What a webhook announces: an event about one object in one status.
pub(crate) struct Announcement<T> {
    /// The journal the deliveries are recorded under (`killb`, `killb-accounts`).
    pub provider: &'static str,
    /// `PAYOUT` or `ACCOUNT`: only registrations listing it get the webhook.
    pub event: &'static str,
    /// `CREATE` or `UPDATE`.
    pub action: &'static str,
    pub id: String,
    pub status: String,
    pub data: T,
}

/// One delivery per webhook registered for PAYOUT events, announcing `payout`.
pub(crate) fn deliveries(killb: &Killb, payout: PayoutOut, action: &'static str) -> Vec<Delivery> {
    announce(
        killb,
        Announcement {
            provider: PROVIDER,
            event: "PAYOUT",
            action,
            id: payout.id.clone(),
            status: payout.status.clone(),
            data: payout,
        },
    )
}

/// One signed delivery per webhook registered for the announcement's event.
pub(crate) fn announce<T>(killb: &Killb, announcement: Announcement<T>) -> Vec<Delivery>
where
    T: Serialize + Send + Sync + 'static,
{
    let Announcement {
        provider,
        event,
        action,
        id: order_id,
        status,
        data,
    } = announcement;
    let hooks: Vec<Webhook> = killb
        .books()
        .webhooks
        .iter()
        .filter(|w| w.out.events.iter().any(|e| e == event))
        .cloned()
        .collect();
    let policy = Arc::new(super::retry::policy());
    let data = Arc::new(data);
    hooks
        .into_iter()
        .map(|hook| {
            let id = killb.common.random.uuid().to_string();
            let at = iso_millis(killb.common.clock.now());
            let scheme = killb.config.signature;
            let data = Arc::clone(&data);
            Delivery {
                provider: provider.to_owned(),
                order_id: order_id.clone(),
                announces: status.clone(),
                url: hook.out.url.clone(),
                policy: Arc::clone(&policy),
                render: Arc::new(move |attempt| {
                    let envelope = Envelope {
                        id: &id,
                        event,
                        action,
                        data: &*data,
                        created_at: &at,
                        updated_at: &at,
                        attempts: attempt,
                    };
                    let body = serde_json::to_vec(&envelope).unwrap_or_default();
                    let signature = killb_signature(scheme, &hook.secret, &body);
                    Rendered {
                        headers: vec![("x-signature-sha256", signature)],
                        body,
                    }
                }),
            }
        })
        .collect()
}
