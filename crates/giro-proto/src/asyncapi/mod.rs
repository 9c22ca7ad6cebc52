//! The AsyncAPI 3.0 document of docs/CONTRACT.md §1 and §2, built section by section: the intake's
//! request/reply endpoints, the per-order event subjects and the dead-letter subjects. What the
//! sections say is in `tables`; this module only shapes it into channels, operations and
//! messages.

mod audit;
mod tables;

use giro_domain::ErrorCode;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::{GENERATED_NOTE, SchemaFile, event_types};
use tables::{
    DEAD_LETTERS, DeadLetters, ENDPOINTS, EVENT_CHANNELS, Endpoint, EventChannel,
    SCHEDULE_CHANNELS, ScheduleChannel, command_headers, event_headers, notification_headers,
    reply_headers, schedule_payload,
};

/// The three maps of the document that every section adds to, in the order it adds.
#[derive(Default)]
struct Sections {
    channels: Map<String, Value>,
    operations: Map<String, Value>,
    messages: Map<String, Value>,
}

/// A reference to the schema file at `path` (relative to `proto/`).
fn schema_ref(path: &str) -> Value {
    json!({"$ref": format!("./{path}")})
}

/// Every error code a reply may carry, as the generated schema of [`ErrorCode`] names them.
fn error_codes() -> Vec<String> {
    let generator = SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<ErrorCode>().to_value();
    let mut codes = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if (k == "enum" || k == "const") && !matches!(v, Value::Object(_)) {
                        match v {
                            Value::Array(a) => {
                                out.extend(a.iter().filter_map(|s| s.as_str().map(String::from)))
                            }
                            Value::String(s) => out.push(s.clone()),
                            _ => {}
                        }
                    } else {
                        walk(v, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(&schema, &mut codes);
    codes
}

/// The AsyncAPI 3.0 document of docs/CONTRACT.md §1 and §2.
pub fn asyncapi(schemas: &[SchemaFile]) -> Value {
    let schema_of = |path: &str| {
        schemas
            .iter()
            .find(|s| s.path == path)
            .map(|s| s.schema.clone())
            .unwrap_or(Value::Null)
    };
    let mut sections = Sections::default();
    let (command_headers, reply_headers) = (command_headers(), reply_headers());
    for endpoint in ENDPOINTS {
        sections.add_endpoint(endpoint, &command_headers, &reply_headers);
    }
    let event_headers = event_headers();
    for channel in EVENT_CHANNELS {
        let types = event_types(&schema_of(channel.schema));
        sections.add_event_channel(channel, &types, &event_headers);
    }
    sections.add_notifications();
    for dead_letters in DEAD_LETTERS {
        sections.add_dead_letters(dead_letters);
    }
    for schedules in SCHEDULE_CHANNELS {
        sections.add_schedule_channel(schedules);
    }
    sections.add_audit();
    document(sections)
}

/// The document around its sections: the AsyncAPI version and the contract's description.
fn document(sections: Sections) -> Value {
    let Sections {
        channels,
        operations,
        messages,
    } = sections;
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Giro",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "Giro's NATS contract (docs/CONTRACT.md §1, §2): commands by request/reply to the giro-intake micro service, order events in JetStream, notifications of status changes, dead letters. The subject prefix `giro` is configurable. Error codes: {}. {}",
                error_codes().join(", "),
                GENERATED_NOTE
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    })
}

impl Sections {
    /// One request/reply endpoint of `giro-intake`: its request and reply messages, their
    /// channels, and the operation that receives the one and answers with the other.
    fn add_endpoint(&mut self, e: &Endpoint, command_headers: &Value, reply_headers: &Value) {
        let Sections {
            channels,
            operations,
            messages,
        } = self;
        let request_msg = e.id.to_string();
        let reply_msg = format!("{}Reply", e.id);
        messages.insert(
            request_msg.clone(),
            json!({
                "name": e.subject,
                "title": e.subject,
                "summary": e.summary,
                "contentType": "application/json",
                "headers": command_headers,
                "payload": schema_ref(e.request),
            }),
        );
        messages.insert(
            reply_msg.clone(),
            json!({
                "name": format!("{}.reply", e.subject),
                "title": format!("Reply to {}", e.subject),
                "summary": "Sent only after the resulting event is durably stored in JetStream.",
                "contentType": "application/json",
                "headers": reply_headers,
                "payload": schema_ref(e.reply),
            }),
        );
        channels.insert(
            e.id.to_string(),
            json!({
                "address": e.subject,
                "description": format!("{} Request/reply to the giro-intake NATS micro service (queue group giro-intake).", e.summary),
                "messages": {request_msg.clone(): {"$ref": format!("#/components/messages/{request_msg}")}},
            }),
        );
        channels.insert(
            reply_msg.clone(),
            json!({
                "address": null,
                "description": format!("The reply subject (inbox) of a {} request.", e.subject),
                "messages": {reply_msg.clone(): {"$ref": format!("#/components/messages/{reply_msg}")}},
            }),
        );
        operations.insert(
            e.id.to_string(),
            json!({
                "action": "receive",
                "channel": {"$ref": format!("#/channels/{}", e.id)},
                "summary": e.summary,
                "messages": [{"$ref": format!("#/channels/{}/messages/{request_msg}", e.id)}],
                "bindings": {"nats": {"queue": "giro-intake"}},
                "reply": {
                    "channel": {"$ref": format!("#/channels/{reply_msg}")},
                    "messages": [{"$ref": format!("#/channels/{reply_msg}/messages/{reply_msg}")}],
                },
            }),
        );
    }

    /// One per-order event subject: its message (naming the event `types`), its channel, and
    /// the operations that publish and execute its events.
    fn add_event_channel(&mut self, ev: &EventChannel, types: &[String], event_headers: &Value) {
        let Sections {
            channels,
            operations,
            messages,
        } = self;
        let id = format!("{}Events", ev.kind);
        let msg = format!("{}Event", ev.kind);
        messages.insert(
            msg.clone(),
            json!({
                "name": format!("{}.*", ev.kind),
                "title": format!("{} event", ev.kind),
                "summary": format!("One event of one {}; `type` is one of: {}.", ev.kind, types.join(", ")),
                "contentType": "application/json",
                "headers": event_headers,
                "payload": schema_ref(ev.schema),
            }),
        );
        channels.insert(
            id.clone(),
            json!({
                "address": format!("giro.evt.{}.{{{}}}", ev.kind, ev.param),
                "description": format!("Every event of one {} on its own subject, in stream GIRO_EVENTS (file storage, subjects giro.evt.>). `version` counts the {}'s events from 1. Read by giro-projection (an ordered consumer on giro.evt.>). {}", ev.kind, ev.kind, ev.executor),
                "parameters": {ev.param: {"description": format!("The {}'s id (a UUID).", ev.kind)}},
                "messages": {msg.clone(): {"$ref": format!("#/components/messages/{msg}")}},
            }),
        );
        let kind = format!("{}{}", ev.kind[..1].to_uppercase(), &ev.kind[1..]);
        operations.insert(
            format!("publish{kind}Events"),
            json!({
                "action": "send",
                "channel": {"$ref": format!("#/channels/{id}")},
                "summary": "Appended by the component that decides them (giro-intake, giro-executor, giro-ingress), with Nats-Expected-Last-Subject-Sequence and Nats-Msg-Id.",
                "messages": [{"$ref": format!("#/channels/{id}/messages/{msg}")}],
            }),
        );
        operations.insert(
            format!("execute{kind}Events"),
            json!({
                "action": "receive",
                "channel": {"$ref": format!("#/channels/{id}")},
                "summary": ev.executor,
                "messages": [{"$ref": format!("#/channels/{id}/messages/{msg}")}],
            }),
        );
    }

    /// One subject family of the schedules stream: its message, channel and sending operation.
    fn add_schedule_channel(&mut self, c: &ScheduleChannel) {
        let Sections {
            channels,
            operations,
            messages,
        } = self;
        messages.insert(
            c.message.into(),
            json!({
                "name": c.message,
                "title": c.title,
                "summary": c.summary,
                "headers": (c.headers)(),
                "payload": schedule_payload(),
            }),
        );
        channels.insert(
            c.channel.into(),
            json!({
                "address": c.address,
                "description": c.description,
                "parameters": {"order_id": {"description": "The payout's order id."}},
                "messages": {c.message: {"$ref": format!("#/components/messages/{}", c.message)}},
            }),
        );
        operations.insert(
            c.operation.into(),
            json!({
                "action": "send",
                "channel": {"$ref": format!("#/channels/{}", c.channel)},
                "summary": c.summary,
                "messages": [{"$ref": format!("#/channels/{}/messages/{}", c.channel, c.message)}],
            }),
        );
    }

    /// The notification subjects: one versioned message per status change of a payout or charge.
    fn add_notifications(&mut self) {
        let summary = "One status change of one payout or charge (version 1): ids, statuses before and after, amount and currency, provider, failure code; no personal data. Also the body of every webhook.";
        self.messages.insert(
            "notification".into(),
            json!({
                "name": "notification.v1",
                "title": "Notification (version 1)",
                "summary": summary,
                "contentType": "application/json",
                "headers": notification_headers(),
                "payload": schema_ref("schemas/notifications/notification.v1.json"),
            }),
        );
        self.channels.insert(
            "notifications".into(),
            json!({
                "address": "giro.notify.v1.{kind}.{status}",
                "description": "Every status change of every payout and charge, in the order of the order's events, kept in stream GIRO_EVENTS_NOTIFY (subjects giro.notify.>). Published by giro-notify (durable consumer giro-notify on the events) with Nats-Msg-Id the notification's id. Subscribe to giro.notify.v1.> (or e.g. giro.notify.v1.payout.succeeded), or read the stream with a consumer of your own.",
                "parameters": {
                    "kind": {"description": "payout or charge.", "enum": ["payout", "charge"]},
                    "status": {"description": "The order's status after the change (docs/CONTRACT.md §2, canonical statuses)."},
                },
                "messages": {"notification": {"$ref": "#/components/messages/notification"}},
            }),
        );
        self.operations.insert(
            "publishNotifications".into(),
            json!({
                "action": "send",
                "channel": {"$ref": "#/channels/notifications"},
                "summary": summary,
                "messages": [{"$ref": "#/channels/notifications/messages/notification"}],
            }),
        );
    }

    /// One dead-letter subject family: its message, its channel and the operation that sends
    /// to it.
    fn add_dead_letters(&mut self, dl: &DeadLetters) {
        let Sections {
            channels,
            operations,
            messages,
        } = self;
        messages.insert(
            dl.message.into(),
            json!({
                "name": format!("dlq.{}", dl.component),
                "title": dl.title,
                "summary": dl.summary,
                "contentType": "application/octet-stream",
                "headers": (dl.headers)(),
                "payload": {"description": dl.payload},
            }),
        );
        channels.insert(
            dl.channel.into(),
            json!({
                "address": format!("giro.dlq.{}.{{{}}}", dl.component, dl.param),
                "description": dl.channel_description,
                "parameters": {dl.param: {"description": dl.provider}},
                "messages": {dl.message: {"$ref": format!("#/components/messages/{}", dl.message)}},
            }),
        );
        operations.insert(
            dl.operation.into(),
            json!({
                "action": "send",
                "channel": {"$ref": format!("#/channels/{}", dl.channel)},
                "summary": dl.summary,
                "messages": [{"$ref": format!("#/channels/{}/messages/{}", dl.channel, dl.message)}],
            }),
        );
    }
}
