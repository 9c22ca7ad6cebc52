//! Characters no command field may hold: control characters (C0 such as NUL or ESC, DEL, C1) and
//! the bidirectional formatting characters that make a text display as something other than what
//! it is (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069). Names and references reach
//! providers, statements and people's screens; such a character is refused naming its field and
//! its code point, never the text around it (it may be personal data). Object keys are checked
//! the same way. `metadata`, the caller's own data that no provider sees, may hold tabs and line
//! breaks.

use serde_json::{Map, Value};

use crate::rejection::{ErrorCode, Rejection};

/// The one field whose strings may hold tabs and line breaks.
const FREE_TEXT: &str = "metadata";

/// Whether `c` is a bidirectional formatting character.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// The first character of `s` a field may not hold, if any.
fn refused(s: &str, free_text: bool) -> Option<char> {
    s.chars().find(|&c| {
        let layout = free_text && matches!(c, '\t' | '\n' | '\r');
        (c.is_control() && !layout) || is_bidi_control(c)
    })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn rejection(field: &str, c: char, what: &str) -> Rejection {
    let kind = if c.is_control() {
        "a control character"
    } else {
        "a bidirectional formatting character"
    };
    Rejection::at(
        ErrorCode::InvalidField,
        field,
        format!("{field}: {what} holds {kind} (U+{:04X})", u32::from(c)),
    )
}

/// Checks every key and string of `object`.
pub(super) fn check(object: &Map<String, Value>) -> Result<(), Rejection> {
    check_object(object, "", false)
}

fn check_object(object: &Map<String, Value>, path: &str, free: bool) -> Result<(), Rejection> {
    for (key, value) in object {
        let field = join(path, key);
        if let Some(c) = refused(key, false) {
            return Err(rejection(path, c, "a key"));
        }
        let free = free || (path.is_empty() && key == FREE_TEXT);
        check_value(value, &field, free)?;
    }
    Ok(())
}

fn check_value(value: &Value, field: &str, free: bool) -> Result<(), Rejection> {
    match value {
        Value::String(s) => match refused(s, free) {
            Some(c) => Err(rejection(field, c, "the text")),
            None => Ok(()),
        },
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_value(v, &format!("{field}[{i}]"), free)),
        Value::Object(map) => check_object(map, field, free),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field_of(v: Value) -> Option<String> {
        let Value::Object(map) = v else { panic!() };
        check(&map).err().map(|r| r.field.unwrap_or_default())
    }

    #[test]
    fn control_and_bidi_characters_are_refused_naming_the_field() {
        for bad in [
            "Ana\u{0}",
            "Ana\u{1b}[31m",
            "A\nna",
            "Ana\u{7f}",
            "Ana\u{85}",
        ] {
            let v = json!({"beneficiary": {"first_name": bad}});
            assert_eq!(
                field_of(v).as_deref(),
                Some("beneficiary.first_name"),
                "{bad:?}"
            );
        }
        for bad in ["\u{202E}anA", "Ana\u{2066}", "\u{200F}Ana", "Ana\u{61C}"] {
            let v = json!({"external_id": bad});
            assert_eq!(field_of(v).as_deref(), Some("external_id"), "{bad:?}");
        }
        let v = json!({"items": ["ok", "no\u{0}"]});
        assert_eq!(field_of(v).as_deref(), Some("items[1]"));
        let v = json!({"beneficiary": {"bad\u{0}key": "x"}});
        assert_eq!(field_of(v).as_deref(), Some("beneficiary"));
    }

    #[test]
    fn names_in_any_script_and_metadata_layout_pass() {
        let v = json!({
            "beneficiary": {"first_name": "José Ñúñez", "last_name": "محمد", "company_name": "株式会社 Ω"},
            "description": "Pedido nº 7 — café",
            "metadata": {"note": "line one\nline two\tend", "tags": ["a\r\nb"]},
        });
        assert_eq!(field_of(v), None);
        // Only layout is free in metadata: NUL or a bidi override are not.
        let v = json!({"metadata": {"note": "x\u{0}"}});
        assert_eq!(field_of(v).as_deref(), Some("metadata.note"));
        let v = json!({"metadata": {"note": "\u{202E}x"}});
        assert_eq!(field_of(v).as_deref(), Some("metadata.note"));
    }

    #[test]
    fn the_message_names_the_code_point_not_the_text() {
        let Value::Object(map) = json!({"beneficiary": {"last_name": "Secret\u{0}Name"}}) else {
            panic!()
        };
        let r = check(&map).unwrap_err();
        assert_eq!(r.code, ErrorCode::InvalidField);
        assert!(r.message.contains("U+0000"), "{}", r.message);
        assert!(!r.message.contains("Secret"), "{}", r.message);
    }
}
