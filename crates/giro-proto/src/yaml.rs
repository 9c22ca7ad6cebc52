//! A small YAML writer for JSON values (the AsyncAPI document): block style, strings quoted unless
//! plainly safe. JSON's string escapes are valid in YAML double-quoted scalars.

use serde_json::Value;

/// Keys written first, in this order, where present; the rest follow alphabetically.
const KEY_ORDER: &[&str] = &[
    "asyncapi",
    "info",
    "defaultContentType",
    "channels",
    "operations",
    "components",
    "address",
    "action",
    "channel",
    "name",
    "title",
    "version",
    "summary",
    "description",
];

fn ordered_keys(map: &serde_json::Map<String, Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by_key(|k| {
        (
            KEY_ORDER
                .iter()
                .position(|o| o == k)
                .unwrap_or(KEY_ORDER.len()),
            (*k).clone(),
        )
    });
    keys
}

fn plain_ok(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
    ];
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_' || first == '$')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/$".contains(c))
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if plain_ok(s) => s.clone(),
        Value::String(s) => Value::String(s.clone()).to_string(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(o) if o.is_empty() => "{}".into(),
        other => other.to_string(),
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => false,
    }
}

fn write(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) if !map.is_empty() => {
            for k in ordered_keys(map) {
                let child = &map[k];
                let key = scalar(&Value::String(k.clone()));
                if is_block(child) {
                    out.push_str(&format!("{pad}{key}:\n"));
                    write(child, indent + 2, out);
                } else {
                    out.push_str(&format!("{pad}{key}: {}\n", scalar(child)));
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                if is_block(item) {
                    let mut inner = String::new();
                    write(item, indent + 2, &mut inner);
                    // The first line goes on the dash's line.
                    let inner = inner.trim_start_matches(' ');
                    out.push_str(&format!("{pad}- {inner}"));
                } else {
                    out.push_str(&format!("{pad}- {}\n", scalar(item)));
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

/// The value as a YAML document.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_block_yaml() {
        let v = json!({"b": [1, {"x": "a b", "z": []}], "a": {"$ref": "#/x", "k": "giro.cmd.x"}, "c": "true", "y": null});
        assert_eq!(
            to_yaml(&v),
            "a:\n  $ref: \"#/x\"\n  k: giro.cmd.x\nb:\n  - 1\n  - x: \"a b\"\n    z: []\nc: \"true\"\n\"y\": null\n"
        );
    }
}
