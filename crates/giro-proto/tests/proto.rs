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

use giro_domain::beneficiary::{self, BeneficiaryEvent};
use giro_domain::charge::{self, ChargeEvent};
use giro_domain::payout::{self, PayoutEvent};
use giro_domain::provider::Catalog;
use giro_domain::{Envelope, Rejection};
use giro_proto::contract::{ChargeRefund, OrderRef};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

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
        "giro.cmd.beneficiary.register",
        "giro.query.order.get",
        "giro.evt.payout.{order_id}",
        "giro.evt.charge.{order_id}",
        "giro.evt.beneficiary.{beneficiary_id}",
        "giro.dlq.ingress.{provider}",
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
        if message == "charge.refund" {
            let parsed = serde_json::from_value::<ChargeRefund>(ex.value.clone());
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
fn every_payout_event_type_has_an_example() {
    let schemas = giro_proto::schemas();
    let doc = giro_proto::asyncapi(&schemas);
    let summary = doc["components"]["messages"]["payoutEvent"]["summary"]
        .as_str()
        .unwrap()
        .to_string();
    let names: BTreeSet<String> = examples()
        .iter()
        .filter(|e| e.valid && e.schema == "schemas/events/payout.json")
        .map(|e| e.value["type"].as_str().unwrap().to_string())
        .collect();
    for t in [
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
    ] {
        assert!(names.contains(t), "no example of {t}");
        assert!(
            summary.contains(t),
            "the AsyncAPI document does not name {t}"
        );
    }
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
