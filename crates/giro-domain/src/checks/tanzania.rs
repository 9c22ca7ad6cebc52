//! Tanzanian mobile-money wallets (Cashy Tanzania): the wallet's number and its operator.

use super::CheckError;

/// A mobile operator Cashy pays into, with the number ranges (first two digits of the national
/// number) allocated to it.
struct Operator {
    name: &'static str,
    codes: &'static [&'static str],
    prefixes: &'static [u8],
    listed: &'static str,
}

/// Ranges as in libphonenumber's carrier data for +255 (resources/carrier/en/255.txt, which cites
/// TCRA's allocations via Wikipedia). Tigo trades as Yas since 2024 and took over Zantel's 77.
const OPERATORS: [Operator; 4] = [
    Operator {
        name: "Airtel",
        codes: &["airtel"],
        prefixes: &[66, 68, 69, 78],
        listed: "66, 68, 69 or 78",
    },
    Operator {
        name: "Tigo",
        codes: &["tigo", "yas"],
        prefixes: &[65, 67, 70, 71, 77],
        listed: "65, 67, 70, 71 or 77",
    },
    Operator {
        name: "Halotel",
        codes: &["halotel"],
        prefixes: &[61, 62, 63],
        listed: "61, 62 or 63",
    },
    Operator {
        name: "Vodacom",
        codes: &["vodacom"],
        prefixes: &[72, 74, 75, 76, 79],
        listed: "72, 74, 75, 76 or 79",
    },
];

/// Mobile ranges held by operators Cashy does not pay into.
const OTHER_RANGES: [(u8, &str); 1] = [(73, "TTCL")];

/// Ok only for a Tanzanian mobile number: `+255` or `255` then 9 digits, `0` then 9 digits, or the
/// bare 9-digit national number (the form Cashy's own examples use for `accountNo`), where the
/// national number starts with 6 or 7. No spaces or other separators.
pub fn tz_msisdn(s: &str) -> Result<(), CheckError> {
    tz_national_number(s).map(|_| ())
}

/// The 9-digit national number of a number [`tz_msisdn`] accepts (`+255712345678`, `255712345678`,
/// `0712345678` and `712345678` all give `712345678`), or why it is not one.
pub fn tz_national_number(s: &str) -> Result<&str, CheckError> {
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
        (_, 12) => digits.strip_prefix("255").ok_or(CheckError::Prefix {
            expected: "+255 or 255 when 12 digits long",
        })?,
        (false, 10) => digits.strip_prefix('0').ok_or(CheckError::Prefix {
            expected: "0 when 10 digits long",
        })?,
        (false, 9) => digits,
        (true, _) => {
            return Err(CheckError::Length {
                expected: "+255 and 9 digits",
                got: s.len(),
            });
        }
        (false, _) => {
            return Err(CheckError::Length {
                expected: "9 digits, optionally after 0, 255 or +255",
                got: s.len(),
            });
        }
    };
    if national.starts_with(['6', '7']) {
        Ok(national)
    } else {
        Err(CheckError::Format(
            "a Tanzanian mobile number starts with 6 or 7 after the 0 or the 255 country code",
        ))
    }
}

/// Ok only if `msisdn` passes [`tz_msisdn`] and its range is allocated to `operator` (`airtel`,
/// `tigo` or its current brand `yas`, `halotel`, `vodacom`; any case). Cashy fails a payout whose
/// number and operator disagree (ACCOUNT_AND_MNO_NOT_MATCH); this catches it before submission.
/// A number ported to another operator keeps its range, so it would be refused here.
pub fn tz_operator_prefix_matches(msisdn: &str, operator: &str) -> Result<(), CheckError> {
    let Some(wanted) = OPERATORS
        .iter()
        .find(|o| o.codes.iter().any(|c| c.eq_ignore_ascii_case(operator)))
    else {
        return Err(CheckError::Unknown {
            what: "operator",
            expected: "airtel, tigo, halotel, vodacom",
        });
    };
    let prefix = match tz_national_number(msisdn)?.as_bytes() {
        [a, b, ..] => a.wrapping_sub(b'0') * 10 + b.wrapping_sub(b'0'),
        _ => {
            return Err(CheckError::Length {
                expected: "9 digits",
                got: msisdn.len(),
            });
        }
    };
    if wanted.prefixes.contains(&prefix) {
        return Ok(());
    }
    let owner = OPERATORS
        .iter()
        .find(|o| o.prefixes.contains(&prefix))
        .map(|o| o.name)
        .or_else(|| {
            OTHER_RANGES
                .iter()
                .find(|(p, _)| *p == prefix)
                .map(|(_, name)| *name)
        })
        .unwrap_or("an unallocated range");
    Err(CheckError::OperatorMismatch {
        prefix,
        owner,
        operator: wanted.name,
        prefixes: wanted.listed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepted_forms() {
        for n in ["+255712345678", "255712345678", "0712345678", "712345678"] {
            assert_eq!(tz_national_number(n), Ok("712345678"), "{n}");
            assert_eq!(tz_msisdn(n), Ok(()), "{n}");
        }
        // The accountNo examples in Cashy Tanzania's payout page (seed 004).
        assert_eq!(tz_msisdn("721323213"), Ok(()));
        assert_eq!(tz_msisdn("713512345"), Ok(()));
        assert_eq!(tz_msisdn("0621234567"), Ok(()));
    }

    #[test]
    fn refused_forms() {
        assert!(matches!(
            tz_msisdn("+0712345678"),
            Err(CheckError::Length { got: 11, .. })
        ));
        assert!(matches!(
            tz_msisdn("71234567"),
            Err(CheckError::Length { got: 8, .. })
        ));
        assert!(matches!(
            tz_msisdn("25571234567"),
            Err(CheckError::Length { got: 11, .. })
        ));
        assert_eq!(
            tz_msisdn("254712345678"),
            Err(CheckError::Prefix {
                expected: "+255 or 255 when 12 digits long"
            })
        );
        assert_eq!(
            tz_msisdn("1712345678"),
            Err(CheckError::Prefix {
                expected: "0 when 10 digits long"
            })
        );
        assert_eq!(
            tz_msisdn("+255222345678"),
            Err(CheckError::Format(
                "a Tanzanian mobile number starts with 6 or 7 after the 0 or the 255 country code"
            ))
        );
        assert_eq!(
            tz_msisdn("+255 712345678"),
            Err(CheckError::Character {
                position: 5,
                expected: "a digit"
            })
        );
        assert!(tz_msisdn("").is_err());
        assert!(tz_msisdn("+").is_err());
    }

    #[test]
    fn operator_ranges_match() {
        for (number, operator) in [
            ("0781234567", "airtel"),
            ("0681234567", "Airtel"),
            ("0691234567", "AIRTEL"),
            ("0651234567", "tigo"),
            ("0671234567", "tigo"),
            ("0711234567", "yas"),
            ("0611234567", "halotel"),
            ("0621234567", "halotel"),
            ("0741234567", "vodacom"),
            ("0751234567", "vodacom"),
            ("+255761234567", "vodacom"),
            // Seed 004's examples: 713512345 is paid with accountType 1 (Tigo).
            ("713512345", "tigo"),
            ("721323213", "vodacom"),
        ] {
            assert_eq!(
                tz_operator_prefix_matches(number, operator),
                Ok(()),
                "{number} {operator}"
            );
        }
    }

    #[test]
    fn operator_mismatch_names_the_owner() {
        assert_eq!(
            tz_operator_prefix_matches("0741234567", "airtel"),
            Err(CheckError::OperatorMismatch {
                prefix: 74,
                owner: "Vodacom",
                operator: "Airtel",
                prefixes: "66, 68, 69 or 78",
            })
        );
        assert_eq!(
            tz_operator_prefix_matches("0741234567", "airtel").map_err(|e| e.to_string()),
            Err(
                "number prefix 74 belongs to Vodacom, not Airtel (Airtel numbers start with \
                 66, 68, 69 or 78)"
                    .to_string()
            )
        );
        assert!(matches!(
            tz_operator_prefix_matches("0731234567", "vodacom"),
            Err(CheckError::OperatorMismatch { owner: "TTCL", .. })
        ));
        assert!(matches!(
            tz_operator_prefix_matches("0641234567", "halotel"),
            Err(CheckError::OperatorMismatch {
                owner: "an unallocated range",
                ..
            })
        ));
    }

    #[test]
    fn unknown_operator_or_bad_number() {
        assert_eq!(
            tz_operator_prefix_matches("0741234567", "mpesa"),
            Err(CheckError::Unknown {
                what: "operator",
                expected: "airtel, tigo, halotel, vodacom"
            })
        );
        assert!(matches!(
            tz_operator_prefix_matches("074123456", "vodacom"),
            Err(CheckError::Format(_))
        ));
    }

    #[test]
    fn ranges_do_not_overlap() {
        for (i, a) in OPERATORS.iter().enumerate() {
            for b in OPERATORS.iter().skip(i + 1) {
                assert!(
                    a.prefixes.iter().all(|p| !b.prefixes.contains(p)),
                    "{} {}",
                    a.name,
                    b.name
                );
            }
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*", op in ".{0,10}") {
            let _ = tz_msisdn(&s);
            let _ = tz_operator_prefix_matches(&s, &op);
        }

        #[test]
        fn never_panics_on_near_misses(
            s in "\\+?[0-9é]{0,13}",
            op in "(airtel|tigo|yas|halotel|vodacom|VODACOM)",
        ) {
            let _ = tz_msisdn(&s);
            let _ = tz_operator_prefix_matches(&s, &op);
        }

        #[test]
        fn every_mobile_number_matches_at_most_one_operator(n in "[67][0-9]{8}") {
            let matching = ["airtel", "tigo", "halotel", "vodacom"]
                .iter()
                .filter(|op| tz_operator_prefix_matches(&n, op).is_ok())
                .count();
            prop_assert!(matching <= 1);
        }
    }
}
