//! Mexican SPEI destinations, one check per KillB `clabeType`: CLABE, DEBIT_CARD, PHONE_NUMBER.

use super::{CheckError, fixed_digits, mod10_complement};

/// Ok only for an 18-digit CLABE whose 18th digit is its check digit: the first 17 digits weighted
/// 3, 7, 1, 3, 7, 1, …, each product taken mod 10, and the check digit `(10 - sum mod 10) mod 10`.
/// This catches any single mistyped digit. The bank and branch codes inside are not looked up.
pub fn clabe(s: &str) -> Result<(), CheckError> {
    let [body @ .., found] = fixed_digits::<18>(s, "18 digits")?;
    let sum: u32 = body
        .iter()
        .zip([3u8, 7, 1].iter().cycle())
        .map(|(d, w)| u32::from(d * w % 10))
        .sum();
    let expected = mod10_complement(sum);
    if found == expected {
        Ok(())
    } else {
        Err(CheckError::CheckDigit {
            what: "CLABE",
            found,
            expected,
        })
    }
}

/// Ok only for a 16-digit card number that passes the Luhn check (its last digit is the Luhn check
/// digit of the first 15). Whether the card exists or is a debit card is not knowable here.
pub fn debit_card(s: &str) -> Result<(), CheckError> {
    let [body @ .., found] = fixed_digits::<16>(s, "16 digits")?;
    // Walking right to left, the digit next to the check digit is doubled, then every other one.
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            match (i % 2 == 0, d * 2) {
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
                (false, _) => d,
            }
        })
        .sum();
    let expected = mod10_complement(sum);
    if found == expected {
        Ok(())
    } else {
        Err(CheckError::CheckDigit {
            what: "card number (Luhn)",
            found,
            expected,
        })
    }
}

/// Ok only for a 10-digit Mexican phone number, written without the +52 country code (the form
/// KillB's PHONE_NUMBER clabeType takes).
pub fn mx_phone(s: &str) -> Result<(), CheckError> {
    fixed_digits::<10>(s, "10 digits, without the +52 country code").map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clabe_published_examples() {
        // CLABE with check digit 9; the 17-digit body's check digit recomputed independently in Python.
        assert_eq!(clabe("032180000118359719"), Ok(()));
        // Wikipedia's CLABE example (Banamex), check digit 1.
        assert_eq!(clabe("002010077777777771"), Ok(()));
    }

    #[test]
    fn clabe_rejects_wrong_check_digit() {
        assert_eq!(
            clabe("032180000118359718"),
            Err(CheckError::CheckDigit {
                what: "CLABE",
                found: 8,
                expected: 9
            })
        );
        // The placeholder in KillB's accounts page (seed 002) is not a valid CLABE.
        assert_eq!(
            clabe("012345678901234567"),
            Err(CheckError::CheckDigit {
                what: "CLABE",
                found: 7,
                expected: 8
            })
        );
    }

    #[test]
    fn clabe_rejects_wrong_length_and_non_digits() {
        assert_eq!(
            clabe("03218000011835971"),
            Err(CheckError::Length {
                expected: "18 digits",
                got: 17
            })
        );
        assert_eq!(
            clabe("0321800001183597190"),
            Err(CheckError::Length {
                expected: "18 digits",
                got: 19
            })
        );
        assert_eq!(
            clabe(""),
            Err(CheckError::Length {
                expected: "18 digits",
                got: 0
            })
        );
        assert_eq!(
            clabe("03218000011835971a"),
            Err(CheckError::Character {
                position: 18,
                expected: "a digit"
            })
        );
        assert_eq!(
            clabe("032 80000118359719"),
            Err(CheckError::Character {
                position: 4,
                expected: "a digit"
            })
        );
        // Full-width digits are not ASCII digits.
        assert_eq!(
            clabe("０32180000118359719"),
            Err(CheckError::Character {
                position: 1,
                expected: "a digit"
            })
        );
    }

    #[test]
    fn clabe_message_names_digits_not_value() {
        let message = clabe("032180000118359718").map_err(|e| e.to_string());
        assert_eq!(
            message,
            Err("CLABE check digit is 8, expected 9".to_string())
        );
    }

    #[test]
    fn debit_card_luhn() {
        // Published test card numbers (Visa, Mastercard), Luhn-checked independently in Python.
        assert_eq!(debit_card("4111111111111111"), Ok(()));
        assert_eq!(debit_card("5555555555554444"), Ok(()));
        assert_eq!(debit_card("4012888888881881"), Ok(()));
        assert_eq!(
            debit_card("4111111111111112"),
            Err(CheckError::CheckDigit {
                what: "card number (Luhn)",
                found: 2,
                expected: 1
            })
        );
        assert_eq!(
            debit_card("411111111111111"),
            Err(CheckError::Length {
                expected: "16 digits",
                got: 15
            })
        );
        assert_eq!(
            debit_card("4111-11111111111"),
            Err(CheckError::Character {
                position: 5,
                expected: "a digit"
            })
        );
    }

    #[test]
    fn mx_phone_is_ten_digits() {
        assert_eq!(mx_phone("5512345678"), Ok(()));
        assert!(matches!(
            mx_phone("+525512345678"),
            Err(CheckError::Length { got: 13, .. })
        ));
        assert!(matches!(
            mx_phone("551234567"),
            Err(CheckError::Length { got: 9, .. })
        ));
        assert_eq!(
            mx_phone("55123456x8"),
            Err(CheckError::Character {
                position: 9,
                expected: "a digit"
            })
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = clabe(&s);
            let _ = debit_card(&s);
            let _ = mx_phone(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "[0-9０-９ -]{14,20}") {
            let _ = clabe(&s);
            let _ = debit_card(&s);
            let _ = mx_phone(&s);
        }

        #[test]
        fn exactly_one_check_digit_fits(body in "[0-9]{17}") {
            let valid = (0..10u8)
                .filter(|d| clabe(&format!("{body}{d}")).is_ok())
                .count();
            prop_assert_eq!(valid, 1);
        }

        #[test]
        fn any_single_digit_change_is_caught(body in "[0-9]{17}", at in 0usize..17, delta in 1u8..10) {
            let Some(check) = (0..10u8).find(|d| clabe(&format!("{body}{d}")).is_ok()) else {
                return Err(TestCaseError::fail("no check digit fits"));
            };
            let mut changed: Vec<u8> = body.bytes().collect();
            changed[at] = b'0' + (changed[at] - b'0' + delta) % 10;
            let changed = String::from_utf8(changed).unwrap_or_default();
            // Weight 1 columns change the sum by delta; 3 and 7 are units mod 10, so no change vanishes.
            let candidate = format!("{changed}{check}");
            prop_assert!(clabe(&candidate).is_err());
        }
    }
}
