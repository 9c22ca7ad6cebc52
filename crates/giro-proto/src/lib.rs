//! Giro's machine-readable contract, `proto/` (CONTRACT.md): a JSON Schema (draft-07) for every
//! command, reply and event, generated from the Rust types with schemars, and the AsyncAPI 3.0
//! document of the NATS subjects, referencing those schemas.
//!
//! `cargo run -p giro-proto -- write` regenerates `proto/`; `cargo run -p giro-proto -- check`
//! (and this crate's tests) fail when the checked-in files differ from what the code generates.
//! The examples in `proto/examples/` are written by hand and validated by the tests.

pub mod contract;
mod yaml;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use giro_domain::beneficiary::BeneficiaryEvent;
use giro_domain::charge::ChargeEvent;
use giro_domain::payout::PayoutEvent;
use giro_domain::{Envelope, ErrorCode};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use contract::{
    BeneficiaryRegister, BeneficiaryReply, ChargeCreate, ChargeRefund, ChargeReply, OrderGetReply,
    OrderRef, PayoutCreate, PayoutReply,
};

/// The command that rewrites the generated files.
pub const REGENERATE: &str = "cargo run -p giro-proto -- write";

/// Generated files carry this, so nobody edits them by hand.
const GENERATED_NOTE: &str = "Generated from the Rust types by `cargo run -p giro-proto -- write`; do not edit. See proto/README.md.";

/// The stored form of every event (CONTRACT.md §2).
const EVENT_DESCRIPTION: &str = "One stored event of one order: {id, type, order_id, version, at, data, meta}. `type` names the event and `data` is its body; `version` counts the order's events from 1; `meta` carries the correlation and causation ids. Personal data needed for the provider call is kept as is; every view for people masks it.";

/// The `proto/` directory of the workspace.
pub fn proto_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto")
}

/// One message schema: where it is written (relative to `proto/`) and what it describes.
pub struct SchemaFile {
    pub path: &'static str,
    pub title: &'static str,
    pub schema: Value,
}

fn schema_for<T: JsonSchema>(path: &'static str, title: &'static str) -> SchemaFile {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("title".into(), Value::String(title.into()));
        obj.insert("$comment".into(), Value::String(GENERATED_NOTE.into()));
        if path.starts_with("schemas/events/") {
            obj.insert(
                "description".into(),
                Value::String(EVENT_DESCRIPTION.into()),
            );
        }
    }
    SchemaFile {
        path,
        title,
        schema,
    }
}

/// Every message schema of the contract.
pub fn schemas() -> Vec<SchemaFile> {
    vec![
        schema_for::<PayoutCreate>(
            "schemas/commands/payout.create.json",
            "giro.cmd.payout.create",
        ),
        schema_for::<OrderRef>(
            "schemas/commands/payout.cancel.json",
            "giro.cmd.payout.cancel",
        ),
        schema_for::<ChargeCreate>(
            "schemas/commands/charge.create.json",
            "giro.cmd.charge.create",
        ),
        schema_for::<OrderRef>(
            "schemas/commands/charge.cancel.json",
            "giro.cmd.charge.cancel",
        ),
        schema_for::<ChargeRefund>(
            "schemas/commands/charge.refund.json",
            "giro.cmd.charge.refund",
        ),
        schema_for::<BeneficiaryRegister>(
            "schemas/commands/beneficiary.register.json",
            "giro.cmd.beneficiary.register",
        ),
        schema_for::<OrderRef>("schemas/queries/order.get.json", "giro.query.order.get"),
        schema_for::<PayoutReply>(
            "schemas/replies/payout.create.json",
            "Reply to giro.cmd.payout.create",
        ),
        schema_for::<PayoutReply>(
            "schemas/replies/payout.cancel.json",
            "Reply to giro.cmd.payout.cancel",
        ),
        schema_for::<ChargeReply>(
            "schemas/replies/charge.create.json",
            "Reply to giro.cmd.charge.create",
        ),
        schema_for::<ChargeReply>(
            "schemas/replies/charge.cancel.json",
            "Reply to giro.cmd.charge.cancel",
        ),
        schema_for::<ChargeReply>(
            "schemas/replies/charge.refund.json",
            "Reply to giro.cmd.charge.refund",
        ),
        schema_for::<BeneficiaryReply>(
            "schemas/replies/beneficiary.register.json",
            "Reply to giro.cmd.beneficiary.register",
        ),
        schema_for::<OrderGetReply>(
            "schemas/replies/order.get.json",
            "Reply to giro.query.order.get",
        ),
        schema_for::<Envelope<PayoutEvent>>(
            "schemas/events/payout.json",
            "Payout event (giro.evt.payout.{order_id})",
        ),
        schema_for::<Envelope<ChargeEvent>>(
            "schemas/events/charge.json",
            "Charge event (giro.evt.charge.{order_id})",
        ),
        schema_for::<Envelope<BeneficiaryEvent>>(
            "schemas/events/beneficiary.json",
            "Beneficiary event (giro.evt.beneficiary.{beneficiary_id})",
        ),
    ]
}

/// A JSON value with object keys sorted at every depth, whatever serde_json's map order.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let entries: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&sorted(v)).unwrap_or_default();
    s.push('\n');
    s
}

/// One request/reply endpoint of `giro-intake`.
struct Endpoint {
    id: &'static str,
    subject: &'static str,
    summary: &'static str,
    request: &'static str,
    reply: &'static str,
}

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        id: "payoutCreate",
        subject: "giro.cmd.payout.create",
        summary: "Accept a payout order.",
        request: "schemas/commands/payout.create.json",
        reply: "schemas/replies/payout.create.json",
    },
    Endpoint {
        id: "payoutCancel",
        subject: "giro.cmd.payout.cancel",
        summary: "Cancel a payout that has not yet been handed to a provider.",
        request: "schemas/commands/payout.cancel.json",
        reply: "schemas/replies/payout.cancel.json",
    },
    Endpoint {
        id: "chargeCreate",
        subject: "giro.cmd.charge.create",
        summary: "Accept a charge (pay-in) order. Raw card data is refused with card_data_not_accepted.",
        request: "schemas/commands/charge.create.json",
        reply: "schemas/replies/charge.create.json",
    },
    Endpoint {
        id: "chargeCancel",
        subject: "giro.cmd.charge.cancel",
        summary: "Cancel a charge: at once while no provider has it, else asked of the provider.",
        request: "schemas/commands/charge.cancel.json",
        reply: "schemas/replies/charge.cancel.json",
    },
    Endpoint {
        id: "chargeRefund",
        subject: "giro.cmd.charge.refund",
        summary: "Refund a paid charge, wholly or in part (at most what is still refundable).",
        request: "schemas/commands/charge.refund.json",
        reply: "schemas/replies/charge.refund.json",
    },
    Endpoint {
        id: "beneficiaryRegister",
        subject: "giro.cmd.beneficiary.register",
        summary: "Validate and register a beneficiary account (KillB) for later payouts.",
        request: "schemas/commands/beneficiary.register.json",
        reply: "schemas/replies/beneficiary.register.json",
    },
    Endpoint {
        id: "orderGet",
        subject: "giro.query.order.get",
        summary: "An order's state rebuilt from its events (not from a projection) and its history.",
        request: "schemas/queries/order.get.json",
        reply: "schemas/replies/order.get.json",
    },
];

/// One per-order event subject.
struct EventChannel {
    kind: &'static str,
    param: &'static str,
    schema: &'static str,
    /// Who reads the events to act on them (besides giro-projection, which reads them all).
    executor: &'static str,
    types: Vec<String>,
}

/// One dead-letter subject family, `giro.dlq.<component>.<provider>`.
struct DeadLetters {
    /// The component that publishes them (the subject's third token).
    component: &'static str,
    /// The channel, message and operation ids.
    channel: &'static str,
    message: &'static str,
    operation: &'static str,
    title: &'static str,
    summary: &'static str,
    channel_description: &'static str,
    provider: &'static str,
    headers: fn() -> Value,
    payload: &'static str,
}

/// Headers of a dead-lettered provider callback (`giro-ingress`).
fn ingress_dead_letter_headers() -> Value {
    json!({
        "type": "object",
        "required": ["Giro-Dead-Letter-Reason"],
        "properties": {
            "Giro-Dead-Letter-Reason": {"type": "string", "description": "Why the callback was set aside (e.g. no order with that reference, or its order refused it)."},
        },
    })
}

/// Headers of a dead-lettered event (`giro-executor`): the original event's own headers, plus why
/// and where from.
fn executor_dead_letter_headers() -> Value {
    json!({
        "type": "object",
        "description": "The event's original headers (Giro-Event-Type, Nats-Msg-Id, Giro-Provider, traceparent, … as it was stored) are kept, with these added.",
        "required": ["Giro-Dead-Letter-Reason", "Giro-Original-Subject"],
        "properties": {
            "Giro-Dead-Letter-Reason": {"type": "string", "description": "Why the executor could not handle the event (e.g. no JetStream metadata, the subject does not end in an order id, the order's log is unreadable)."},
            "Giro-Original-Subject": {"type": "string", "description": "The subject the event was stored on, giro.evt.<kind>.<order_id>."},
            "Giro-Original-Sequence": {"type": "string", "description": "The event's sequence in stream GIRO_EVENTS, when the delivery carried it."},
        },
    })
}

/// Every dead-letter subject the components publish to, all kept by stream GIRO_EVENTS_DLQ
/// (subjects `giro.dlq.>`).
const DEAD_LETTERS: &[DeadLetters] = &[
    DeadLetters {
        component: "ingress",
        channel: "ingressDeadLetters",
        message: "ingressDeadLetter",
        operation: "deadLetterCallback",
        title: "Dead-lettered provider callback",
        summary: "A provider callback for an order Giro does not know (or that its order refused), kept as received.",
        channel_description: "Callbacks the webhook ingress (giro-ingress) could not apply, in stream GIRO_EVENTS_DLQ (subjects giro.dlq.>); answered 200 to the provider, so it does not retry them.",
        provider: "The provider instance whose callback it is (killb, cashy-co, cashy-tz, a55).",
        headers: ingress_dead_letter_headers,
        payload: "The provider's callback body, byte for byte (the provider's own format).",
    },
    DeadLetters {
        component: "executor",
        channel: "executorDeadLetters",
        message: "executorDeadLetter",
        operation: "deadLetterEvent",
        title: "Dead-lettered event",
        summary: "An event an executor could not handle, copied here with the reason and then terminated on its consumer, so the consumer keeps going. If the copy is not stored the event is redelivered instead: nothing is dropped silently.",
        channel_description: "Events an executor instance (durable consumer giro-executor-<provider>) could not handle, in stream GIRO_EVENTS_DLQ (subjects giro.dlq.>). The event itself stays in GIRO_EVENTS; the executor's consumer no longer delivers it.",
        provider: "The executor's provider instance: a payout provider (killb, cashy-co, cashy-tz), the charge provider (a55), or killb-accounts (beneficiary accounts).",
        headers: executor_dead_letter_headers,
        payload: "The event as it was delivered from giro.evt.<kind>.<order_id>, byte for byte: normally an event envelope (schemas/events/<kind>.json), but possibly unreadable, which may be why it is here.",
    },
];

/// The event types a tagged event enum's schema names (`type` consts), sorted.
pub fn event_types(schema: &Value) -> Vec<String> {
    let mut types = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Object(t)) = map.get("properties").and_then(|p| p.get("type"))
                    && let Some(Value::String(c)) = t.get("const").or_else(|| {
                        t.get("enum")
                            .and_then(|e| e.as_array())
                            .filter(|e| e.len() == 1)
                            .and_then(|e| e.first())
                    })
                {
                    out.push(c.clone());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(schema, &mut types);
    types.sort();
    types.dedup();
    types
}

fn schema_ref(path: &str) -> Value {
    json!({"$ref": format!("./{path}")})
}

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

/// The AsyncAPI 3.0 document of CONTRACT.md §1 and §2.
pub fn asyncapi(schemas: &[SchemaFile]) -> Value {
    let schema_of = |path: &str| {
        schemas
            .iter()
            .find(|s| s.path == path)
            .map(|s| s.schema.clone())
            .unwrap_or(Value::Null)
    };
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();

    let command_headers = json!({
        "type": "object",
        "properties": {
            "Giro-Correlation-Id": {"type": "string", "description": "Carried into the resulting events' meta.correlation_id (the order id when absent)."},
            "traceparent": {"type": "string", "description": "W3C trace context; the command's span continues it."},
            "tracestate": {"type": "string"},
        },
    });
    let reply_headers = json!({
        "type": "object",
        "description": "Present on a failed reply only (NATS service API).",
        "properties": {
            "Nats-Service-Error": {"type": "string", "description": "The error message."},
            "Nats-Service-Error-Code": {"type": "string", "enum": ["400", "404", "409", "503"], "description": "400 bad input, 404 unknown order, 409 conflict, 503 the event log is unavailable: retry."},
        },
    });
    for e in ENDPOINTS {
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

    let event_headers = json!({
        "type": "object",
        "required": ["Giro-Event-Type", "Nats-Msg-Id"],
        "properties": {
            "Giro-Event-Type": {"type": "string", "description": "The event's `type`, e.g. payout.requested."},
            "Nats-Msg-Id": {"type": "string", "format": "uuid", "description": "The event's `id`: JetStream de-duplicates a retried append."},
            "Nats-Expected-Last-Subject-Sequence": {"type": "string", "description": "Set on every append: optimistic concurrency per order subject."},
            "Giro-Provider": {"type": "string", "description": "The provider instance the order's events are for (payouts and charges: the order's provider; beneficiaries: killb-accounts). Each executor skips other providers' events without decoding them."},
            "traceparent": {"type": "string", "description": "W3C trace context of the span that appended the event."},
            "tracestate": {"type": "string"},
        },
    });
    let events = [
        EventChannel {
            kind: "payout",
            executor: "Each payout executor instance, durable consumer giro-executor-<provider> (killb, cashy-co, cashy-tz) on giro.evt.payout.>, acts on the payout events whose Giro-Provider header names its provider: submits, polls, retries.",
            param: "order_id",
            schema: "schemas/events/payout.json",
            types: Vec::new(),
        },
        EventChannel {
            kind: "charge",
            executor: "The charge executor, durable consumer giro-executor-<provider> (a55) on giro.evt.charge.>, acts on the charge events whose Giro-Provider header names its provider: creates the charge, cancels and refunds it at the provider.",
            param: "order_id",
            schema: "schemas/events/charge.json",
            types: Vec::new(),
        },
        EventChannel {
            kind: "beneficiary",
            executor: "The beneficiary-account executor killb-accounts, durable consumer giro-executor-killb-accounts on giro.evt.beneficiary.>, receives the beneficiary events: registers each account at KillB and records the status KillB reports.",
            param: "beneficiary_id",
            schema: "schemas/events/beneficiary.json",
            types: Vec::new(),
        },
    ];
    for mut ev in events {
        ev.types = event_types(&schema_of(ev.schema));
        let id = format!("{}Events", ev.kind);
        let msg = format!("{}Event", ev.kind);
        messages.insert(
            msg.clone(),
            json!({
                "name": format!("{}.*", ev.kind),
                "title": format!("{} event", ev.kind),
                "summary": format!("One event of one {}; `type` is one of: {}.", ev.kind, ev.types.join(", ")),
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

    for dl in DEAD_LETTERS {
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
                "address": format!("giro.dlq.{}.{{provider}}", dl.component),
                "description": dl.channel_description,
                "parameters": {"provider": {"description": dl.provider}},
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

    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Giro",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "Giro's NATS contract (CONTRACT.md §1, §2): commands by request/reply to the giro-intake micro service, order events in JetStream, dead letters. The subject prefix `giro` is configurable. Error codes: {}. {}",
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

/// Every generated file: path relative to `proto/` → contents.
pub fn generate() -> BTreeMap<String, String> {
    let schemas = schemas();
    let mut files: BTreeMap<String, String> = schemas
        .iter()
        .map(|s| (s.path.to_string(), pretty(&s.schema)))
        .collect();
    let doc = asyncapi(&schemas);
    files.insert(
        "asyncapi.yaml".into(),
        format!("# {GENERATED_NOTE}\n{}", yaml::to_yaml(&doc)),
    );
    files
}

fn json_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            json_files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Generated files that are no longer generated (a schema renamed or removed).
fn stale(dir: &Path, files: &BTreeMap<String, String>) -> Vec<String> {
    let mut found = Vec::new();
    json_files_under(&dir.join("schemas"), &mut found);
    let mut stale: Vec<String> = found
        .iter()
        .filter_map(|p| p.strip_prefix(dir).ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .filter(|p| !files.contains_key(p))
        .collect();
    stale.sort();
    stale
}

/// Writes every generated file under `dir` and removes stale generated ones.
pub fn write(dir: &Path) -> anyhow::Result<Vec<String>> {
    let files = generate();
    let mut changed = Vec::new();
    for (rel, contents) in &files {
        let path = dir.join(rel);
        if fs::read_to_string(&path).ok().as_deref() == Some(contents.as_str()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
        changed.push(format!("wrote {rel}"));
    }
    for rel in stale(dir, &files) {
        fs::remove_file(dir.join(&rel)).with_context(|| format!("removing {rel}"))?;
        changed.push(format!("removed {rel}"));
    }
    Ok(changed)
}

/// What differs between `dir` and what the code generates; empty when in step.
pub fn check(dir: &Path) -> Vec<String> {
    let files = generate();
    let mut problems = Vec::new();
    for (rel, contents) in &files {
        match fs::read_to_string(dir.join(rel)) {
            Ok(on_disk) if on_disk == *contents => {}
            Ok(_) => problems.push(format!("proto/{rel} differs from what the code generates")),
            Err(_) => problems.push(format!("proto/{rel} is missing")),
        }
    }
    for rel in stale(dir, &files) {
        problems.push(format!("proto/{rel} is no longer generated by any type"));
    }
    problems
}
