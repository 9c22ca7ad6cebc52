//! Reading commands from JSON with errors that name the offending field (CONTRACT.md §1): syntax
//! errors are `invalid_json`, absent fields `missing_field`, wrong types and unknown fields
//! `invalid_field`, each with the field's dotted path. Numbers are checked against their JSON text
//! (see [`exact`]): one that a JSON number cannot hold exactly, or one in exponent form, is refused,
//! and so is a key given twice in one object.

mod exact;
mod text;

pub use exact::number_decimal;

use serde::de::{DeserializeOwned, Error as _, Unexpected};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::rejection::{ErrorCode, Rejection};

/// Parses a command body into a JSON object; anything else is `invalid_json`. Every number in the
/// returned object is exactly the number its text wrote (so [`number_decimal`] gives it back), no
/// object had a key twice, and no key or string holds a control or bidirectional formatting
/// character (tabs and line breaks only in `metadata`).
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Rejection> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => {
            exact::check(body)?;
            text::check(&map)?;
            Ok(map)
        }
        Ok(other) => Err(Rejection::new(
            ErrorCode::InvalidJson,
            format!("the command must be a JSON object, got {}", kind_of(&other)),
        )),
        Err(e) => {
            // A number too large even for an `f64` stops serde_json; the scan names its field.
            if e.to_string().starts_with("number out of range")
                && let Err(refused) = exact::check(body)
                && refused.field.is_some()
            {
                return Err(refused);
            }
            Err(Rejection::new(
                ErrorCode::InvalidJson,
                format!("malformed JSON at line {} column {}", e.line(), e.column()),
            ))
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Refuses `field` of `object` when present and not a JSON object (a struct given as an array
/// would otherwise be read field by field in order).
pub fn object_at(object: &Value, field: &str) -> Result<(), Rejection> {
    match object.get(field) {
        Some(v) if !v.is_object() && !v.is_null() => Err(Rejection::at(
            ErrorCode::InvalidField,
            field,
            format!("must be a JSON object, got {}", kind_of(v)),
        )),
        _ => Ok(()),
    }
}

/// Deserializes a typed value out of a JSON value; `root` is the path of `value` in the command
/// (empty for the command itself).
pub fn typed<T: DeserializeOwned>(value: Value, root: &str) -> Result<T, Rejection> {
    serde_path_to_error::deserialize(value).map_err(|e| serde_rejection(&e, root))
}

/// Deserializes a typed command straight from its bytes, for commands that keep parts of
/// themselves as raw text (a batch's items, each read as its own command). Anything but a JSON
/// object is `invalid_json`; a key given twice is `invalid_field`.
pub fn typed_slice<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, Rejection> {
    let malformed = |e: &serde_json::Error| {
        Rejection::new(
            ErrorCode::InvalidJson,
            format!("malformed JSON at line {} column {}", e.line(), e.column()),
        )
    };
    match serde_json::from_slice::<&serde_json::value::RawValue>(body) {
        Err(e) => return Err(malformed(&e)),
        Ok(raw) if !raw.get().starts_with('{') => {
            return Err(Rejection::new(
                ErrorCode::InvalidJson,
                "the command must be a JSON object",
            ));
        }
        Ok(_) => {}
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| serde_rejection(&e, ""))
}

fn join(root: &str, rest: &str) -> String {
    match (root.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (false, true) => root.to_string(),
        (false, false) => format!("{root}.{rest}"),
    }
}

fn serde_rejection(e: &serde_path_to_error::Error<serde_json::Error>, root: &str) -> Rejection {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let mut at = join(root, &path);
    let mut message = e.inner().to_string();
    // An error inside a nested object read by [`object`] carries its own path.
    if let Some((inner, rest)) = message
        .strip_prefix(NESTED)
        .and_then(|m| m.split_once("`: "))
        .map(|(inner, rest)| (inner.to_string(), rest.to_string()))
    {
        at = join(&at, &inner);
        message = rest;
    }
    let message = match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    };
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    if let Some(field) = quoted("missing field `") {
        return Rejection::at(ErrorCode::MissingField, join(&at, &field), "is required");
    }
    if let Some(field) = quoted("unknown field `") {
        let field_path = if at.ends_with(&field) {
            at.clone()
        } else {
            join(&at, &field)
        };
        return Rejection::at(ErrorCode::InvalidField, field_path, "is not a known field");
    }
    Rejection::at(ErrorCode::InvalidField, at, message)
}

/// A JSON rendering with object keys sorted at every depth, independent of serde_json's map
/// order: the basis of request fingerprints.
pub fn canonical_json(value: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(&map[k], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// SHA-256 (hex) of the canonical rendering: two requests are "the same body" when this matches.
pub fn fingerprint(value: &Value) -> String {
    hex::encode(Sha256::digest(canonical_json(value).as_bytes()))
}

/// Reads a struct only from a JSON object. Serde also reads a struct from an array of its field
/// values in order, which no caller means: `"document": ["CC", "123"]` would pass for a document.
/// For the nested structs of commands (`#[serde(deserialize_with = "crate::wire::object")]`).
pub fn object<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
    let value = Value::deserialize(d)?;
    if !value.is_object() {
        return Err(D::Error::invalid_type(unexpected(&value), &"a JSON object"));
    }
    nested(value)
}

/// How an error inside a nested object names where in it it is, for [`serde_rejection`].
const NESTED: &str = "in nested field `";

/// Reads `value` into `T`, an error naming its path inside `value`.
fn nested<E: serde::de::Error, T: DeserializeOwned>(value: Value) -> Result<T, E> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let message = e.inner().to_string();
        if inner == "." {
            E::custom(message)
        } else {
            E::custom(format!("{NESTED}{inner}`: {message}"))
        }
    })
}

/// [`object`] for an optional struct: absent or `null` is `None`.
pub fn optional_object<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(value) if value.is_object() => nested(value).map(Some),
        Some(other) => Err(D::Error::invalid_type(unexpected(&other), &"a JSON object")),
    }
}

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("a number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        number: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        count: u32,
        inner: Inner,
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse_object(b"{\"a\":").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidJson);
        assert_eq!(
            parse_object(b"[1]").unwrap_err().code,
            ErrorCode::InvalidJson
        );

        let missing = typed::<Outer>(serde_json::json!({"count": 1, "inner": {}}), "").unwrap_err();
        assert_eq!(
            (missing.code, missing.field.as_deref()),
            (ErrorCode::MissingField, Some("inner.number"))
        );

        let wrong = typed::<Outer>(
            serde_json::json!({"count": "x", "inner": {"number": "1"}}),
            "",
        )
        .unwrap_err();
        assert_eq!(
            (wrong.code, wrong.field.as_deref()),
            (ErrorCode::InvalidField, Some("count"))
        );

        let unknown = typed::<Inner>(
            serde_json::json!({"number": "1", "numbr": 2}),
            "beneficiary",
        )
        .unwrap_err();
        assert_eq!(
            (unknown.code, unknown.field.as_deref()),
            (ErrorCode::InvalidField, Some("beneficiary.numbr"))
        );
    }

    #[test]
    fn canonical_json_ignores_key_order() {
        let a = serde_json::json!({"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": "é"}});
        let b: Value =
            serde_json::from_str(r#"{"a":{"x":"é","y":[1,{"c":3,"d":2}]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":"é","y":[1,{"c":3,"d":2}]},"b":1}"#
        );
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }
}
