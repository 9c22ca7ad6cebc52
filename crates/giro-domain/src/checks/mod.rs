//! Format and checksum checks for the identifiers a beneficiary is paid into: the validations the
//! providers apply (PROVIDERS.md §1 "Accounts", §2), run by Giro before a command is accepted so a
//! typo is rejected with a reason instead of becoming a FAILED payout.
//!
//! Every check is a pure function over `&str` returning `Result<(), CheckError>`. None panics on any
//! input. Error messages say what is wrong and where (a 1-based character position, a digit) but
//! never repeat the input, which may be personal data.

mod aba;
mod base58;
mod clabe;
mod colombia;
mod email;
mod evm;
mod tanzania;

pub use aba::aba_routing;
pub use base58::{solana_address, tron_address};
pub use clabe::{clabe, debit_card, mx_phone};
pub use colombia::{co_bank_account_number, co_bank_code, co_document, co_phone};
pub use email::email;
pub use evm::evm_address;
pub use tanzania::{tz_msisdn, tz_national_number, tz_operator_prefix_matches};

/// Why an identifier was refused. The message is meant for the person who typed the value: it names
/// the rule and the position, and is phrased to follow a field name ("clabe: must be 18 digits, …").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// Nothing was given.
    #[error("is empty")]
    Empty,
    /// The value has the wrong number of characters.
    #[error("must be {expected}, got {got} characters")]
    Length { expected: &'static str, got: usize },
    /// The character at `position` (1-based, counted in characters) is not allowed there.
    #[error("character {position} must be {expected}")]
    Character {
        position: usize,
        expected: &'static str,
    },
    /// The value does not start the way this kind of identifier must.
    #[error("must start with {expected}")]
    Prefix { expected: &'static str },
    /// A check digit does not match the digits before it.
    #[error("{what} check digit is {found}, expected {expected}")]
    CheckDigit {
        what: &'static str,
        found: u8,
        expected: u8,
    },
    /// A checksum over the decoded bytes does not match.
    #[error("{what} checksum fails; check the value for a mistyped character")]
    Checksum { what: &'static str },
    /// A mixed-case EVM address whose letter case disagrees with its EIP-55 checksum.
    #[error("EIP-55 checksum mismatch at character {position}")]
    Eip55 { position: usize },
    /// A base58 value that decodes to the wrong number of bytes.
    #[error("must decode to {expected} bytes, got {got}")]
    DecodedLength { expected: usize, got: usize },
    /// A code (document type, operator) that is not one this check knows.
    #[error("unknown {what}; expected one of {expected}")]
    Unknown {
        what: &'static str,
        expected: &'static str,
    },
    /// A Tanzanian number whose prefix belongs to another operator (or to none).
    #[error(
        "number prefix {prefix} belongs to {owner}, not {operator} ({operator} numbers start with {prefixes})"
    )]
    OperatorMismatch {
        prefix: u8,
        owner: &'static str,
        operator: &'static str,
        prefixes: &'static str,
    },
    /// Any other rule of the format, stated in full.
    #[error("{0}")]
    Format(&'static str),
}

/// Ok if every character of `s` is an ASCII digit; otherwise the first offending position.
fn all_digits(s: &str) -> Result<(), CheckError> {
    match s.chars().position(|c| !c.is_ascii_digit()) {
        Some(i) => Err(CheckError::Character {
            position: i + 1,
            expected: "a digit",
        }),
        None => Ok(()),
    }
}

/// The digit values of `s` if it is exactly `N` ASCII digits; `expected` describes the format for
/// the length error ("18 digits").
fn fixed_digits<const N: usize>(s: &str, expected: &'static str) -> Result<[u8; N], CheckError> {
    let got = s.chars().count();
    if got != N {
        return Err(CheckError::Length { expected, got });
    }
    all_digits(s)?;
    let mut out = [0u8; N];
    for (o, b) in out.iter_mut().zip(s.bytes()) {
        *o = b.wrapping_sub(b'0');
    }
    Ok(out)
}

/// Ok if `s` is between `min` and `max` ASCII digits (inclusive).
fn digits_between(
    s: &str,
    min: usize,
    max: usize,
    expected: &'static str,
) -> Result<(), CheckError> {
    let got = s.chars().count();
    if !(min..=max).contains(&got) {
        return Err(CheckError::Length { expected, got });
    }
    all_digits(s)
}

/// `(10 - sum mod 10) mod 10`: the check digit that brings a weighted digit sum to a multiple of ten
/// (CLABE, Luhn, ABA).
fn mod10_complement(sum: u32) -> u8 {
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_actionable() {
        let cases = [
            (
                CheckError::CheckDigit {
                    what: "CLABE",
                    found: 3,
                    expected: 7,
                },
                "CLABE check digit is 3, expected 7",
            ),
            (
                CheckError::Length {
                    expected: "18 digits",
                    got: 17,
                },
                "must be 18 digits, got 17 characters",
            ),
            (
                CheckError::Eip55 { position: 12 },
                "EIP-55 checksum mismatch at character 12",
            ),
            (
                CheckError::Character {
                    position: 4,
                    expected: "a digit",
                },
                "character 4 must be a digit",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn fixed_digits_reports_length_before_characters() {
        assert_eq!(
            fixed_digits::<3>("12ab", "3 digits"),
            Err(CheckError::Length {
                expected: "3 digits",
                got: 4
            })
        );
        assert_eq!(
            fixed_digits::<3>("1é3", "3 digits"),
            Err(CheckError::Character {
                position: 2,
                expected: "a digit"
            })
        );
        assert_eq!(fixed_digits::<3>("123", "3 digits"), Ok([1, 2, 3]));
    }
}
