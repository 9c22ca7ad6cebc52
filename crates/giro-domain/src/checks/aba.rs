//! US ACH and wire destinations: the ABA routing transit number.

use super::{CheckError, fixed_digits, mod10_complement};

/// Ok only for a 9-digit ABA routing number whose checksum holds:
/// `3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10)`. On failure the message gives the ninth
/// digit that would satisfy it. Whether the number is assigned to a bank is not checked.
pub fn aba_routing(s: &str) -> Result<(), CheckError> {
    let [d1, d2, d3, d4, d5, d6, d7, d8, found] = fixed_digits::<9>(s, "9 digits")?;
    let sum = |a: u8, b: u8, c: u8| u32::from(a) + u32::from(b) + u32::from(c);
    let weighted = 3 * sum(d1, d4, d7) + 7 * sum(d2, d5, d8) + sum(d3, d6, 0);
    let expected = mod10_complement(weighted);
    if found == expected {
        Ok(())
    } else {
        Err(CheckError::CheckDigit {
            what: "ABA routing number",
            found,
            expected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn published_routing_numbers_pass() {
        // JPMorgan Chase NY (also the example in KillB's accounts page), Bank of America,
        // Wells Fargo, Federal Reserve Bank of Boston; checksums recomputed independently in Python.
        for rtn in ["021000021", "026009593", "121000358", "011000015"] {
            assert_eq!(aba_routing(rtn), Ok(()), "{rtn}");
        }
    }

    #[test]
    fn wrong_checksum_fails() {
        assert_eq!(
            aba_routing("021000022"),
            Err(CheckError::CheckDigit {
                what: "ABA routing number",
                found: 2,
                expected: 1
            })
        );
        assert_eq!(
            aba_routing("021000022").map_err(|e| e.to_string()),
            Err("ABA routing number check digit is 2, expected 1".to_string())
        );
    }

    #[test]
    fn wrong_shape_fails() {
        assert_eq!(
            aba_routing("02100002"),
            Err(CheckError::Length {
                expected: "9 digits",
                got: 8
            })
        );
        assert_eq!(
            aba_routing("0210000210"),
            Err(CheckError::Length {
                expected: "9 digits",
                got: 10
            })
        );
        assert_eq!(
            aba_routing("02100O021"),
            Err(CheckError::Character {
                position: 6,
                expected: "a digit"
            })
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = aba_routing(&s);
        }

        #[test]
        fn exactly_one_ninth_digit_fits(body in "[0-9]{8}") {
            let valid = (0..10u8)
                .filter(|d| aba_routing(&format!("{body}{d}")).is_ok())
                .count();
            prop_assert_eq!(valid, 1);
        }
    }
}
