//! EVM-chain wallet addresses (Polygon, Ethereum, Arbitrum, BSC): hex with the EIP-55 checksum.

use super::CheckError;
use sha3::{Digest, Keccak256};

const HEX_LEN: usize = 40;

/// Ok only for `0x` followed by 40 hex digits. All-lowercase and all-uppercase addresses carry no
/// checksum and are accepted; a mixed-case address must match its EIP-55 checksum exactly (letter
/// `i` is uppercase iff nibble `i` of keccak256(lowercase hex) is ≥ 8), so a single mistyped
/// character is almost always caught. Positions in errors count from the `0` of `0x` (1-based).
/// Whether the address is a contract, or exists at all, is not knowable here.
pub fn evm_address(s: &str) -> Result<(), CheckError> {
    let Some(hex) = s.strip_prefix("0x") else {
        return Err(CheckError::Prefix { expected: "0x" });
    };
    let got = s.chars().count();
    if got != 2 + HEX_LEN {
        return Err(CheckError::Length {
            expected: "0x followed by 40 hex digits",
            got,
        });
    }
    if let Some(i) = hex.chars().position(|c| !c.is_ascii_hexdigit()) {
        return Err(CheckError::Character {
            position: i + 3,
            expected: "a hex digit (0-9, a-f)",
        });
    }
    let bytes = hex.as_bytes();
    let has_lower = bytes.iter().any(u8::is_ascii_lowercase);
    let has_upper = bytes.iter().any(u8::is_ascii_uppercase);
    if !(has_lower && has_upper) {
        return Ok(());
    }
    let mut lower = [0u8; HEX_LEN];
    for (l, b) in lower.iter_mut().zip(bytes) {
        *l = b.to_ascii_lowercase();
    }
    let hash = Keccak256::digest(lower);
    let nibbles = hash.iter().flat_map(|b| [b >> 4, b & 0x0f]);
    for (i, (c, nibble)) in bytes.iter().zip(nibbles).enumerate() {
        if c.is_ascii_alphabetic() && c.is_ascii_uppercase() != (nibble >= 8) {
            return Err(CheckError::Eip55 { position: i + 3 });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // From the EIP-55 specification's test cases; also recomputed with an independent Keccak-256
    // written in Python (self-tested against keccak256("") = c5d24601…5d85a470).
    const SPEC: [&str; 4] = [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ];

    #[test]
    fn spec_addresses_pass() {
        for a in SPEC {
            assert_eq!(evm_address(a), Ok(()), "{a}");
        }
    }

    #[test]
    fn single_case_addresses_pass() {
        for a in SPEC {
            let hex = a.trim_start_matches("0x");
            assert_eq!(
                evm_address(&format!("0x{}", hex.to_ascii_lowercase())),
                Ok(())
            );
            assert_eq!(
                evm_address(&format!("0x{}", hex.to_ascii_uppercase())),
                Ok(())
            );
        }
    }

    #[test]
    fn flipped_case_fails_at_that_character() {
        // Character 4 ('a') flipped to 'A'.
        assert_eq!(
            evm_address("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            Err(CheckError::Eip55 { position: 4 })
        );
        // Character 3 ('f') flipped to 'F'.
        assert_eq!(
            evm_address("0xFB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
            Err(CheckError::Eip55 { position: 3 })
        );
        assert_eq!(
            evm_address("0xFB6916095ca1df60bB79Ce92cE3Ea74c37c5d359").map_err(|e| e.to_string()),
            Err("EIP-55 checksum mismatch at character 3".to_string())
        );
    }

    #[test]
    fn every_single_case_flip_of_a_spec_address_fails() {
        for a in SPEC {
            for (i, c) in a
                .char_indices()
                .skip(2)
                .filter(|(_, c)| c.is_ascii_alphabetic())
            {
                let flipped: String = a
                    .char_indices()
                    .map(|(j, d)| if j == i { flip_case(d) } else { d })
                    .collect();
                assert!(
                    evm_address(&flipped).is_err(),
                    "{a} with {c} flipped at {i}"
                );
            }
        }
    }

    #[test]
    fn malformed_addresses_fail() {
        // The example in KillB's accounts page (seed 002) is one hex digit short.
        assert_eq!(
            evm_address("0x742d35Cc6634C0532925a3b844Bc9e7595f0bEb"),
            Err(CheckError::Length {
                expected: "0x followed by 40 hex digits",
                got: 41
            })
        );
        assert_eq!(
            evm_address("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            Err(CheckError::Prefix { expected: "0x" })
        );
        assert_eq!(
            evm_address("0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            Err(CheckError::Prefix { expected: "0x" })
        );
        assert_eq!(
            evm_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg"),
            Err(CheckError::Character {
                position: 42,
                expected: "a hex digit (0-9, a-f)"
            })
        );
        assert_eq!(
            evm_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeé"),
            Err(CheckError::Character {
                position: 42,
                expected: "a hex digit (0-9, a-f)"
            })
        );
        assert_eq!(evm_address(""), Err(CheckError::Prefix { expected: "0x" }));
    }

    fn flip_case(c: char) -> char {
        if c.is_ascii_uppercase() {
            c.to_ascii_lowercase()
        } else {
            c.to_ascii_uppercase()
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = evm_address(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "0x[0-9a-fA-Fé]{38,42}") {
            let _ = evm_address(&s);
        }

        #[test]
        fn lowercase_hex_always_passes(hex in "[0-9a-f]{40}") {
            prop_assert_eq!(evm_address(&format!("0x{hex}")), Ok(()));
        }
    }
}
