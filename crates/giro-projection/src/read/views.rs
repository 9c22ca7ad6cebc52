//! The rows as the API returns them. Personal data is stored masked, so these are safe to show.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use sqlx::FromRow;
use uuid::Uuid;

use super::{Cursor, Keyed};

/// A payout row (`giro.payouts`). Amounts are decimal strings.
#[derive(Debug, Clone, Serialize, FromRow)]
pub(crate) struct PayoutView {
    pub order_id: Uuid,
    pub provider: String,
    pub status: String,
    pub amount: Decimal,
    pub currency: String,
    pub rail: String,
    pub external_id: Option<String>,
    pub idempotency_key: String,
    pub provider_ref: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub beneficiary_masked: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status_since: DateTime<Utc>,
    pub terminal_at: Option<DateTime<Utc>>,
    pub version: i64,
    /// When the caller asked the payout to be made (`execute_at`); `None` for at once.
    pub execute_at: Option<DateTime<Utc>>,
    /// What the provider reported on the current attempt: its status word, the amount and currency it says it
    /// moved, its fee, when it says it completed (as it wrote it) and the bank or wallet
    /// network's reference.
    pub provider_status: Option<String>,
    pub reported_amount: Option<Decimal>,
    pub reported_currency: Option<String>,
    pub fee: Option<Decimal>,
    pub provider_completed_at: Option<String>,
    pub channel_ref: Option<String>,
}

impl Keyed for PayoutView {
    fn key(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.order_id,
        }
    }
}

/// A charge row (`giro.charges`); `amount` is the charge's total, split across its installments (A55 `installment_value`).
#[derive(Debug, Clone, Serialize, FromRow)]
pub(crate) struct ChargeView {
    pub order_id: Uuid,
    pub provider: String,
    pub status: String,
    pub amount: Decimal,
    pub currency: String,
    pub installment_count: i32,
    pub method: String,
    pub external_id: Option<String>,
    pub idempotency_key: String,
    pub payer_masked: Value,
    pub due_date: NaiveDate,
    pub description: String,
    pub provider_ref: Option<String>,
    pub payment_url: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub refunded_amount: Decimal,
    /// The provider's latest status word on the current attempt (A55's `paid`, …).
    pub provider_status: Option<String>,
    /// What the provider last reported charging (`local_currency`) and in which currency.
    pub reported_amount: Option<Decimal>,
    pub reported_currency: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status_since: DateTime<Utc>,
    pub terminal_at: Option<DateTime<Utc>>,
    pub version: i64,
}

impl Keyed for ChargeView {
    fn key(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.order_id,
        }
    }
}

/// A beneficiary row (`giro.beneficiaries`); `status` is KillB's (`PENDING`, `ACTIVE`, …).
#[derive(Debug, Clone, Serialize, FromRow)]
pub(crate) struct BeneficiaryView {
    pub beneficiary_id: Uuid,
    pub account_type: String,
    pub status: String,
    pub external_id: Option<String>,
    pub idempotency_key: String,
    pub provider_ref: Option<String>,
    pub data_masked: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Keyed for BeneficiaryView {
    fn key(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.beneficiary_id,
        }
    }
}
