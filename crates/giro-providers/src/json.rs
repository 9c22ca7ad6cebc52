//! Exact decimals on the wire. Providers write amounts as JSON numbers or as strings ("60000",
//! 60000.00, 5150.0000); serde_json would read a number through `f64`, so these helpers read the
//! raw text of the value instead and parse it as a decimal. They work on types deserialized
//! directly by serde_json (no `flatten` or untagged enums around them).

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// Writes a decimal as a JSON number with exactly its digits (`500000`, `10011.5`), for
/// `#[serde(serialize_with = "json::number")]`.
pub(crate) fn number<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    RawValue::from_string(value.normalize().to_string())
        .map_err(S::Error::custom)?
        .serialize(s)
}

/// [`number`] for an optional decimal (`None` is `null`; skip it with `skip_serializing_if`).
pub(crate) fn opt_number<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => number(v, s),
        None => s.serialize_none(),
    }
}

/// The text of a raw JSON value that is a number or a string; `None` for an empty string.
fn scalar_text(raw: &RawValue) -> Result<Option<String>, String> {
    let text = raw.get().trim();
    if text.starts_with('"') {
        let inner: String = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let inner = inner.trim();
        Ok((!inner.is_empty()).then(|| inner.to_string()))
    } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        Ok(Some(text.to_string()))
    } else {
        Err(format!("expected a number or a string, got {text}"))
    }
}

fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str(text)
    };
    parsed.map_err(|_| format!("{text:?} is not a decimal number"))
}

/// A required decimal given as a JSON number or a string.
pub(crate) fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    match scalar_text(&raw).map_err(D::Error::custom)? {
        Some(text) => parse_decimal(&text).map_err(D::Error::custom),
        None => Err(D::Error::custom("expected a decimal, got an empty string")),
    }
}

/// An optional decimal: `null`, an empty string or an absent field (with `#[serde(default)]`) is
/// `None`.
pub(crate) fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match Option::<Box<RawValue>>::deserialize(d)? {
        None => Ok(None),
        Some(raw) => match scalar_text(&raw).map_err(D::Error::custom)? {
            Some(text) => parse_decimal(&text).map(Some).map_err(D::Error::custom),
            None => Ok(None),
        },
    }
}

/// An optional identifier written as a string or a number (Cashy's `merchantId`, `payType`).
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Box<RawValue>>::deserialize(d)? {
        None => Ok(None),
        Some(raw) => scalar_text(&raw).map_err(D::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Amounts {
        #[serde(deserialize_with = "decimal")]
        a: Decimal,
        #[serde(default, deserialize_with = "opt_decimal")]
        b: Option<Decimal>,
        #[serde(default, deserialize_with = "opt_decimal")]
        c: Option<Decimal>,
        #[serde(default, deserialize_with = "opt_text")]
        id: Option<String>,
    }

    fn read(json: &str) -> Result<Amounts, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_and_strings_read_exactly() {
        let a = read(r#"{"a": 0.1, "b": "5150", "c": null, "id": 100001}"#).unwrap();
        assert_eq!(a.a.to_string(), "0.1");
        assert_eq!(a.b, Some(Decimal::new(5150, 0)));
        assert_eq!((a.c, a.id.as_deref()), (None, Some("100001")));
        let a = read(r#"{"a": 60000.0000, "b": "", "id": "100001"}"#).unwrap();
        assert_eq!(a.a.to_string(), "60000.0000");
        assert_eq!((a.b, a.c, a.id.as_deref()), (None, None, Some("100001")));
        assert_eq!(read(r#"{"a": 1e3}"#).unwrap().a, Decimal::new(1000, 0));
        assert_eq!(
            read(r#"{"a": 12345678901234567.89}"#)
                .unwrap()
                .a
                .to_string(),
            "12345678901234567.89"
        );
    }

    #[test]
    fn wrong_values_are_errors_not_panics() {
        for bad in [
            r#"{"a": true}"#,
            r#"{"a": "abc"}"#,
            r#"{"a": ""}"#,
            r#"{"a": [1]}"#,
            r#"{"a": 1, "b": {}}"#,
            r#"{"a": 1e999}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_are_written_with_their_digits() {
        #[derive(Serialize)]
        struct Out {
            #[serde(serialize_with = "number")]
            a: Decimal,
            #[serde(serialize_with = "opt_number")]
            b: Option<Decimal>,
        }
        let out = Out {
            a: Decimal::new(1_001_150, 2),
            b: Some(Decimal::new(500_000, 0)),
        };
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"a":10011.5,"b":500000}"#
        );
        let out = Out {
            a: Decimal::new(1, 28),
            b: None,
        };
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"a":0.0000000000000000000000000001,"b":null}"#
        );
    }
}
