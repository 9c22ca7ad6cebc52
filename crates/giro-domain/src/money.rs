//! Exact money. Amounts are `rust_decimal::Decimal` from the wire to the provider call; a float never
//! holds an amount. What a currency allows (its exponent) and what a provider allows (its range and
//! precision) are checked separately, because COP has cents in ISO 4217 but none at A55 or KillB.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Currencies Giro moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Currency {
    COP,
    TZS,
    BRL,
    MXN,
    CLP,
    PEN,
    ARS,
    USD,
}

impl Currency {
    pub const ALL: [Currency; 8] = [
        Currency::COP,
        Currency::TZS,
        Currency::BRL,
        Currency::MXN,
        Currency::CLP,
        Currency::PEN,
        Currency::ARS,
        Currency::USD,
    ];

    /// Decimal places the currency itself has (ISO 4217). A provider may allow fewer.
    pub fn exponent(self) -> u32 {
        match self {
            Currency::CLP => 0,
            _ => 2,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Currency::COP => "COP",
            Currency::TZS => "TZS",
            Currency::BRL => "BRL",
            Currency::MXN => "MXN",
            Currency::CLP => "CLP",
            Currency::PEN => "PEN",
            Currency::ARS => "ARS",
            Currency::USD => "USD",
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| format!("{s:?} is not a supported currency"))
    }
}

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount must be a plain decimal string like \"500000\" or \"150.25\"")]
    Malformed,
    #[error("amount must be greater than zero")]
    NotPositive,
    /// Well written, but with more whole digits than any amount has: no provider takes it.
    #[error("amount {0} is beyond every provider's range")]
    TooLarge(String),
    /// Well written, but with more decimal places than an exact decimal holds (28 digits in all).
    #[error("amount has {0} decimal places, more than any currency allows")]
    TooPrecise(u32),
    #[error("{currency} allows at most {allowed} decimal places here, got {got}")]
    Precision {
        currency: Currency,
        allowed: u32,
        got: u32,
    },
    #[error("{currency} amount must be between {min} and {max}, got {got}")]
    OutOfRange {
        currency: Currency,
        min: Decimal,
        max: Decimal,
        got: Decimal,
    },
}

/// A positive amount in a currency, with no more decimal places than the currency has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(try_from = "MoneyWire")]
pub struct Money {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AmountString"))]
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Checks positivity and the currency's exponent; trailing zeros are not precision
    /// (`"100.50"` is two places, `"100.00"` is none).
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, AmountError> {
        if amount <= Decimal::ZERO {
            return Err(AmountError::NotPositive);
        }
        let amount = amount.normalize();
        if amount.scale() > currency.exponent() {
            return Err(AmountError::Precision {
                currency,
                allowed: currency.exponent(),
                got: amount.scale(),
            });
        }
        Ok(Money { amount, currency })
    }

    /// Parses the wire form: digits with an optional fraction, no sign, exponent or spaces.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, AmountError> {
        Money::new(parse_plain_decimal(amount)?, currency)
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }
}

/// Stored money is checked again when read, so a hand-edited or foreign event cannot smuggle in a
/// negative or over-precise amount.
#[derive(Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct MoneyWire {
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::AmountString"))]
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

impl TryFrom<MoneyWire> for Money {
    type Error = AmountError;
    fn try_from(w: MoneyWire) -> Result<Self, Self::Error> {
        Money::new(w.amount, w.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Parses `^[0-9]+(\.[0-9]+)?$` into a Decimal exactly; anything else (including `1e5`, `-1`, `.5`)
/// is `Malformed`. A well-written number beyond Decimal's 28 digits is `TooLarge` when its whole
/// part alone has more than 13 digits (no provider's range comes near), else `TooPrecise`: it is
/// refused for what is wrong with it, never rounded.
pub fn parse_plain_decimal(s: &str) -> Result<Decimal, AmountError> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(AmountError::Malformed);
    }
    Decimal::from_str_exact(s).map_err(|_| {
        if int.trim_start_matches('0').len() > 13 {
            AmountError::TooLarge(s.to_string())
        } else {
            let places = frac.unwrap_or_default().trim_end_matches('0').len();
            AmountError::TooPrecise(u32::try_from(places).unwrap_or(u32::MAX))
        }
    })
}

/// What one provider accepts for one currency: an inclusive range and a number of decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmountRule {
    pub min: Decimal,
    pub max: Decimal,
    /// Decimal places the provider keeps; an amount with more would be truncated by it, so Giro
    /// refuses it instead.
    pub scale: u32,
}

impl AmountRule {
    pub fn check(&self, money: &Money) -> Result<(), AmountError> {
        let amount = money.amount();
        if amount.scale() > self.scale {
            return Err(AmountError::Precision {
                currency: money.currency(),
                allowed: self.scale,
                got: amount.scale(),
            });
        }
        if amount < self.min || amount > self.max {
            return Err(AmountError::OutOfRange {
                currency: money.currency(),
                min: self.min,
                max: self.max,
                got: amount,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn parses_plain_decimals_only() {
        assert_eq!(parse_plain_decimal("500000").unwrap(), dec("500000"));
        assert_eq!(parse_plain_decimal("150.25").unwrap(), dec("150.25"));
        for bad in [
            "", "-1", "+1", "1e5", ".5", "5.", "1 000", "1,5", "0x10", "١٢",
        ] {
            assert_eq!(
                parse_plain_decimal(bad),
                Err(AmountError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(
            parse_plain_decimal("123456789012345678901234567890"),
            Err(AmountError::TooLarge(
                "123456789012345678901234567890".into()
            ))
        );
        assert_eq!(
            parse_plain_decimal("500000.000000000000000000000001"),
            Err(AmountError::TooPrecise(24))
        );
    }

    #[test]
    fn currency_exponent_is_enforced() {
        assert!(Money::parse("100.50", Currency::COP).is_ok());
        assert!(Money::parse("100.00", Currency::CLP).is_ok());
        assert!(matches!(
            Money::parse("100.5", Currency::CLP),
            Err(AmountError::Precision {
                allowed: 0,
                got: 1,
                ..
            })
        ));
        assert!(matches!(
            Money::parse("1.005", Currency::USD),
            Err(AmountError::Precision {
                allowed: 2,
                got: 3,
                ..
            })
        ));
        assert_eq!(
            Money::parse("0", Currency::USD),
            Err(AmountError::NotPositive)
        );
        assert_eq!(
            Money::parse("0.00", Currency::USD),
            Err(AmountError::NotPositive)
        );
    }

    #[test]
    fn provider_rule_refuses_what_it_would_truncate() {
        let cashy_tz = AmountRule {
            min: dec("500"),
            max: dec("3000000"),
            scale: 0,
        };
        assert!(
            cashy_tz
                .check(&Money::parse("500", Currency::TZS).unwrap())
                .is_ok()
        );
        assert!(
            cashy_tz
                .check(&Money::parse("3000000.00", Currency::TZS).unwrap())
                .is_ok()
        );
        assert!(matches!(
            cashy_tz.check(&Money::parse("500.50", Currency::TZS).unwrap()),
            Err(AmountError::Precision { .. })
        ));
        assert!(matches!(
            cashy_tz.check(&Money::parse("499", Currency::TZS).unwrap()),
            Err(AmountError::OutOfRange { .. })
        ));
        assert!(matches!(
            cashy_tz.check(&Money::parse("3000001", Currency::TZS).unwrap()),
            Err(AmountError::OutOfRange { .. })
        ));
    }

    #[test]
    fn money_serializes_amount_as_string() {
        let m = Money::parse("150.25", Currency::BRL).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount":"150.25","currency":"BRL"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }
}
