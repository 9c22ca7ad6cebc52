//! Stored messages into events the read models understand. Nothing here fails a batch: an event of
//! a type this version does not know is kept for the timeline (masked generically) and otherwise
//! skipped; a message that is not an event at all is counted and skipped.

use chrono::{DateTime, Utc};
use giro_domain::OrderKind;
use giro_domain::batch::BatchEvent;
use giro_domain::beneficiary::BeneficiaryEvent;
use giro_domain::charge::ChargeEvent;
use giro_domain::payout::PayoutEvent;
use giro_domain::seal::{Sealing, with_sealing};
use giro_domain::secret::{MaskStyle, mask};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

/// One event as the read models see it.
#[derive(Debug, Clone)]
pub(crate) struct Decoded {
    /// Its stream sequence.
    pub sequence: u64,
    pub kind: OrderKind,
    pub order_id: Uuid,
    pub version: u64,
    pub event_id: Uuid,
    pub event_type: String,
    pub at: DateTime<Utc>,
    /// The event's data with personal fields masked: what the timeline stores.
    pub data: Value,
    /// The typed event, or `None` for a type this version does not know.
    pub event: Option<Known>,
    /// The W3C trace context the message carried, when it carried one.
    pub trace: Option<opentelemetry::Context>,
}

/// An event of a known type.
#[derive(Debug, Clone)]
pub(crate) enum Known {
    Payout(PayoutEvent),
    Charge(ChargeEvent),
    Beneficiary(BeneficiaryEvent),
    Batch(BatchEvent),
}

/// The envelope without its typed data, borrowed from the message.
#[derive(Deserialize)]
struct RawEnvelope<'a> {
    id: Uuid,
    #[serde(rename = "type")]
    event_type: String,
    order_id: Uuid,
    version: u64,
    at: DateTime<Utc>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// Why a message was skipped without a trace in the read models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Skip {
    /// Not under `<prefix>.evt.<payout|charge|beneficiary>.`: not an order event.
    NotOurs,
    /// Not an event envelope (the reason is logged).
    Unreadable(String),
}

/// The order kind of an event subject `<prefix>.evt.<kind>.<id>`.
fn kind_of(subject: &str, prefix: &str) -> Option<OrderKind> {
    let rest = subject.strip_prefix(prefix)?.strip_prefix(".evt.")?;
    let (kind, _id) = rest.split_once('.')?;
    match kind {
        "payout" => Some(OrderKind::Payout),
        "charge" => Some(OrderKind::Charge),
        "beneficiary" => Some(OrderKind::Beneficiary),
        "payout_batch" => Some(OrderKind::PayoutBatch),
        _ => None,
    }
}

/// Reads one stored message.
pub(crate) fn decode(
    subject: &str,
    prefix: &str,
    sequence: u64,
    payload: &[u8],
    sealing: Option<&Sealing>,
) -> Result<Decoded, Skip> {
    let kind = kind_of(subject, prefix).ok_or(Skip::NotOurs)?;
    let raw: RawEnvelope<'_> =
        serde_json::from_slice(payload).map_err(|e| Skip::Unreadable(e.to_string()))?;
    let data = raw.data.map_or("null", RawValue::get);
    let typed_event = || match kind {
        OrderKind::Payout => typed::<PayoutEvent>(&raw.event_type, data).map(Known::Payout),
        OrderKind::Charge => typed::<ChargeEvent>(&raw.event_type, data).map(Known::Charge),
        OrderKind::Beneficiary => {
            typed::<BeneficiaryEvent>(&raw.event_type, data).map(Known::Beneficiary)
        }
        OrderKind::PayoutBatch => typed::<BatchEvent>(&raw.event_type, data).map(Known::Batch),
    };
    // Personal data opens with the order's key, or reads as erased once it is gone.
    let event = match sealing {
        Some(sealing) => with_sealing(sealing, raw.order_id, typed_event),
        None => typed_event(),
    };
    let masked = match &event {
        Some(Known::Payout(e)) => e.masked_data(),
        Some(Known::Charge(e)) => e.masked_data(),
        Some(Known::Beneficiary(e)) => e.masked_data(),
        // A batch holds no personal data: its items' details are in their payouts.
        Some(Known::Batch(_)) => {
            mask_unknown(serde_json::from_str(data).unwrap_or(Value::Null), false)
        }
        None => mask_unknown(serde_json::from_str(data).unwrap_or(Value::Null), false),
    };
    Ok(Decoded {
        sequence,
        kind,
        order_id: raw.order_id,
        version: raw.version,
        event_id: raw.id,
        event_type: raw.event_type,
        at: raw.at,
        data: masked,
        event,
        trace: None,
    })
}

/// The typed event, if the type is known and its data reads as that type. The adjacently tagged
/// enums read `{"type", "data"}` in one pass when the tag comes first.
fn typed<E: DeserializeOwned>(event_type: &str, data: &str) -> Option<E> {
    let tag = serde_json::to_string(event_type).ok()?;
    let text = format!("{{\"type\":{tag},\"data\":{data}}}");
    match serde_json::from_str(&text) {
        Ok(e) => Some(e),
        Err(e) => {
            tracing::debug!(event_type, error = %e, "event type unknown or its data unreadable");
            None
        }
    }
}

/// Key fragments that mark personal data in an event this version does not know.
const SENSITIVE_KEYS: [&str; 14] = [
    "name", "email", "phone", "msisdn", "number", "document", "tax", "alias", "clabe", "card",
    "cvv", "account", "iban", "address",
];

/// Masks every string under a key that looks personal (and everything below such a key), so an
/// unknown event type never puts a full account, document or phone number into a timeline.
pub(crate) fn mask_unknown(value: Value, sensitive: bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = k.to_ascii_lowercase();
                    let hide = sensitive || SENSITIVE_KEYS.iter().any(|s| key.contains(s));
                    (k, mask_unknown(v, hide))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| mask_unknown(v, sensitive))
                .collect(),
        ),
        Value::String(s) if sensitive => Value::String(mask(&s, MaskStyle::LastFour)),
        Value::Number(n) if sensitive => Value::String(mask(&n.to_string(), MaskStyle::LastFour)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(event_type: &str, data: Value) -> Vec<u8> {
        json!({"id": Uuid::nil(), "type": event_type, "order_id": Uuid::nil(), "version": 2,
               "at": "2026-01-02T03:04:05Z", "data": data, "meta": {"correlation_id": "c"}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn known_events_are_typed_and_subjects_name_the_kind() {
        let d = decode(
            "giro.evt.payout.x",
            "giro",
            7,
            &body("payout.held", json!({"reason": "funds"})),
            None,
        )
        .unwrap();
        assert!(matches!(d.event, Some(Known::Payout(PayoutEvent::Held(_)))));
        assert_eq!((d.sequence, d.version, d.kind), (7, 2, OrderKind::Payout));
        assert_eq!(d.data, json!({"reason": "funds"}));
        let not_ours = decode("giro.cmd.payout.create", "giro", 1, b"{}", None).unwrap_err();
        assert_eq!(not_ours, Skip::NotOurs);
        assert!(matches!(
            decode("giro.evt.charge.x", "giro", 1, b"not json", None),
            Err(Skip::Unreadable(_))
        ));
    }

    #[test]
    fn unknown_types_are_kept_with_personal_fields_masked() {
        let data = json!({"status": "PAID", "payer": {"tax_id": "12345678909", "city": "Rio"},
                          "card_number": 4024007153763191u64, "phone_e164": "+5511999999999"});
        let d = decode(
            "giro.evt.charge.x",
            "giro",
            3,
            &body("charge.paid", data),
            None,
        )
        .unwrap();
        assert!(d.event.is_none());
        assert_eq!(d.event_type, "charge.paid");
        let text = d.data.to_string();
        for raw in ["12345678909", "4024007153763191", "5511999999999"] {
            assert!(!text.contains(raw), "{raw} leaked: {text}");
        }
        assert_eq!(d.data["status"], "PAID");
        assert_eq!(d.data["payer"]["tax_id"], "****8909");
    }
}
