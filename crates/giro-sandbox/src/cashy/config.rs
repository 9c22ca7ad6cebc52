//! What a Cashy sandbox is started with: one merchant per country.

use std::net::SocketAddr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::dispatch::Ack;

/// A country Cashy pays out in; each is a separate merchant with its own id and key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Country {
    /// Colombia, COP bank accounts and e-wallets (seed 001).
    Co,
    /// Tanzania, TZS mobile wallets (seed 004).
    Tz,
}

impl Country {
    /// The provider name in introspection: `cashy-co` or `cashy-tz`.
    pub fn provider(self) -> &'static str {
        match self {
            Self::Co => "cashy-co",
            Self::Tz => "cashy-tz",
        }
    }

    /// The currency its payouts are in: `COP` or `TZS`.
    pub fn currency(self) -> &'static str {
        match self {
            Self::Co => "COP",
            Self::Tz => "TZS",
        }
    }

    /// The seed's acknowledgement form: CO wants body `SUCCESS`, TZ any HTTP 200/301/302.
    pub fn default_ack(self) -> Ack {
        match self {
            Self::Co => Ack::BodySuccess,
            Self::Tz => Ack::Status200Or3xx,
        }
    }
}

/// One merchant account.
#[derive(Clone, Debug, PartialEq)]
pub struct CashyMerchant {
    /// Which country's rules apply.
    pub country: Country,
    /// The numeric `MerchantId`.
    pub merchant_id: String,
    /// The key appended to bodies before hashing them into `Sign`.
    pub api_key: String,
    /// Starting balance.
    pub balance: Decimal,
    /// What counts as a received callback.
    pub ack: Ack,
    /// Fixed part of the fee charged on success.
    pub fee_fixed: Decimal,
    /// Proportional part of the fee charged on success.
    pub fee_rate: Decimal,
}

impl CashyMerchant {
    /// A Colombian merchant: COP, balance 1,000,000,000, fee 1 %, callbacks acknowledged by `SUCCESS`.
    pub fn colombia(merchant_id: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            country: Country::Co,
            merchant_id: merchant_id.into(),
            api_key: api_key.into(),
            balance: Decimal::new(1_000_000_000, 0),
            ack: Country::Co.default_ack(),
            fee_fixed: Decimal::ZERO,
            fee_rate: Decimal::new(1, 2),
        }
    }

    /// A Tanzanian merchant: TZS, balance 1,000,000,000, fee 5,000 + 0.25 % (60,000 → 5,150 as in
    /// seed 004), callbacks acknowledged by HTTP 200/301/302.
    pub fn tanzania(merchant_id: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            country: Country::Tz,
            merchant_id: merchant_id.into(),
            api_key: api_key.into(),
            balance: Decimal::new(1_000_000_000, 0),
            ack: Country::Tz.default_ack(),
            fee_fixed: Decimal::new(5000, 0),
            fee_rate: Decimal::new(25, 4),
        }
    }
}

/// Whether amounts go out as JSON numbers, strings, or alternately (the docs show both).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum AmountStyle {
    /// Always `60000.00`.
    Number,
    /// Always `"60000"`.
    String,
    /// Flip from one message to the next, so a client must read both.
    #[default]
    Alternate,
}

/// The Cashy simulator's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct CashyConfig {
    /// Where to listen; port 0 picks a free one.
    pub bind: SocketAddr,
    /// The merchants (normally one Colombian and one Tanzanian).
    pub merchants: Vec<CashyMerchant>,
    /// How amounts and fees are written in answers and callbacks.
    pub amount_style: AmountStyle,
}

impl CashyConfig {
    /// A Cashy sandbox on a free local port with these merchants.
    pub fn new(merchants: Vec<CashyMerchant>) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            merchants,
            amount_style: AmountStyle::default(),
        }
    }
}
