//! Picking an outcome deterministically: the last two digits of an order's whole-unit amount.
//!
//! A caller (Giro's executor, an end-to-end test) controls the amount but not the provider ids or
//! the idempotency handle, so the amount is what selects the scenario. Each provider reads the
//! codes in its own words; the table is in the crate README and in `giro sandbox --help`.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// The outcome an amount asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// Any code not listed below.
    Success,
    /// `…11`
    Fail1,
    /// `…12`
    Fail2,
    /// `…13`
    Fail3,
    /// `…14`
    Fail4,
    /// `…15`
    Fail5,
    /// `…16`
    Cancel,
    /// `…17`: succeeds, then the success is reversed.
    ReverseSuccess,
    /// `…18`: fails, then the failure is reversed into a success.
    ReverseFailure,
    /// `…19`: stays in flight forever (for reconciler tests).
    Stuck,
}

/// The code whose order succeeds but is paid short (see [`paid`]).
const SHORT_PAID: u8 = 21;

/// The last two digits of `amount`'s whole units.
fn code(amount: Decimal) -> u8 {
    (amount.trunc().abs() % Decimal::ONE_HUNDRED)
        .to_u8()
        .unwrap_or(0)
}

/// The amount the provider actually pays (and reports) when asked for `asked`: the same, except
/// that `…21` (an order that otherwise succeeds, [`Scenario::Success`]) is paid 1 % less,
/// truncated to `scale` decimals (the provider's precision for the currency), for reconciliation
/// tests. Never more than asked. The status plan still follows the asked amount.
pub(crate) fn paid(asked: Decimal, scale: u32) -> Decimal {
    if code(asked) == SHORT_PAID {
        (asked * Decimal::new(99, 2)).round_dp_with_strategy(scale, RoundingStrategy::ToZero)
    } else {
        asked
    }
}

impl Scenario {
    /// The scenario selected by `amount` (sign and fraction ignored).
    pub(crate) fn of(amount: Decimal) -> Self {
        match code(amount) {
            11 => Self::Fail1,
            12 => Self::Fail2,
            13 => Self::Fail3,
            14 => Self::Fail4,
            15 => Self::Fail5,
            16 => Self::Cancel,
            17 => Self::ReverseSuccess,
            18 => Self::ReverseFailure,
            19 => Self::Stuck,
            _ => Self::Success,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_whole_units() {
        assert_eq!(Scenario::of(Decimal::new(500_000, 0)), Scenario::Success);
        assert_eq!(Scenario::of(Decimal::new(1_001_150, 2)), Scenario::Fail1);
        assert_eq!(Scenario::of(Decimal::new(10_019, 0)), Scenario::Stuck);
        assert_eq!(
            Scenario::of(Decimal::new(10_017, 0)),
            Scenario::ReverseSuccess
        );
        assert_eq!(Scenario::of(Decimal::new(10_121, 0)), Scenario::Success);
    }

    #[test]
    fn code_21_is_paid_one_percent_less_truncated() {
        assert_eq!(paid(Decimal::new(10_121, 0), 0), Decimal::new(10_019, 0));
        assert_eq!(
            paid(Decimal::new(50_002_150, 2), 0),
            Decimal::new(495_021, 0)
        );
        assert_eq!(paid(Decimal::new(12_150, 2), 2), Decimal::new(12_028, 2));
        assert_eq!(paid(Decimal::new(10_000, 0), 0), Decimal::new(10_000, 0));
    }
}
