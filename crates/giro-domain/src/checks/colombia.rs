//! Colombian beneficiaries (KillB PSE/BREB, Cashy Colombia): identity documents, bank codes and
//! account numbers, and mobile numbers.

use super::{CheckError, all_digits, digits_between};

const DOCUMENT_TYPES: &str = "CC, CE, NIT, NUIP, TI, PASSPORT (or PA, PPT)";

/// Ok only if `number` has the shape of a Colombian document of type `doc_type` (matched without
/// regard to case). Digits only, no dots or spaces:
///
/// | type | number |
/// |---|---|
/// | CC (cédula de ciudadanía), NUIP (same number space) | 3–10 digits |
/// | CE (cédula de extranjería) | 3–10 digits |
/// | TI (tarjeta de identidad) | 6–11 digits |
/// | NIT (tax id) | 9–10 digits, optionally `-` and the DIAN check digit, which must then be right |
/// | PASSPORT, PA, PPT (Permiso por Protección Temporal) | 5–20 letters and digits |
///
/// Colombian identity numbers carry no check digit except the NIT's, so beyond the NIT's DV only the
/// shape is checked.
pub fn co_document(doc_type: &str, number: &str) -> Result<(), CheckError> {
    let is = |code: &str| doc_type.eq_ignore_ascii_case(code);
    if is("CC") || is("NUIP") || is("CE") {
        digits_between(number, 3, 10, "3 to 10 digits, without dots or spaces")
    } else if is("TI") {
        digits_between(number, 6, 11, "6 to 11 digits, without dots or spaces")
    } else if is("NIT") {
        nit(number)
    } else if is("PASSPORT") || is("PA") || is("PPT") {
        passport(number)
    } else {
        Err(CheckError::Unknown {
            what: "document type",
            expected: DOCUMENT_TYPES,
        })
    }
}

/// Ok only for 3 or 4 digits (`007`, KillB's `0007`): a bank code's shape ([`crate::bank_lists`]).
pub fn co_bank_code(s: &str) -> Result<(), CheckError> {
    digits_between(s, 3, 4, "3 or 4 digits, like 007 or 0007")
}

/// Ok only for 5 to 20 digits: the shape of a Colombian bank or e-wallet account number. Whether
/// the account exists at the bank is for the bank to say.
pub fn co_bank_account_number(s: &str) -> Result<(), CheckError> {
    digits_between(s, 5, 20, "5 to 20 digits, without dashes or spaces")
}

/// Ok only for a Colombian mobile number: 10 digits starting with 3, optionally preceded by the
/// country code as `+57` or `57` (`3001234567`, `573001234567`, `+573001234567`). Landlines and
/// separators are refused.
pub fn co_phone(s: &str) -> Result<(), CheckError> {
    let (plus, digits) = match s.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if let Some(i) = digits.chars().position(|c| !c.is_ascii_digit()) {
        let position = i + 1 + usize::from(plus);
        return Err(CheckError::Character {
            position,
            expected: "a digit",
        });
    }
    let national = match (plus, digits.len()) {
        (false, 10) => digits,
        (_, 12) => match digits.strip_prefix("57") {
            Some(national) => national,
            None => {
                return Err(CheckError::Prefix {
                    expected: "+57 or 57 when 12 digits long",
                });
            }
        },
        (true, _) => {
            return Err(CheckError::Length {
                expected: "+57 and 10 digits",
                got: s.len(),
            });
        }
        (false, _) => {
            return Err(CheckError::Length {
                expected: "10 digits starting with 3, optionally after +57",
                got: s.len(),
            });
        }
    };
    if national.starts_with('3') {
        Ok(())
    } else {
        Err(CheckError::Format(
            "a Colombian mobile number starts with 3 (after the +57 country code)",
        ))
    }
}

/// NIT: 9 or 10 digits, optionally followed by `-` and the check digit (DV), which is verified.
fn nit(s: &str) -> Result<(), CheckError> {
    let (base, dv) = match s.split_once('-') {
        Some((base, dv)) => (base, Some(dv)),
        None => (s, None),
    };
    all_digits(base)?;
    if !(9..=10).contains(&base.len()) {
        return Err(CheckError::Length {
            expected: "9 or 10 digits (then optionally - and the check digit)",
            got: base.len(),
        });
    }
    let found = match dv.map(str::as_bytes) {
        None => return Ok(()),
        Some([d]) if d.is_ascii_digit() => d - b'0',
        Some(_) => {
            return Err(CheckError::Format(
                "the NIT check digit after - must be a single digit",
            ));
        }
    };
    let expected = nit_check_digit(base);
    if found == expected {
        Ok(())
    } else {
        Err(CheckError::CheckDigit {
            what: "NIT",
            found,
            expected,
        })
    }
}

/// DIAN's NIT check digit: digits weighted from the right by 3, 7, 13, 17, 19, 23, 29, 37, 41, 43,
/// 47, 53, 59, 67, 71; `r = sum mod 11`; the digit is `r` if `r < 2`, else `11 - r`.
/// `base` must be ASCII digits, at most 15 of them.
fn nit_check_digit(base: &str) -> u8 {
    const WEIGHTS: [u32; 15] = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
    let sum: u32 = base
        .bytes()
        .rev()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b.wrapping_sub(b'0')) * w)
        .sum();
    match (sum % 11) as u8 {
        r @ (0 | 1) => r,
        r => 11 - r,
    }
}

/// Passports and PPT: 5 to 20 ASCII letters and digits.
fn passport(s: &str) -> Result<(), CheckError> {
    let got = s.chars().count();
    if !(5..=20).contains(&got) {
        return Err(CheckError::Length {
            expected: "5 to 20 letters and digits",
            got,
        });
    }
    match s.chars().position(|c| !c.is_ascii_alphanumeric()) {
        Some(i) => Err(CheckError::Character {
            position: i + 1,
            expected: "a letter or a digit",
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nit_check_digits_of_published_nits() {
        // DIAN 800.197.268-4, and 900373913-4 from the brief; the check digits were recomputed
        // independently in Python.
        assert_eq!(co_document("NIT", "900373913-4"), Ok(()));
        assert_eq!(co_document("NIT", "800197268-4"), Ok(()));
        assert_eq!(co_document("NIT", "860034313-7"), Ok(()));
        assert_eq!(co_document("NIT", "899999034-1"), Ok(()));
        assert_eq!(nit_check_digit("900373913"), 4);
        assert_eq!(nit_check_digit("890900608"), 9);
        assert_eq!(nit_check_digit("830122566"), 1);
    }

    #[test]
    fn nit_wrong_check_digit_fails() {
        assert_eq!(
            co_document("NIT", "900373913-5"),
            Err(CheckError::CheckDigit {
                what: "NIT",
                found: 5,
                expected: 4
            })
        );
        assert_eq!(
            co_document("nit", "900373913-5").map_err(|e| e.to_string()),
            Err("NIT check digit is 5, expected 4".to_string())
        );
    }

    #[test]
    fn nit_shapes() {
        assert_eq!(co_document("NIT", "900373913"), Ok(()));
        assert_eq!(co_document("NIT", "9003739134"), Ok(()));
        assert!(matches!(
            co_document("NIT", "90037391"),
            Err(CheckError::Length { got: 8, .. })
        ));
        assert_eq!(
            co_document("NIT", "90037391-4"),
            Err(CheckError::Length {
                expected: "9 or 10 digits (then optionally - and the check digit)",
                got: 8
            })
        );
        assert_eq!(
            co_document("NIT", "900.373.913-4"),
            Err(CheckError::Character {
                position: 4,
                expected: "a digit"
            })
        );
        assert_eq!(
            co_document("NIT", "900373913-"),
            Err(CheckError::Format(
                "the NIT check digit after - must be a single digit"
            ))
        );
        assert_eq!(
            co_document("NIT", "900373913-44"),
            Err(CheckError::Format(
                "the NIT check digit after - must be a single digit"
            ))
        );
        assert_eq!(
            co_document("NIT", "90037391x-4"),
            Err(CheckError::Character {
                position: 9,
                expected: "a digit"
            })
        );
    }

    #[test]
    fn personal_documents() {
        assert_eq!(co_document("CC", "1020304050"), Ok(()));
        assert_eq!(co_document("cc", "123"), Ok(()));
        // The NUIP example in KillB's accounts page (seed 002).
        assert_eq!(co_document("NUIP", "1234567890"), Ok(()));
        assert_eq!(co_document("CE", "123456"), Ok(()));
        assert_eq!(co_document("TI", "10203040506"), Ok(()));
        assert!(matches!(
            co_document("CC", "12"),
            Err(CheckError::Length { got: 2, .. })
        ));
        assert!(matches!(
            co_document("CC", "10203040501"),
            Err(CheckError::Length { got: 11, .. })
        ));
        assert_eq!(
            co_document("CC", "1.020.304"),
            Err(CheckError::Character {
                position: 2,
                expected: "a digit"
            })
        );
        assert!(matches!(
            co_document("TI", "102030405060"),
            Err(CheckError::Length { .. })
        ));
    }

    #[test]
    fn passports() {
        // The PASSPORT example in KillB's accounts page (seed 002).
        assert_eq!(co_document("PASSPORT", "AB123456"), Ok(()));
        assert_eq!(co_document("PA", "AB123456"), Ok(()));
        assert_eq!(co_document("PPT", "1234567"), Ok(()));
        assert!(matches!(
            co_document("PASSPORT", "AB12"),
            Err(CheckError::Length { got: 4, .. })
        ));
        assert_eq!(
            co_document("PASSPORT", "AB 123456"),
            Err(CheckError::Character {
                position: 3,
                expected: "a letter or a digit"
            })
        );
    }

    #[test]
    fn unknown_document_type() {
        assert_eq!(
            co_document("RFC", "LOMM900515ABC"),
            Err(CheckError::Unknown {
                what: "document type",
                expected: DOCUMENT_TYPES
            })
        );
        assert!(co_document("", "123456").is_err());
    }

    #[test]
    fn bank_account_numbers() {
        assert_eq!(co_bank_account_number("1234567890"), Ok(()));
        assert_eq!(co_bank_account_number("12345"), Ok(()));
        assert!(matches!(
            co_bank_account_number("1234"),
            Err(CheckError::Length { got: 4, .. })
        ));
        assert!(matches!(
            co_bank_account_number("123456789012345678901"),
            Err(CheckError::Length { got: 21, .. })
        ));
        assert_eq!(
            co_bank_account_number("123-456789"),
            Err(CheckError::Character {
                position: 4,
                expected: "a digit"
            })
        );
    }

    #[test]
    fn mobile_numbers() {
        // The phone in KillB's accounts page (seed 002), with and without the country code.
        assert_eq!(co_phone("+573001234567"), Ok(()));
        assert_eq!(co_phone("573001234567"), Ok(()));
        assert_eq!(co_phone("3001234567"), Ok(()));
        assert_eq!(
            co_phone("6011234567"),
            Err(CheckError::Format(
                "a Colombian mobile number starts with 3 (after the +57 country code)"
            ))
        );
        assert_eq!(
            co_phone("+576011234567"),
            Err(CheckError::Format(
                "a Colombian mobile number starts with 3 (after the +57 country code)"
            ))
        );
        assert_eq!(
            co_phone("+525512345678"),
            Err(CheckError::Prefix {
                expected: "+57 or 57 when 12 digits long"
            })
        );
        assert!(matches!(
            co_phone("+3001234567"),
            Err(CheckError::Length { got: 11, .. })
        ));
        assert!(matches!(
            co_phone("300123456"),
            Err(CheckError::Length { got: 9, .. })
        ));
        assert_eq!(
            co_phone("+57 3001234567"),
            Err(CheckError::Character {
                position: 4,
                expected: "a digit"
            })
        );
        assert_eq!(
            co_phone("+"),
            Err(CheckError::Length {
                expected: "+57 and 10 digits",
                got: 1
            })
        );
        assert!(co_phone("").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(t in ".{0,10}", s in ".*") {
            let _ = co_document(&t, &s);
            let _ = co_bank_account_number(&s);
            let _ = co_phone(&s);
        }

        #[test]
        fn never_panics_on_near_misses(
            t in "(CC|CE|NIT|NUIP|TI|PASSPORT|PA|PPT|nit)",
            s in "\\+?[0-9é.-]{0,14}",
        ) {
            let _ = co_document(&t, &s);
            let _ = co_bank_account_number(&s);
            let _ = co_phone(&s);
        }

        #[test]
        fn exactly_one_nit_check_digit_fits(base in "[0-9]{9,10}") {
            let valid = (0..10u8)
                .filter(|d| co_document("NIT", &format!("{base}-{d}")).is_ok())
                .count();
            // A DV of 10 cannot occur: r = 1 gives 1, r = 0 gives 0.
            prop_assert_eq!(valid, 1);
        }
    }
}
