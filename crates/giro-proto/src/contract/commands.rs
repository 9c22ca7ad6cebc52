//! Command bodies (docs/CONTRACT.md §1): what a client sends to `giro.cmd.*` and `giro.query.*`.

use chrono::NaiveDate;
use giro_domain::beneficiary::{AccountData, AccountType};
use giro_domain::charge::{Address, AntifraudInfo, ChargeMethod, DeviceInfo, Payer, Subscription};
use giro_domain::rail::PayoutBeneficiary;
use giro_domain::{Currency, IdempotencyKey, OrderId, ProviderId};
use schemars::{JsonSchema, Schema};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::parts::{AmountInput, ChargeMetadata, ExternalId, Metadata};

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
    /// When to make the payout: an RFC 3339 instant with its offset, still to come and at most
    /// 366 days ahead. Until then the payout is `scheduled` (no provider sees it) and may be
    /// cancelled; without it the payout is made at once.
    #[serde(default)]
    pub execute_at: Option<chrono::DateTime<chrono::FixedOffset>>,
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

/// `giro.cmd.privacy.erase`: erase the personal data of a final payout or charge (`order_id`),
/// or of a registered beneficiary (`beneficiary_id`). The order records
/// `*.personal_data_erased` and its key is destroyed: its personal fields read `[erased]`
/// everywhere from then on, its amounts, statuses and history stay. An order that is not final
/// is refused with `invalid_state`; a repeat is `"duplicate": true`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
#[schemars(title = "giro.cmd.privacy.erase")]
pub enum PrivacyErase {
    /// A payout or a charge.
    Order {
        order_id: OrderId,
        reason: ErasureReason,
    },
    /// A registered beneficiary (the payouts made to it are erased by their own `order_id`).
    Beneficiary {
        beneficiary_id: OrderId,
        reason: ErasureReason,
    },
}

/// Why the personal data is erased (a data subject's request, the end of a retention period),
/// kept on the erasure event.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ErasureReason(#[schemars(length(min = 1, max = 500))] pub String);

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
    /// The charge's total, which the provider splits into `installment_count` equal installments
    /// (150.00 in 3 is three of 50.00); a total that does not split evenly at the provider's
    /// precision is refused naming `installment_count`.
    pub amount: AmountInput,
    /// 1 for a single payment; no upper bound (the provider's page states none).
    #[schemars(range(min = 1))]
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
    /// Process asynchronously where the provider can.
    #[serde(default)]
    pub is_async: Option<bool>,
    /// Where the goods go: the payer address's structure and rules.
    #[serde(default)]
    pub shipping_address: Option<Address>,
    /// Behavioural data for fraud scoring.
    #[serde(default)]
    pub antifraud_info: Option<AntifraudInfo>,
    /// `true` forces 3-D Secure (card methods only).
    #[serde(default)]
    pub threeds_authentication: Option<bool>,
    /// The payer's browser and device for 3-D Secure (card methods only).
    #[serde(default)]
    pub device_info: Option<DeviceInfo>,
    /// The payment token object of Apple Pay or Google Pay (`applepay`, `googlepay` only):
    /// sealed in events, never shown.
    #[serde(default)]
    pub wallet_token: Option<Map<String, Value>>,
}

/// `giro.cmd.charge.capture`: capture an authorised charge (created with `"capture": false`),
/// wholly or `amount` of it, at most the authorised total. Only an `authorized` charge not yet
/// captured; anything else is refused in the reply. The executor asks the provider;
/// `charge.captured` follows its report.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.charge.capture")]
pub struct ChargeCapture {
    pub order_id: OrderId,
    /// A decimal string (a JSON number is accepted too), in the charge's currency.
    #[serde(default)]
    pub amount: Option<AmountInput>,
    /// Why it is captured (kept on `charge.capture_requested`).
    #[serde(default)]
    pub reason: Option<String>,
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
    /// The accounts provider's user the account is linked to (1 to 100 printable characters
    /// without spaces); when absent, the configured default user (docs/CONTRACT.md).
    #[serde(default)]
    #[schemars(length(min = 1, max = 100), regex(pattern = r"^[!-~]+$"))]
    pub user_id: Option<String>,
    pub data: AccountData,
}

/// `giro.cmd.beneficiary.update`: change some of a registered account's updatable fields at the
/// accounts provider (which may verify it again: PENDING). Only `document`, `clabe`,
/// `clabe_type`, `address`, `account_number` and `bank_code` can change; the result is checked as
/// a registration is.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.beneficiary.update")]
pub struct BeneficiaryUpdate {
    pub beneficiary_id: OrderId,
    #[schemars(extend("minProperties" = 1))]
    pub data: giro_domain::beneficiary::AccountChanges,
    /// Why (kept on `beneficiary.update_requested`), 1 to 500 characters.
    #[serde(default)]
    #[schemars(length(min = 1, max = 500))]
    pub reason: Option<String>,
}

/// `giro.cmd.beneficiary.remove`: delete the account at the accounts provider; the beneficiary
/// becomes INACTIVE for good (no more payouts). Refused by the provider while a payout to it is
/// on its way (`beneficiary.removal_failed`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.beneficiary.remove")]
pub struct BeneficiaryRemove {
    pub beneficiary_id: OrderId,
    /// Why (kept on `beneficiary.removal_requested`), 1 to 500 characters.
    #[serde(default)]
    #[schemars(length(min = 1, max = 500))]
    pub reason: Option<String>,
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

/// `giro.cmd.payout_batch.create`: accept a batch of payouts (payroll, supplier runs) with its
/// first part of items. A part is accepted whole or refused whole, each invalid item named by
/// its position with its own error.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.payout_batch.create")]
pub struct PayoutBatchCreate {
    /// 1–128 characters of `[A-Za-z0-9._:-]`: the batch's own key. The same key with the same
    /// body is `"duplicate": true`; with another body `idempotency_conflict`.
    pub idempotency_key: IdempotencyKey,
    /// How many items the batch has in all, 1–10,000 (default: the items given here); the
    /// rest come with `giro.cmd.payout_batch.add_items`.
    #[serde(default)]
    #[schemars(range(min = 1, max = 10000))]
    pub item_count: Option<u32>,
    /// The first part: bodies of `giro.cmd.payout.create`, read by exactly its rules; each
    /// item's `idempotency_key` is its payout's own.
    #[schemars(length(min = 1, max = 10000))]
    pub items: Vec<PayoutCreate>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// `giro.cmd.payout_batch.add_items`: the next part of a batch's items.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.payout_batch.add_items")]
pub struct PayoutBatchAddItems {
    pub batch_id: OrderId,
    /// The position of the part's first item in the batch, from 0: the number of items the
    /// batch holds so far (a part already given is a repeat).
    pub first_item: u32,
    #[schemars(length(min = 1, max = 10000))]
    pub items: Vec<PayoutCreate>,
}

/// `giro.cmd.payout_batch.cancel`: cancel every item of a batch that no provider has yet
/// (`scheduled`, `requested`, `held`); items a provider has continue.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "giro.cmd.payout_batch.cancel")]
pub struct PayoutBatchCancel {
    pub batch_id: OrderId,
    /// Why (kept on `payout_batch.cancel_requested` and each `payout.cancelled`).
    #[serde(default)]
    pub reason: Option<String>,
}
