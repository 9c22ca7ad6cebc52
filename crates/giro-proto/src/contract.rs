//! The message shapes of CONTRACT.md §1 that have no single Rust type in the services: command
//! bodies (read by hand-written parsers in `giro-domain`, e.g. `payout::parse_create`, which accept
//! more than one wire form) and replies (built as JSON objects by `giro-intake`'s handlers into its
//! `Reply` envelope). Every part that does have a domain type (beneficiaries, payers, statuses,
//! error codes, currencies, ids) is that type, so its schema comes from the code.
//!
//! The tests keep these honest: every example in `proto/examples/` must pass both its schema and
//! the domain parser (commands) or round-trip through `giro_intake::Reply` (replies), and every
//! invalid example must be refused by both.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use giro_domain::beneficiary::{AccountData, AccountType, BeneficiaryStatus};
use giro_domain::charge::{ChargeMethod, ChargeStatus, Payer, Subscription};
use giro_domain::payout::{Failure, PayoutStatus};
use giro_domain::rail::PayoutBeneficiary;
use giro_domain::schema::{AMOUNT_PATTERN, AmountString, DecimalString};
use giro_domain::{Currency, IdempotencyKey, OrderId, ProviderId, Rejection};
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

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

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
            "description": "A positive decimal amount: a string like \"500000\" or \"150.25\" (preferred), or a JSON number. Precision and range are checked per currency and provider.",
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

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/// `giro.cmd.payout.create`: accept a payout order. Give the beneficiary inline (`beneficiary`,
/// by `rail`) or as `beneficiary_id` of a registered ACTIVE beneficiary, not both.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "giro.cmd.payout.create",
    extend("oneOf" = [{"required": ["beneficiary"]}, {"required": ["beneficiary_id"]}])
)]
pub struct PayoutCreate {
    /// 1–128 characters of `[A-Za-z0-9._:-]`. The same key with the same body returns the same
    /// order with `"duplicate": true`; with another body it is `idempotency_conflict`.
    pub idempotency_key: IdempotencyKey,
    /// A configured provider instance; without it routing rules choose by currency and rail.
    #[serde(default)]
    pub provider: Option<ProviderId>,
    pub amount: AmountInput,
    pub currency: Currency,
    #[serde(default)]
    pub external_id: Option<ExternalId>,
    /// The beneficiary's details, by `rail`.
    #[serde(default)]
    pub beneficiary: Option<PayoutBeneficiary>,
    /// A registered ACTIVE beneficiary (instead of `beneficiary`).
    #[serde(default)]
    pub beneficiary_id: Option<OrderId>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// `giro.cmd.payout.cancel` (cancel an order not yet handed to a provider) and
/// `giro.query.order.get` (an order's state rebuilt from its events).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Order reference")]
pub struct OrderRef {
    pub order_id: OrderId,
    /// Why the order is cancelled (kept on `payout.cancelled`; ignored by queries).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `giro.cmd.charge.refund`: give money back to the payer of a paid charge, at most what is still
/// refundable; without `amount`, all of it. The executor asks the provider; `charge.refunded`
/// follows its report.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.charge.refund")]
pub struct ChargeRefund {
    pub order_id: OrderId,
    /// A decimal string (a JSON number is accepted too), in the charge's currency.
    #[serde(default)]
    pub amount: Option<AmountInput>,
    /// Why the money goes back (kept on `charge.refund_requested`).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `giro.cmd.charge.create`: accept a charge (pay-in) order, A55's create-charge in snake_case.
/// Raw card data is refused with `card_data_not_accepted`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.charge.create")]
pub struct ChargeCreate {
    /// 1–128 characters of `[A-Za-z0-9._:-]`.
    pub idempotency_key: IdempotencyKey,
    /// A configured provider instance (`a55`); without it, the A55 instance taking the currency.
    #[serde(default)]
    pub provider: Option<ProviderId>,
    /// The amount of each installment.
    pub amount: AmountInput,
    #[schemars(range(min = 1, max = 24))]
    pub installment_count: u32,
    pub currency: Currency,
    pub method: ChargeMethod,
    pub payer: Payer,
    pub due_date: NaiveDate,
    #[schemars(length(min = 1))]
    pub description: String,
    /// `false` to authorise a card without capturing it.
    #[serde(default)]
    pub capture: Option<bool>,
    /// Where the hosted checkout sends the payer back to (http or https).
    #[serde(default)]
    #[schemars(regex(pattern = r"^https?://"))]
    pub redirect_url: Option<String>,
    #[serde(default)]
    pub subscription: Option<Subscription>,
    #[serde(default)]
    pub external_id: Option<ExternalId>,
    #[serde(default)]
    pub metadata: Option<ChargeMetadata>,
}

/// `giro.cmd.beneficiary.register`: validate and register a KillB account for later payouts.
/// Which `data` fields an account needs, and which it may not have, depends on its `type`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.beneficiary.register", transform = account_type_rules)]
pub struct BeneficiaryRegister {
    /// 1–128 characters of `[A-Za-z0-9._:-]`.
    pub idempotency_key: IdempotencyKey,
    #[serde(rename = "type")]
    pub account_type: AccountType,
    #[serde(default)]
    pub external_id: Option<ExternalId>,
    pub data: AccountData,
}

/// The `data` fields each KillB account type uses beyond the holder and contact fields (as
/// `AccountData::validate` checks them): (type, required, optional).
const ACCOUNT_TYPE_FIELDS: &[(&str, &[&str])] = &[
    ("PSE", &["account_number", "bank_code", "account_type"]),
    ("SPEI", &["clabe", "clabe_type"]),
    (
        "ACH",
        &[
            "bank_name",
            "routing_number",
            "account_number",
            "account_type",
        ],
    ),
    (
        "WIRE",
        &[
            "bank_name",
            "routing_number",
            "account_number",
            "account_type",
        ],
    ),
    ("TRANSFIYA", &[]),
    ("WALLET", &["currency", "network", "address"]),
];

/// Every type-specific `data` field.
const TYPE_SPECIFIC: &[&str] = &[
    "account_number",
    "bank_code",
    "account_type",
    "bank_name",
    "routing_number",
    "clabe",
    "clabe_type",
    "currency",
    "network",
    "address",
];

/// Adds, per account type, the `data` fields it requires and those it may not carry.
fn account_type_rules(schema: &mut Schema) {
    let rules: Vec<Value> = ACCOUNT_TYPE_FIELDS
        .iter()
        .map(|(t, used)| {
            let forbidden: Map<String, Value> = TYPE_SPECIFIC
                .iter()
                .filter(|f| !used.contains(f))
                .map(|f| (f.to_string(), Value::Bool(false)))
                .collect();
            serde_json::json!({
                "if": {"properties": {"type": {"const": t}}, "required": ["type"]},
                "then": {"properties": {"data": {"required": used, "properties": forbidden}}},
            })
        })
        .collect();
    schema.insert("allOf".into(), Value::Array(rules));
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

/// A refused command: `{"ok": false, "error": {"code", "message", "field"}}`. The reply also
/// carries the service-API headers `Nats-Service-Error` and `Nats-Service-Error-Code` (400 bad
/// input, 404 unknown order, 409 conflict, 503 retry later).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Refused {
    #[schemars(extend("const" = false))]
    pub ok: bool,
    pub error: Rejection,
}

/// A command on an order was done (or was a repeat that appended nothing).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "Accepted_{S}")]
pub struct Accepted<S> {
    #[schemars(extend("const" = true))]
    pub ok: bool,
    pub order_id: OrderId,
    /// The order's status after the command.
    pub status: S,
    /// True when the command repeated an earlier one (same idempotency key and body, or a
    /// cancel of a cancelled order) and appended nothing.
    pub duplicate: bool,
}

/// A beneficiary registration was done (or was a repeat that appended nothing).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BeneficiaryAccepted {
    #[schemars(extend("const" = true))]
    pub ok: bool,
    pub beneficiary_id: OrderId,
    /// As KillB reports it; PENDING until it does.
    pub status: BeneficiaryStatus,
    pub duplicate: bool,
}

/// The kinds of orders.
#[derive(Debug, Clone, Copy, JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum Kind {
    Payout,
    Charge,
    Beneficiary,
}

/// The status of an order of any kind.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum AnyStatus {
    Payout(PayoutStatus),
    Charge(ChargeStatus),
    Beneficiary(BeneficiaryStatus),
}

/// One event of the order's history, masked.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HistoryEntry {
    pub version: u64,
    /// The event type, e.g. `payout.requested`.
    #[schemars(rename = "type")]
    pub event_type: String,
    pub at: DateTime<Utc>,
    /// The event's data with personal fields masked.
    pub data: Value,
}

/// A payout's current state.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PayoutSummary {
    pub provider: ProviderId,
    #[schemars(with = "AmountString")]
    pub amount: String,
    pub currency: Currency,
    pub external_id: Option<String>,
    pub idempotency_key: IdempotencyKey,
    /// The beneficiary with personal fields masked.
    pub beneficiary: Map<String, Value>,
    /// The current or last submission attempt (0 before the first).
    pub attempt: u32,
    pub outcome_unknown: bool,
    pub provider_ref: Option<String>,
    #[schemars(with = "Option<DecimalString>")]
    pub fee: Option<String>,
    pub failure: Option<Failure>,
    pub status_since: DateTime<Utc>,
}

/// A charge's current state.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ChargeSummary {
    pub provider: ProviderId,
    /// The amount of each installment.
    #[schemars(with = "AmountString")]
    pub amount: String,
    pub currency: Currency,
    pub installment_count: u32,
    pub method: ChargeMethod,
}

/// The order's current state (payouts and charges).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum OrderSummary {
    Payout(PayoutSummary),
    Charge(ChargeSummary),
}

/// `giro.query.order.get`: the order's state rebuilt from its events (not from a projection)
/// and its history, personal fields masked.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OrderView {
    #[schemars(extend("const" = true))]
    pub ok: bool,
    pub order_id: OrderId,
    pub kind: Kind,
    pub status: AnyStatus,
    /// The number of the order's events.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub history: Vec<HistoryEntry>,
    /// Payouts and charges only.
    #[schemars(default)]
    pub order: Option<OrderSummary>,
}

/// The reply to a command: its success body, or a refusal.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
#[schemars(rename = "Reply_{T}")]
pub enum Reply<T> {
    Done(T),
    Refused(Refused),
}

/// Reply to `giro.cmd.payout.create` and `giro.cmd.payout.cancel`.
pub type PayoutReply = Reply<Accepted<PayoutStatus>>;
/// Reply to `giro.cmd.charge.create`.
pub type ChargeReply = Reply<Accepted<ChargeStatus>>;
/// Reply to `giro.cmd.beneficiary.register`.
pub type BeneficiaryReply = Reply<BeneficiaryAccepted>;
/// Reply to `giro.query.order.get`.
pub type OrderGetReply = Reply<OrderView>;
