//! What a charge order is made of: the accepted request and its parts, as `charge.requested`
//! stores them and the executor reads them to call the provider.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::extras::{AntifraudInfo, DeviceInfo};
use crate::ids::{IdempotencyKey, ProviderId};
use crate::money::Money;
use crate::secret::{Pii, pii};

/// Payment methods A55 offers through one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChargeMethod {
    CreditCard,
    DebitCard,
    Pix,
    Boleto,
    Applepay,
    Googlepay,
}

/// Billing address of the payer (A55 `payer_address`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub street: String,
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub address_number: String,
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub complement: String,
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub neighborhood: String,
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub city: String,
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub state: String,
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2; the wallet's country when absent.
    #[cfg_attr(feature = "schema", schemars(regex(pattern = r"^[A-Z]{2}$")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Who pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Payer {
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::initials")]
    pub name: Pii,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::email")]
    pub email: Pii,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::last_four")]
    pub tax_id: Pii,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::last_four")]
    pub phone: Pii,
    #[serde(deserialize_with = "crate::wire::object")]
    pub address: Address,
}

/// A recurring charge created with the first one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub cycle: SubscriptionCycle,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionCycle {
    Weekly,
    Biweekly,
    Monthly,
    Quarterly,
    Semiannually,
    Yearly,
}

/// An accepted charge order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChargeRequested {
    pub idempotency_key: IdempotencyKey,
    pub fingerprint: String,
    pub provider: ProviderId,
    /// The charge's total: what the payer is charged in all, split by the provider into
    /// `installment_count` equal installments (A55's `installment_value`, read as its seed page's
    /// example does: 150.00 in 3 installments is three of 50.00).
    #[serde(flatten)]
    pub money: Money,
    pub installment_count: u32,
    pub method: ChargeMethod,
    pub payer: Payer,
    pub due_date: NaiveDate,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<Subscription>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Asks the provider to process the charge asynchronously where it can (`is_async`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_async: Option<bool>,
    /// Where the goods go; the payer's address's structure and rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub antifraud_info: Option<AntifraudInfo>,
    /// Forces 3-D Secure on a card payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threeds_authentication: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_info: Option<DeviceInfo>,
    /// An Apple Pay or Google Pay payment token (its JSON text), sealed, never shown.
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_hidden")]
    pub wallet_token: Option<Pii>,
}

mod opt_hidden {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::secret::{MaskStyle, Pii, pii};

    pub fn serialize<S: Serializer>(v: &Option<Pii>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => pii::hidden::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Pii>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|v| Pii::open(v, MaskStyle::Hidden).map_err(serde::de::Error::custom))
            .transpose()
    }
}

impl ChargeRequested {
    /// What the payer is charged in all: the charge's amount, whatever the installments. The
    /// amount a provider must report as charged, and the ceiling of every refund.
    pub fn total(&self) -> Decimal {
        self.money.amount()
    }
}
