//! Building blocks of the contract's messages: amounts, external ids, metadata and the
//! card-data guard, each a JSON shape the domain reads by hand and so described here.

use std::borrow::Cow;

use giro_domain::schema::AMOUNT_PATTERN;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Field names that carry raw card data (A55 host-to-host and common aliases); the charge parser
/// refuses them, in any letter case, anywhere in the command with `card_data_not_accepted`.
pub const CARD_FIELDS: &[&str] = &[
    "card_number",
    "card_cvv",
    "card_name",
    "card_expiry_month",
    "card_expiry_year",
    "card",
    "cvv",
    "pan",
];

/// An amount as a command gives it: a decimal string, or a JSON number (read exactly, never
/// through a float).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct AmountInput(pub Value);

impl JsonSchema for AmountInput {
    fn schema_name() -> Cow<'static, str> {
        "AmountInput".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A positive decimal amount: a string like \"500000\" or \"150.25\" (preferred), or a JSON number in plain digits. A JSON number in exponent form (5e5) is refused (invalid_field), and so is one a JSON number cannot hold exactly (500000.000000000000000001: invalid_amount_precision, or amount_out_of_range when too large): amounts are refused, never rounded. Precision and range are checked per currency and provider.",
            "oneOf": [
                {"type": "string", "pattern": AMOUNT_PATTERN},
                {"type": "number", "exclusiveMinimum": 0}
            ],
        })
    }
}

/// The caller's own reference for the order.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct ExternalId(pub String);

impl JsonSchema for ExternalId {
    fn schema_name() -> Cow<'static, str> {
        "ExternalId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The caller's reference: 1 to 64 printable ASCII characters without spaces.",
            "type": "string",
            "pattern": "^[!-~]{1,64}$",
        })
    }
}

/// Free JSON carried on the order.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Metadata(pub Map<String, Value>);

impl JsonSchema for Metadata {
    fn schema_name() -> Cow<'static, str> {
        "Metadata".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A free JSON object of at most 4 KiB (serialized), carried on every event of the order.",
            "type": "object",
        })
    }
}

/// Any JSON value without a raw-card-data field at any depth.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct CardFree(pub Value);

/// `abc` → `[Aa][Bb][Cc]`: JSON Schema patterns have no case-insensitive flag.
fn any_case(word: &str) -> String {
    word.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Matches a card-data field name in any letter case.
pub fn card_field_pattern() -> String {
    let words: Vec<String> = CARD_FIELDS.iter().map(|w| any_case(w)).collect();
    format!("^({})$", words.join("|"))
}

impl JsonSchema for CardFree {
    fn schema_name() -> Cow<'static, str> {
        "CardFree".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let me = generator.subschema_for::<CardFree>();
        json_schema!({
            "description": "Raw card data (card_number, card_cvv, card_name, card_expiry_month, card_expiry_year, card, cvv, pan, in any letter case) is refused anywhere with card_data_not_accepted: card charges go through the provider's hosted checkout.",
            "propertyNames": {"not": {"pattern": card_field_pattern()}},
            "additionalProperties": me,
            "items": me,
        })
    }
}

/// Metadata of a charge: free JSON, but never card data.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct ChargeMetadata(pub Map<String, Value>);

impl JsonSchema for ChargeMetadata {
    fn schema_name() -> Cow<'static, str> {
        "ChargeMetadata".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let card_free = generator.subschema_for::<CardFree>();
        json_schema!({
            "description": "A free JSON object of at most 4 KiB (serialized), carried on every event of the order; never raw card data.",
            "type": "object",
            "allOf": [card_free],
        })
    }
}
