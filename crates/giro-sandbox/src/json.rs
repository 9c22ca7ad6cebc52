//! Reading request bodies field by field, exactly, and writing decimals as exact JSON numbers.
//!
//! Providers answer a wrong field with an error that names the field (`Params_amount_error`,
//! `beneficiary.account.bankCode`), so bodies are read as an object of raw JSON values and each field
//! is taken on its own. Numbers are read from their text, never through `f64`, so `50000.50` stays
//! `50000.50` and a decimal can be checked for its scale.

use std::collections::HashMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::ser::Error as _;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// A JSON object whose values are kept as raw text.
#[derive(Debug)]
pub(crate) struct RawObject(HashMap<String, Box<RawValue>>);

/// A field that is present but not of a usable type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrongType(pub String);

impl RawObject {
    /// Parses `bytes` as a JSON object; anything else (array, scalar, malformed) is an error.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes).map(Self)
    }

    /// The raw value of `name`; a JSON `null` counts as absent.
    fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(|raw| raw.get().trim())
            .filter(|text| *text != "null")
    }

    /// Whether `name` is present and not null.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// A string field. Numbers are refused: the providers type these as strings.
    pub(crate) fn string(&self, name: &str) -> Result<Option<String>, WrongType> {
        match self.raw(name) {
            None => Ok(None),
            Some(text) => serde_json::from_str::<String>(text)
                .map(Some)
                .map_err(|_| WrongType(name.to_owned())),
        }
    }

    /// A string field that Java/JS back ends also accept as a JSON number (ids, codes).
    pub(crate) fn text(&self, name: &str) -> Result<Option<String>, WrongType> {
        match self.raw(name) {
            None => Ok(None),
            Some(text) if is_number(text) => Ok(Some(text.to_owned())),
            Some(_) => self.string(name),
        }
    }

    /// A decimal given as a JSON number or as a string holding one.
    pub(crate) fn decimal(&self, name: &str) -> Result<Option<Decimal>, WrongType> {
        let wrong = || WrongType(name.to_owned());
        match self.raw(name) {
            None => Ok(None),
            Some(text) if is_number(text) => parse_decimal(text).map(Some).ok_or_else(wrong),
            Some(text) => {
                let inner = serde_json::from_str::<String>(text).map_err(|_| wrong())?;
                parse_decimal(inner.trim()).map(Some).ok_or_else(wrong)
            }
        }
    }

    /// An integer given as a JSON number without fraction or as a string of digits.
    pub(crate) fn integer(&self, name: &str) -> Result<Option<i64>, WrongType> {
        let wrong = || WrongType(name.to_owned());
        match self.raw(name) {
            None => Ok(None),
            Some(text) if is_number(text) => text.parse::<i64>().map(Some).map_err(|_| wrong()),
            Some(text) => {
                let inner = serde_json::from_str::<String>(text).map_err(|_| wrong())?;
                inner.trim().parse::<i64>().map(Some).map_err(|_| wrong())
            }
        }
    }

    /// A boolean field.
    pub(crate) fn boolean(&self, name: &str) -> Result<Option<bool>, WrongType> {
        match self.raw(name) {
            None => Ok(None),
            Some(text) => serde_json::from_str::<bool>(text)
                .map(Some)
                .map_err(|_| WrongType(name.to_owned())),
        }
    }

    /// An array of strings.
    pub(crate) fn strings(&self, name: &str) -> Result<Option<Vec<String>>, WrongType> {
        match self.raw(name) {
            None => Ok(None),
            Some(text) => serde_json::from_str::<Vec<String>>(text)
                .map(Some)
                .map_err(|_| WrongType(name.to_owned())),
        }
    }

    /// A nested object field.
    pub(crate) fn object(&self, name: &str) -> Result<Option<RawObject>, WrongType> {
        match self.raw(name) {
            None => Ok(None),
            Some(text) => RawObject::parse(text.as_bytes())
                .map(Some)
                .map_err(|_| WrongType(name.to_owned())),
        }
    }
}

fn is_number(text: &str) -> bool {
    text.starts_with(|c: char| c == '-' || c.is_ascii_digit())
}

/// Parses decimal text exactly, including exponent notation (`1e5`).
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    if text.is_empty() || text.starts_with('+') {
        return None;
    }
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str(text).ok()
    }
}

/// A decimal written as a JSON number with exactly its own digits (`60000.00` stays `60000.00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Number(pub Decimal);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawValue::from_string(self.0.to_string())
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_digits_both_ways() {
        let obj =
            RawObject::parse(br#"{"a": 50000.50, "b": "60000", "c": 1e3, "d": null}"#).unwrap();
        assert_eq!(obj.decimal("a").unwrap().unwrap().to_string(), "50000.50");
        assert_eq!(obj.decimal("b").unwrap().unwrap().to_string(), "60000");
        assert_eq!(obj.decimal("c").unwrap().unwrap(), Decimal::from(1000));
        assert_eq!(obj.decimal("d").unwrap(), None);
        let out = serde_json::to_string(&Number(Decimal::new(600_000_000, 4))).unwrap();
        assert_eq!(out, "60000.0000");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let obj = RawObject::parse(br#"{"a": [1], "b": "x", "c": 1.5}"#).unwrap();
        assert_eq!(obj.decimal("a"), Err(WrongType("a".into())));
        assert_eq!(obj.integer("b"), Err(WrongType("b".into())));
        assert_eq!(obj.integer("c"), Err(WrongType("c".into())));
        assert!(RawObject::parse(b"[1,2]").is_err());
        assert!(RawObject::parse(b"{").is_err());
    }
}
