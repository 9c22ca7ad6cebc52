//! What a charge order is made of: the accepted request and its parts, as `charge.requested`
//! stores them and the executor reads them to call the provider.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
    pub street: String,
    pub address_number: String,
    pub complement: String,
    pub neighborhood: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
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
}

impl ChargeRequested {
    /// What the payer is charged in all: the charge's amount, whatever the installments. The
    /// amount a provider must report as charged, and the ceiling of every refund.
    pub fn total(&self) -> Decimal {
        self.money.amount()
    }
}
