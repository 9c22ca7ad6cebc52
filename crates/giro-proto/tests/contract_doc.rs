//! `docs/CONTRACT.md`, the contract in prose, kept in step with `proto/` and `docs/openapi.json`,
//! both ways: every AsyncAPI channel address, every event type (as the schemas read them and as the
//! examples under `proto/examples/events` name them), every reply error code, every message header
//! and every OpenAPI path is named in the document; and every `giro.…` subject the document names
//! falls on an AsyncAPI channel.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn contract() -> String {
    let path = workspace().join("docs/CONTRACT.md");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether `text` names `word` as a whole: not inside a longer name (`charge.refund` is not named
/// by `charge.refund_requested`, nor `invalid_field` by `invalid_fields`).
fn names(text: &str, word: &str) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(|c| part(c) || c == '.') && !after.is_some_and(part)
    })
}

fn asyncapi() -> Value {
    giro_proto::asyncapi(&giro_proto::schemas())
}

/// The addresses of the AsyncAPI channels (reply channels have none).
fn channel_addresses(doc: &Value) -> Vec<String> {
    doc["channels"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|c| c["address"].as_str().map(String::from))
        .collect()
}

/// Every string of `enum` and `const` under `v`.
fn enum_strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(s)) = m.get("const") {
                out.insert(s.clone());
            }
            if let Some(Value::Array(a)) = m.get("enum") {
                out.extend(a.iter().filter_map(|s| s.as_str().map(String::from)));
            }
            m.values().for_each(|v| enum_strings(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| enum_strings(v, out)),
        _ => {}
    }
}

/// The error codes of every reply schema (their `ErrorCode` definition).
fn error_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for s in giro_proto::schemas() {
        if s.path.starts_with("schemas/replies/") {
            let code = &s.schema["definitions"]["ErrorCode"];
            assert!(code.is_object(), "{} has no ErrorCode definition", s.path);
            enum_strings(code, &mut codes);
        }
    }
    codes
}

/// The event types of every event schema, and the types the event examples are named after
/// (`proto/examples/events/<kind>/<type>[-<what>].json`).
fn event_types() -> BTreeSet<String> {
    let mut types = BTreeSet::new();
    for s in giro_proto::schemas() {
        if s.path.starts_with("schemas/events/") {
            types.extend(giro_proto::event_types(&s.schema));
        }
    }
    let examples = giro_proto::proto_dir().join("examples/events");
    for kind in fs::read_dir(&examples).unwrap().flatten() {
        for file in fs::read_dir(kind.path()).unwrap().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".json") {
                types.insert(stem.split('-').next().unwrap().to_string());
            }
        }
    }
    types
}

/// The headers of every AsyncAPI message.
fn headers(doc: &Value) -> BTreeSet<String> {
    doc["components"]["messages"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|m| m["headers"]["properties"].as_object())
        .flat_map(|p| p.keys().cloned())
        .collect()
}

#[test]
fn the_contract_names_every_subject_event_type_error_code_and_header_of_proto() {
    let text = contract();
    let doc = asyncapi();
    let addresses = channel_addresses(&doc);
    let types = event_types();
    let codes = error_codes();
    let headers = headers(&doc);
    // What proto/ holds is read, so an empty read does not pass unnoticed.
    assert!(addresses.len() >= 12, "channels: {addresses:?}");
    assert!(types.len() >= 40, "event types: {types:?}");
    assert!(codes.len() >= 15, "error codes: {codes:?}");
    assert!(headers.len() >= 8, "headers: {headers:?}");
    let mut missing = Vec::new();
    for (what, items) in [
        (
            "AsyncAPI channel",
            addresses.iter().cloned().collect::<BTreeSet<_>>(),
        ),
        ("event type", types),
        ("reply error code", codes),
        ("message header", headers),
    ] {
        for item in items {
            if !names(&text, &item) {
                missing.push(format!("{what} {item}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/CONTRACT.md does not name what proto/ has:\n  {}",
        missing.join("\n  ")
    );
}

/// The `giro.…` subjects a text names: three or more dot-separated tokens (`giro.payouts`, a
/// table, is not one), ending where a token ends (a full stop after a subject is not part of it).
fn subjects_in(text: &str) -> BTreeSet<String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "_-{}<>*".contains(c);
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("giro.") {
        if text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| token(c) || c == '.')
        {
            continue;
        }
        let rest = &text[at..];
        let mut tokens: Vec<&str> = Vec::new();
        for t in rest.split('.') {
            let len = t.find(|c: char| !token(c)).unwrap_or(t.len());
            if len == 0 {
                break;
            }
            tokens.push(&t[..len]);
            if len < t.len() {
                break;
            }
        }
        if tokens.len() >= 3 {
            found.insert(tokens.join("."));
        }
    }
    found
}

/// Whether a subject (placeholders `{…}`, `<…>`, `*` one token, `>` the rest) falls on an AsyncAPI
/// channel address (`{param}` one token).
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
        let placeholder = |t: &str| {
            (t.starts_with('{') && t.ends_with('}'))
                || (t.starts_with('<') && t.ends_with('>'))
                || t == "*"
        };
        if !(placeholder(token) || placeholder(want) || token == want) {
            return false;
        }
    }
    s.len() == a.len()
}

#[test]
fn the_subject_reader_takes_subjects_and_leaves_tables_and_full_stops() {
    let found = subjects_in(
        "`giro.cmd.payout.create`, stream subjects `giro.evt.>`. Table `giro.payouts` and \
         giro.evt.charge.{order_id}. Not xgiro.cmd.a.b nor mygiro.x.y.z.",
    );
    let expected: BTreeSet<String> = [
        "giro.cmd.payout.create",
        "giro.evt.>",
        "giro.evt.charge.{order_id}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(found, expected);
    assert!(on_channel("giro.evt.>", "giro.evt.payout.{order_id}"));
    assert!(on_channel(
        "giro.evt.payout.<id>",
        "giro.evt.payout.{order_id}"
    ));
    assert!(!on_channel("giro.funds.>", "giro.evt.payout.{order_id}"));
    assert!(!on_channel("giro.cmd.payout", "giro.cmd.payout.create"));
    assert!(names("`charge.refunded`", "charge.refunded"));
    assert!(!names("charge.refund_requested", "charge.refund"));
    assert!(!names("xgiro.cmd.a", "giro.cmd.a"));
    assert!(names_path("`GET /v1/payouts?limit=`", "/v1/payouts"));
    assert!(names_path("the dashboard at `GET /` (`?window=`)", "/"));
    assert!(!names_path("`GET /v1/payouts/{id}`", "/v1/payouts"));
}

#[test]
fn every_subject_the_contract_names_has_an_asyncapi_channel() {
    let text = contract();
    let addresses = channel_addresses(&asyncapi());
    let subjects = subjects_in(&text);
    assert!(
        subjects.iter().any(|s| s.starts_with("giro.cmd."))
            && subjects.iter().any(|s| s.starts_with("giro.evt.")),
        "no command or event subject read from docs/CONTRACT.md: {subjects:?}"
    );
    let unknown: Vec<&String> = subjects
        .iter()
        .filter(|s| !addresses.iter().any(|a| on_channel(s, a)))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/CONTRACT.md names subjects proto/asyncapi.yaml has no channel for: {unknown:?}"
    );
}

/// Whether `text` names the HTTP path `path` as a whole: after a space or a backtick, and not
/// followed by more of a path (`/v1/payouts` is not named by `/v1/payouts/{id}`).
fn names_path(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + path.len()..].chars().next();
        matches!(before, Some(' ' | '`'))
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || "_-{}/.".contains(c))
    })
}

#[test]
fn the_contract_names_every_http_path_of_the_openapi_document() {
    let text = contract();
    let path = workspace().join("docs/openapi.json");
    let doc: Value = serde_json::from_str(
        &fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("docs/openapi.json is not JSON: {e}"));
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert!(paths.len() > 20, "paths: {paths:?}");
    let missing: Vec<&&String> = paths.iter().filter(|p| !names_path(&text, p)).collect();
    assert!(
        missing.is_empty(),
        "docs/CONTRACT.md §4 does not name these paths of docs/openapi.json: {missing:?}"
    );
}

#[test]
fn the_openapi_webhook_sends_the_notification_of_proto_with_the_headers_the_contract_names() {
    let text = contract();
    let path = workspace().join("docs/openapi.json");
    let doc: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let webhook = &doc["webhooks"]["notification"]["post"];
    assert_eq!(
        webhook["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Notification"
    );
    let openapi = &doc["components"]["schemas"]["Notification"];
    let proto = giro_proto::schemas()
        .into_iter()
        .find(|s| s.path == "schemas/notifications/notification.v1.json")
        .expect("the notification schema")
        .schema;
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let strings = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(keys(&proto["properties"]).len() >= 15, "{proto}");
    assert_eq!(keys(&openapi["properties"]), keys(&proto["properties"]));
    // Every field is sent (null when empty), so OpenAPI requires what proto requires and more.
    assert!(strings(&openapi["required"]).is_superset(&strings(&proto["required"])));
    let headers: Vec<&str> = webhook["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter(|p| p["in"] == "header")
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(headers.len(), 3, "{headers:?}");
    for header in headers {
        assert!(
            names(&text, header),
            "docs/CONTRACT.md does not name {header}"
        );
    }
}
