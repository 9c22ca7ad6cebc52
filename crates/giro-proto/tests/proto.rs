//! `proto/` against the code: the generated files are what the types generate, every schema is
//! valid draft-07, the AsyncAPI document's references resolve, and every example in
//! `proto/examples/` is judged by its schema and by the code the same way (valid examples are
//! accepted by both, examples under `invalid/` refused by both).
//!
//! Examples live at `proto/examples/<dir>/<message>/<name>.json` for the schema
//! `proto/schemas/<dir>/<message>.json`; refused ones under `.../<message>/invalid/`, named
//! `<error_code>--<what>.json` for commands (the code the domain parser must answer).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use giro_domain::batch::{self, BatchEvent};
use giro_domain::beneficiary::{self, BeneficiaryEvent};
use giro_domain::charge::{self, ChargeEvent};
use giro_domain::payout::{self, PayoutEvent};
use giro_domain::provider::Catalog;
use giro_domain::{Envelope, Rejection};
use giro_proto::contract::{
    ChargeCapture, ChargeRefund, OpsBecause, OpsNote, OpsReplay, OpsResolve, OrderRef, PrivacyErase,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

struct Example {
    /// Relative to `proto/`, for messages.
    rel: String,
    /// The schema's path relative to `proto/`.
    schema: String,
    valid: bool,
    /// The file name without `.json`.
    name: String,
    value: Value,
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn examples() -> Vec<Example> {
    let proto = giro_proto::proto_dir();
    let mut paths = Vec::new();
    files_under(&proto.join("examples"), &mut paths);
    paths.sort();
    let examples: Vec<Example> = paths
        .into_iter()
        .map(|path| {
            let rel = path
                .strip_prefix(&proto)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let parts: Vec<&str> = rel.split('/').collect();
            let (valid, schema) = match parts.as_slice() {
                ["examples", dir, message, _] => (true, format!("schemas/{dir}/{message}.json")),
                ["examples", dir, message, "invalid", _] => {
                    (false, format!("schemas/{dir}/{message}.json"))
                }
                _ => panic!("{rel}: examples are examples/<dir>/<message>/[invalid/]<name>.json"),
            };
            assert!(rel.ends_with(".json"), "{rel}: examples are .json files");
            let text = fs::read_to_string(&path).unwrap();
            let value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"));
            Example {
                name: path.file_stem().unwrap().to_string_lossy().into_owned(),
                rel,
                schema,
                valid,
                value,
            }
        })
        .collect();
    assert!(
        !examples.is_empty(),
        "no examples found under proto/examples"
    );
    examples
}

#[test]
fn checked_in_files_are_what_the_code_generates() {
    let problems = giro_proto::check(&giro_proto::proto_dir());
    assert!(
        problems.is_empty(),
        "proto/ is out of date with the Rust types:\n  {}\nregenerate with `{}` and commit the result",
        problems.join("\n  "),
        giro_proto::REGENERATE
    );
}

#[test]
fn every_schema_is_valid_draft_07() {
    for s in giro_proto::schemas() {
        assert_eq!(
            s.schema["$schema"], "http://json-schema.org/draft-07/schema#",
            "{}",
            s.path
        );
        if let Err(e) = jsonschema::meta::validate(&s.schema) {
            panic!("{} is not a valid JSON Schema: {e}", s.path);
        }
        jsonschema::validator_for(&s.schema)
            .unwrap_or_else(|e| panic!("{} does not compile: {e}", s.path));
    }
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn asyncapi_references_resolve() {
    let schemas = giro_proto::schemas();
    let doc = giro_proto::asyncapi(&schemas);
    assert_eq!(doc["asyncapi"], "3.0.0");
    let generated = giro_proto::generate();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    let mut files = BTreeSet::new();
    for r in &all {
        if let Some(pointer) = r.strip_prefix('#') {
            assert!(
                doc.pointer(pointer).is_some(),
                "asyncapi: {r} does not resolve"
            );
        } else {
            let file = r.strip_prefix("./").unwrap_or(r);
            assert!(
                generated.contains_key(file),
                "asyncapi: {r} is not a generated schema"
            );
            files.insert(file.to_string());
        }
    }
    // Every schema is used by some message.
    for s in &schemas {
        assert!(
            files.contains(s.path),
            "{} is referenced by no AsyncAPI message",
            s.path
        );
    }
    for subject in [
        "giro.cmd.payout.create",
        "giro.cmd.payout.cancel",
        "giro.cmd.charge.create",
        "giro.cmd.charge.cancel",
        "giro.cmd.charge.refund",
        "giro.cmd.charge.capture",
        "giro.cmd.beneficiary.register",
        "giro.cmd.beneficiary.update",
        "giro.cmd.beneficiary.remove",
        "giro.cmd.privacy.erase",
        "giro.query.order.get",
        "giro.cmd.payout_batch.create",
        "giro.cmd.payout_batch.add_items",
        "giro.cmd.payout_batch.cancel",
        "giro.evt.payout.{order_id}",
        "giro.evt.payout_batch.{batch_id}",
        "giro.evt.charge.{order_id}",
        "giro.evt.beneficiary.{beneficiary_id}",
        "giro.dlq.ingress.{provider}",
        "giro.dlq.executor.{provider}",
    ] {
        let found = doc["channels"]
            .as_object()
            .unwrap()
            .values()
            .any(|c| c["address"] == subject);
        assert!(found, "asyncapi has no channel for {subject}");
    }
}

#[test]
fn examples_are_judged_by_their_schemas() {
    let schemas = giro_proto::schemas();
    let mut with_valid_example = BTreeSet::new();
    for ex in examples() {
        let schema = schemas
            .iter()
            .find(|s| s.path == ex.schema)
            .unwrap_or_else(|| panic!("{}: no schema {}", ex.rel, ex.schema));
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema.schema)
            .unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&ex.value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if ex.valid {
            assert!(
                errors.is_empty(),
                "{} should be valid against {}:\n  {}",
                ex.rel,
                ex.schema,
                errors.join("\n  ")
            );
            with_valid_example.insert(ex.schema.clone());
        } else {
            assert!(
                !errors.is_empty(),
                "{} should be refused by {}",
                ex.rel,
                ex.schema
            );
        }
    }
    for s in &schemas {
        assert!(
            with_valid_example.contains(s.path),
            "{} has no valid example under proto/examples/",
            s.path
        );
    }
}

/// What the code answers to a command body.
fn parse_command(message: &str, body: &Value) -> Result<(), Rejection> {
    let bytes = body.to_string().into_bytes();
    let catalog = Catalog::default();
    match message {
        "payout.create" => {
            let draft = payout::parse_create(&bytes)?;
            if matches!(draft.beneficiary, payout::BeneficiarySource::Inline(_)) {
                draft.into_command(&catalog, None)?;
            }
            Ok(())
        }
        "charge.create" => charge::parse_create(&bytes, &catalog).map(drop),
        "beneficiary.register" => beneficiary::parse_register(&bytes).map(drop),
        "beneficiary.update" => beneficiary::parse_update(&bytes).map(drop),
        "beneficiary.remove" => beneficiary::parse_remove(&bytes).map(drop),
        "payout_batch.create" => batch::parse_create(&bytes)
            .and_then(|d| d.check())
            .map_err(|r| r.rejection),
        "payout_batch.add_items" => batch::parse_add_items(&bytes)
            .and_then(|d| d.check())
            .map_err(|r| r.rejection),
        "payout_batch.cancel" => batch::parse_cancel(&bytes).map(drop),
        other => panic!("no parser for {other}"),
    }
}

#[test]
fn command_examples_agree_with_the_parsers() {
    let mut seen = 0;
    for ex in examples() {
        let message = ex
            .schema
            .trim_start_matches("schemas/")
            .trim_end_matches(".json");
        let Some(message) = message.strip_prefix("commands/") else {
            continue;
        };
        if message == "payout.cancel" || message == "charge.cancel" {
            // Parsed by giro-intake's private `parse_order_ref`: the contract type stands in.
            let parsed = serde_json::from_value::<OrderRef>(ex.value.clone());
            assert_eq!(parsed.is_ok(), ex.valid, "{}: {parsed:?}", ex.rel);
            continue;
        }
        if message == "privacy.erase" {
            // Parsed by giro-intake's private `privacy::parse`: the contract type stands in.
            let parsed = serde_json::from_value::<PrivacyErase>(ex.value.clone());
            assert_eq!(parsed.is_ok(), ex.valid, "{}: {parsed:?}", ex.rel);
            continue;
        }
        if let Some(action) = message.strip_prefix("ops.") {
            // Parsed by giro-intake's private `handlers::ops`: the contract types stand in.
            let parsed = match action {
                "payout.resolve" => {
                    serde_json::from_value::<OpsResolve>(ex.value.clone()).map(drop)
                }
                "payout.note" => serde_json::from_value::<OpsNote>(ex.value.clone()).map(drop),
                "dead_letter.replay" => {
                    serde_json::from_value::<OpsReplay>(ex.value.clone()).map(drop)
                }
                _ => serde_json::from_value::<OpsBecause>(ex.value.clone()).map(drop),
            };
            assert_eq!(parsed.is_ok(), ex.valid, "{}: {parsed:?}", ex.rel);
            continue;
        }
        if message == "charge.refund" {
            let parsed = serde_json::from_value::<ChargeRefund>(ex.value.clone());
            assert_eq!(parsed.is_ok(), ex.valid, "{}: {parsed:?}", ex.rel);
            continue;
        }
        if message == "charge.capture" {
            let parsed = serde_json::from_value::<ChargeCapture>(ex.value.clone());
            assert_eq!(parsed.is_ok(), ex.valid, "{}: {parsed:?}", ex.rel);
            continue;
        }
        seen += 1;
        let result = parse_command(message, &ex.value);
        if ex.valid {
            if let Err(r) = result {
                panic!("{} is refused by the code: {r}", ex.rel);
            }
        } else {
            let expected = ex.name.split("--").next().unwrap();
            match result {
                Ok(()) => panic!("{} is accepted by the code", ex.rel),
                Err(r) => assert_eq!(
                    r.code.as_str(),
                    expected,
                    "{}: the code answers {r}",
                    ex.rel
                ),
            }
        }
    }
    assert!(seen > 0);
}

fn round_trip<T: DeserializeOwned + Serialize>(ex: &Example) -> Result<(), String> {
    let typed: T = serde_json::from_value(ex.value.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    if back != ex.value {
        return Err(format!(
            "serializes differently:\n  example: {}\n  code:    {back}",
            ex.value
        ));
    }
    Ok(())
}

#[test]
fn event_examples_round_trip_through_the_event_types() {
    let mut seen = 0;
    for ex in examples() {
        let result = match ex.schema.as_str() {
            "schemas/events/payout.json" => round_trip::<Envelope<PayoutEvent>>(&ex),
            "schemas/events/charge.json" => round_trip::<Envelope<ChargeEvent>>(&ex),
            "schemas/events/beneficiary.json" => round_trip::<Envelope<BeneficiaryEvent>>(&ex),
            "schemas/events/payout_batch.json" => round_trip::<Envelope<BatchEvent>>(&ex),
            _ => continue,
        };
        seen += 1;
        if ex.valid {
            if let Err(e) = result {
                panic!("{}: {e}", ex.rel);
            }
            let stem = ex.name.split('-').next().unwrap();
            assert_eq!(ex.value["type"], stem, "{}: named after its type", ex.rel);
        } else {
            assert!(
                result.is_err(),
                "{} is read by the event types as is",
                ex.rel
            );
        }
    }
    assert!(seen > 0);
}

#[test]
fn notification_examples_round_trip_through_the_notification_type() {
    let mut seen = 0;
    for ex in examples() {
        if ex.schema != "schemas/notifications/notification.v1.json" || !ex.valid {
            continue;
        }
        seen += 1;
        if let Err(e) = round_trip::<giro_domain::notification::Notification>(&ex) {
            panic!("{}: {e}", ex.rel);
        }
        let named = format!(
            "{}.{}",
            ex.value["kind"].as_str().unwrap(),
            ex.value["status"].as_str().unwrap()
        );
        assert_eq!(ex.name, named, "{}: named <kind>.<status>", ex.rel);
    }
    assert!(seen > 0);
}

/// The event types an event enum reads, as serde knows them: the variants its "unknown variant"
/// error lists. Independent of the schema, so a type the schema walk misses is still caught.
fn serde_event_types<T: DeserializeOwned + std::fmt::Debug>() -> BTreeSet<String> {
    let err = serde_json::from_value::<T>(json!({"type": "no.such_type", "data": null}))
        .expect_err("no event type is called no.such_type");
    let text = err.to_string();
    let expected = text
        .split_once("expected")
        .unwrap_or_else(|| panic!("serde's error names no variants: {text}"))
        .1;
    let types: BTreeSet<String> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect();
    assert!(!types.is_empty(), "serde's error names no variants: {text}");
    types
}

/// Every event type of one kind (as both the schema and serde read the enum, and at least
/// `contract_types`) is named in the AsyncAPI document and has a valid example that its schema
/// accepts and that round-trips exactly through the event type.
fn every_event_type_has_an_example<
    E: DeserializeOwned + Serialize + std::fmt::Debug + giro_domain::Upcast,
>(
    kind: &str,
    contract_types: &[&str],
) {
    let schema_path = format!("schemas/events/{kind}.json");
    let schemas = giro_proto::schemas();
    let schema = &schemas
        .iter()
        .find(|s| s.path == schema_path)
        .unwrap_or_else(|| panic!("no schema {schema_path}"))
        .schema;
    let from_schema: BTreeSet<String> = giro_proto::event_types(schema).into_iter().collect();
    let from_serde = serde_event_types::<E>();
    assert_eq!(
        from_schema, from_serde,
        "{schema_path} names other event types than the {kind} event enum reads"
    );
    for t in contract_types {
        assert!(
            from_serde.contains(*t),
            "{t} is a contract event type the code no longer has"
        );
    }
    let doc = giro_proto::asyncapi(&schemas);
    let summary = doc["components"]["messages"][format!("{kind}Event")]["summary"]
        .as_str()
        .unwrap_or_else(|| panic!("asyncapi has no {kind}Event message"))
        .to_string();
    let named: BTreeSet<String> = summary
        .split_once("one of: ")
        .unwrap_or_else(|| panic!("the {kind}Event summary lists no types: {summary}"))
        .1
        .trim_end_matches('.')
        .split(", ")
        .map(String::from)
        .collect();
    assert_eq!(
        named, from_serde,
        "the AsyncAPI document names other {kind} event types than the code has"
    );
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap();
    let examples: Vec<Example> = examples()
        .into_iter()
        .filter(|e| e.valid && e.schema == schema_path)
        .collect();
    for t in &from_serde {
        let of_type: Vec<&Example> = examples.iter().filter(|e| e.value["type"] == *t).collect();
        assert!(
            !of_type.is_empty(),
            "no example of {t}: add proto/examples/events/{kind}/{t}.json"
        );
        for ex in of_type {
            let errors: Vec<String> = validator
                .iter_errors(&ex.value)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{} is refused by {schema_path}:\n  {}",
                ex.rel,
                errors.join("\n  ")
            );
            if let Err(e) = round_trip::<Envelope<E>>(ex) {
                panic!("{}: {e}", ex.rel);
            }
        }
    }
}

#[test]
fn every_payout_event_type_has_an_example() {
    every_event_type_has_an_example::<PayoutEvent>(
        "payout",
        &[
            "payout.requested",
            "payout.held",
            "payout.submission_started",
            "payout.submitted",
            "payout.submission_failed",
            "payout.outcome_unknown",
            "payout.provider_status",
            "payout.succeeded",
            "payout.failed",
            "payout.reversed",
            "payout.refunded",
            "payout.cancelled",
            "payout.report_unmatched",
            "payout.discrepancy",
            "payout.personal_data_erased",
            "payout.rerouted",
        ],
    );
}

#[test]
fn every_charge_event_type_has_an_example() {
    every_event_type_has_an_example::<ChargeEvent>(
        "charge",
        &[
            "charge.requested",
            "charge.submission_started",
            "charge.submitted",
            "charge.submission_failed",
            "charge.outcome_unknown",
            "charge.provider_status",
            "charge.authorized",
            "charge.confirmed",
            "charge.paid",
            "charge.failed",
            "charge.cancel_requested",
            "charge.cancelled",
            "charge.refund_requested",
            "charge.refunded",
            "charge.capture_requested",
            "charge.capture_attempt_started",
            "charge.captured",
            "charge.capture_failed",
            "charge.chargeback_opened",
            "charge.chargeback_lost",
            "charge.chargeback_won",
            "charge.report_unmatched",
            "charge.discrepancy",
            "charge.personal_data_erased",
        ],
    );
}

#[test]
fn every_beneficiary_event_type_has_an_example() {
    every_event_type_has_an_example::<BeneficiaryEvent>(
        "beneficiary",
        &[
            "beneficiary.registered",
            "beneficiary.status_changed",
            "beneficiary.personal_data_erased",
            "beneficiary.update_requested",
            "beneficiary.updated",
            "beneficiary.update_failed",
            "beneficiary.removal_requested",
            "beneficiary.removed",
            "beneficiary.removal_failed",
        ],
    );
}

#[test]
fn reply_examples_round_trip_through_the_intake_reply() {
    let mut seen = 0;
    for ex in examples() {
        if !ex.schema.starts_with("schemas/replies/") || !ex.valid {
            continue;
        }
        seen += 1;
        if let Err(e) = round_trip::<giro_intake::Reply>(&ex) {
            panic!("{}: {e}", ex.rel);
        }
        let reply: giro_intake::Reply = serde_json::from_value(ex.value.clone()).unwrap();
        assert_eq!(reply.ok, reply.error.is_none(), "{}", ex.rel);
    }
    assert!(seen > 0);
}

/// The string literals of Rust source (comments skipped; escapes read loosely), to find the
/// subjects the code builds without depending on every crate that builds them.
fn string_literals(src: &str) -> Vec<String> {
    let b: Vec<char> = src.chars().collect();
    let at = |i: usize| b.get(i).copied();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '/' if at(i + 1) == Some('/') => {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
            }
            '/' if at(i + 1) == Some('*') => {
                i += 2;
                while i < b.len() && !(b[i] == '*' && at(i + 1) == Some('/')) {
                    i += 1;
                }
                i += 2;
            }
            // A char literal ('"', '\'', '\u{..}') or a lifetime.
            '\'' if at(i + 1) == Some('\\') => {
                i += 2;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
            }
            '\'' if at(i + 2) == Some('\'') => i += 3,
            'r' if matches!(at(i + 1), Some('"' | '#'))
                && !(i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')) =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while at(j) == Some('#') {
                    hashes += 1;
                    j += 1;
                }
                if at(j) != Some('"') {
                    i = j;
                    continue;
                }
                let start = j + 1;
                j = start;
                while j < b.len() && !(b[j] == '"' && (1..=hashes).all(|k| at(j + k) == Some('#')))
                {
                    j += 1;
                }
                out.push(b[start..j.min(b.len())].iter().collect());
                i = j + 1 + hashes;
            }
            '"' => {
                let mut j = i + 1;
                let mut literal = String::new();
                while j < b.len() && b[j] != '"' {
                    if b[j] == '\\' {
                        j += 1;
                    }
                    if let Some(c) = at(j) {
                        literal.push(c);
                    }
                    j += 1;
                }
                out.push(literal);
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The subject families of CONTRACT.md: commands, queries, events, notifications, dead letters,
/// scheduled payouts' schedules and wakes, the audit of operator actions. (`giro.funds.>`, the
/// executor's private funds ledger, and `giro.webhook.>`, the webhook work queue, are no messages
/// anyone else sends or reads.)
const FAMILIES: &[&str] = &[
    "cmd", "query", "evt", "notify", "dlq", "schedule", "wake", "audit",
];

/// A literal that is a subject of one of the families, as `giro.<family>.…` with every
/// placeholder (`{…}`, `<…>`, `*`) as `*` and a trailing `>` kept: `"cmd.payout.create"` (below
/// the prefix), `"{}.dlq.executor.{}"`, `"{}.evt.{kind}.>"`.
fn family_subject(literal: &str) -> Option<String> {
    if literal.is_empty()
        || !literal
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-{}<>*".contains(c))
    {
        return None;
    }
    let tokens: Vec<&str> = literal.split('.').collect();
    let placeholder = |t: &str| {
        (t.starts_with('{') && t.ends_with('}'))
            || (t.starts_with('<') && t.ends_with('>') && t.len() > 1)
            || t == "*"
    };
    let start = match tokens.as_slice() {
        [first, ..] if FAMILIES.contains(first) => 0,
        [prefix, second, ..]
            if FAMILIES.contains(second) && (*prefix == "giro" || placeholder(prefix)) =>
        {
            1
        }
        _ => return None,
    };
    if tokens.len() < start + 2 {
        return None;
    }
    let rest: Vec<&str> = tokens[start..]
        .iter()
        .map(|t| if placeholder(t) { "*" } else { t })
        .collect();
    Some(format!("giro.{}", rest.join(".")))
}

/// Whether a subject the code uses (`*` one token, `>` the rest) falls on an AsyncAPI channel
/// address (`{param}` one token).
fn on_channel(subject: &str, address: &str) -> bool {
    let s: Vec<&str> = subject.split('.').collect();
    let a: Vec<&str> = address.split('.').collect();
    for (i, token) in s.iter().enumerate() {
        if *token == ">" {
            return a.len() > i;
        }
        let Some(want) = a.get(i) else {
            return false;
        };
        let param = want.starts_with('{') && want.ends_with('}');
        if !(param || *token == "*" || token == want) {
            return false;
        }
    }
    s.len() == a.len()
}

/// Every `cmd`, `query`, `evt`, `notify` and `dlq` subject built anywhere in the workspace's code.
fn subjects_in_the_code() -> BTreeSet<(String, String)> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for entry in fs::read_dir(&crates).unwrap().flatten() {
        let src = entry.path().join("src");
        if entry.file_name() == "giro-proto" || !src.is_dir() {
            continue;
        }
        files_under(&src, &mut files);
    }
    files.sort();
    let mut found = BTreeSet::new();
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
    {
        let src = fs::read_to_string(file).unwrap();
        let rel = file
            .strip_prefix(&crates)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for literal in string_literals(&src) {
            if let Some(subject) = family_subject(&literal) {
                found.insert((subject, rel.clone()));
            }
        }
    }
    found
}

#[test]
fn subject_scanner_reads_the_shapes_the_code_uses() {
    let src = r##"
        // "giro.cmd.not.code" in a comment
        let a = format!("{}.dlq.executor.{}", self.prefix, self.provider);
        let b = format!("{}.dlq.ingress.{provider}", app.config.prefix);
        let c = "cmd.payout.create"; let q = '"'; let l: &'static str = "query.order.get";
        let d = format!("{}.evt.{kind}.>", config.prefix);
        let e = r#"giro.evt.payout.{order_id}"#;
        let f = format!("{prefix}.funds.{account}");
        let g = "not a cmd.subject";
    "##;
    let found: Vec<String> = string_literals(src)
        .iter()
        .filter_map(|l| family_subject(l))
        .collect();
    assert_eq!(
        found,
        [
            "giro.dlq.executor.*",
            "giro.dlq.ingress.*",
            "giro.cmd.payout.create",
            "giro.query.order.get",
            "giro.evt.*.>",
            "giro.evt.payout.*",
        ]
    );
    assert!(on_channel(
        "giro.dlq.executor.*",
        "giro.dlq.executor.{provider}"
    ));
    assert!(!on_channel(
        "giro.dlq.executor.*",
        "giro.dlq.ingress.{provider}"
    ));
    assert!(on_channel("giro.evt.*.>", "giro.evt.charge.{order_id}"));
    assert!(!on_channel("giro.cmd.payout", "giro.cmd.payout.create"));
}

#[test]
fn every_subject_the_code_uses_has_an_asyncapi_channel() {
    let doc = giro_proto::asyncapi(&giro_proto::schemas());
    let addresses: Vec<String> = doc["channels"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|c| c["address"].as_str().map(String::from))
        .collect();
    let found = subjects_in_the_code();
    // The scan sees every family, so a family it cannot read does not pass unnoticed.
    for family in FAMILIES {
        assert!(
            found
                .iter()
                .any(|(s, _)| s.starts_with(&format!("giro.{family}."))),
            "no giro.{family}.* subject found in the code: the scan is blind"
        );
    }
    for component in ["executor", "ingress", "notify", "webhooks"] {
        assert!(
            found
                .iter()
                .any(|(s, _)| s == &format!("giro.dlq.{component}.*")),
            "no giro.dlq.{component}.<provider> subject found in the code; found {found:?}"
        );
    }
    let missing: Vec<String> = found
        .iter()
        .filter(|(s, _)| !addresses.iter().any(|a| on_channel(s, a)))
        .map(|(s, file)| format!("{s} (built in crates/{file})"))
        .collect();
    assert!(
        missing.is_empty(),
        "subjects the code uses that no AsyncAPI channel describes:\n  {}",
        missing.join("\n  ")
    );
    // And the other way round: no channel describes a subject the code no longer uses.
    for address in &addresses {
        assert!(
            found.iter().any(|(s, _)| on_channel(s, address)),
            "asyncapi channel {address} is a subject no code uses"
        );
    }
}
