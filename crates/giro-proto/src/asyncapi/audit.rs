//! The audit subjects (`giro.audit.{target}.{verb}`): one record per operator action (`giro.cmd.ops.>`), allowed or refused,
//! written by giro-intake into stream GIRO_EVENTS_AUDIT and projected into `giro.audit`.

use serde_json::{Value, json};

use super::Sections;

/// The record's fields, as giro-eventlog's `AuditRecord` writes them.
fn payload() -> Value {
    json!({
        "type": "object",
        "required": ["at", "action", "outcome"],
        "additionalProperties": false,
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "action": {"type": "string", "enum": ["payout.resolve", "payout.retry", "payout.release", "payout.cancel", "payout.note", "dead_letter.replay"]},
            "operator": {"type": "string", "description": "The verified token's sub; absent when no token verified."},
            "order_id": {"type": "string", "description": "The order the request named (as given, even when refused)."},
            "outcome": {"type": "string", "enum": ["allowed", "refused"]},
            "code": {"type": "string", "description": "The refusal's error code (unauthorized, forbidden, invalid_state, …)."},
            "reason": {"type": "string", "description": "The operator's reason (allowed) or the refusal's message (refused)."},
            "events": {"type": "array", "items": {"type": "string"}, "description": "The event types the action appended."},
        },
    })
}

impl Sections {
    /// `giro.audit.{action}`: its message, channel and sending operation.
    pub(super) fn add_audit(&mut self) {
        let summary = "One operator action (giro.cmd.ops.>), allowed or refused: who (the token's sub), when, what, on which order, the outcome and why.";
        self.messages.insert(
            "auditRecord".into(),
            json!({
                "name": "auditRecord",
                "title": "Operator action audited",
                "summary": summary,
                "contentType": "application/json",
                "payload": payload(),
            }),
        );
        self.channels.insert(
            "audit".into(),
            json!({
                "address": "giro.audit.{target}.{verb}",
                "description": "The audit trail of operator actions, in stream GIRO_EVENTS_AUDIT (subjects giro.audit.>), written by giro-intake and projected into giro.audit (GET /api/audit).",
                "parameters": {
                    "target": {"description": "What the action is on: payout or dead_letter."},
                    "verb": {"description": "The action on it: resolve, retry, release, cancel, note (payout) or replay (dead_letter)."},
                },
                "messages": {"auditRecord": {"$ref": "#/components/messages/auditRecord"}},
            }),
        );
        self.operations.insert(
            "auditOperatorAction".into(),
            json!({
                "action": "send",
                "channel": {"$ref": "#/channels/audit"},
                "summary": summary,
                "messages": [{"$ref": "#/channels/audit/messages/auditRecord"}],
            }),
        );
    }
}
