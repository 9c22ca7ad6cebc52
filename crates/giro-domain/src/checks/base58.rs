//! Base58 wallet addresses: Tron (base58check) and Solana (a bare 32-byte public key).

use super::CheckError;
use sha2::{Digest, Sha256};

/// Tron mainnet addresses start with this version byte, which base58-encodes to a leading `T`.
const TRON_VERSION: u8 = 0x41;

/// Ok only for a Tron mainnet address: 34 base58 characters starting with `T`, decoding to 25 bytes
/// = version byte 0x41, a 20-byte account id, and a 4-byte checksum equal to the first 4 bytes of
/// sha256(sha256(first 21 bytes)). The checksum catches mistyped characters; whether the account
/// exists is not checked.
pub fn tron_address(s: &str) -> Result<(), CheckError> {
    if !s.starts_with('T') {
        return Err(CheckError::Prefix { expected: "T" });
    }
    let got = s.chars().count();
    if got != 34 {
        return Err(CheckError::Length {
            expected: "34 base58 characters",
            got,
        });
    }
    let bytes = decode(s)?;
    if bytes.len() != 25 {
        return Err(CheckError::DecodedLength {
            expected: 25,
            got: bytes.len(),
        });
    }
    let (payload, checksum) = bytes.split_at(21);
    if payload.first() != Some(&TRON_VERSION) {
        return Err(CheckError::Format(
            "is not a Tron mainnet address (version byte is not 0x41)",
        ));
    }
    let hash = Sha256::digest(Sha256::digest(payload));
    if hash.get(..4) == Some(checksum) {
        Ok(())
    } else {
        Err(CheckError::Checksum {
            what: "Tron address",
        })
    }
}

/// Ok only for 32 to 44 base58 characters decoding to exactly 32 bytes (an ed25519 public key or a
/// program-derived address). Solana addresses carry no checksum, so a mistyped character that
/// still decodes to 32 bytes cannot be detected here.
pub fn solana_address(s: &str) -> Result<(), CheckError> {
    let got = s.chars().count();
    if !(32..=44).contains(&got) {
        return Err(CheckError::Length {
            expected: "32 to 44 base58 characters",
            got,
        });
    }
    let bytes = decode(s)?;
    if bytes.len() != 32 {
        return Err(CheckError::DecodedLength {
            expected: 32,
            got: bytes.len(),
        });
    }
    Ok(())
}

/// Decodes Bitcoin-alphabet base58, naming the first character outside the alphabet.
fn decode(s: &str) -> Result<Vec<u8>, CheckError> {
    let outside = |c: char| !c.is_ascii_alphanumeric() || matches!(c, '0' | 'O' | 'I' | 'l');
    if let Some(i) = s.chars().position(outside) {
        return Err(CheckError::Character {
            position: i + 1,
            expected: "a base58 character (digits and letters except 0, O, I and l)",
        });
    }
    bs58::decode(s)
        .into_vec()
        .map_err(|_| CheckError::Format("is not valid base58"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Each address below was decoded by an independent base58 decoder written in Python; the Tron
    // ones' double-SHA-256 checksums were recomputed there with hashlib.

    #[test]
    fn tron_contracts_pass() {
        // USDT and USDC token contracts on Tron.
        assert_eq!(tron_address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"), Ok(()));
        assert_eq!(tron_address("TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8"), Ok(()));
    }

    #[test]
    fn tron_changed_character_fails_checksum() {
        assert_eq!(
            tron_address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"),
            Err(CheckError::Checksum {
                what: "Tron address"
            })
        );
        assert_eq!(
            tron_address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLJ6t"),
            Err(CheckError::Checksum {
                what: "Tron address"
            })
        );
    }

    #[test]
    fn tron_malformed_fails() {
        assert_eq!(
            tron_address("R7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
            Err(CheckError::Prefix { expected: "T" })
        );
        assert_eq!(
            tron_address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6"),
            Err(CheckError::Length {
                expected: "34 base58 characters",
                got: 33
            })
        );
        assert!(matches!(
            tron_address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj60"),
            Err(CheckError::Character { position: 34, .. })
        ));
        assert!(matches!(
            tron_address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLjé6"),
            Err(CheckError::Character { position: 33, .. })
        ));
        // An EVM address is not a Tron address.
        assert_eq!(
            tron_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            Err(CheckError::Prefix { expected: "T" })
        );
    }

    #[test]
    fn solana_keys_pass() {
        // System program (32 zero bytes), SPL Token program, wrapped SOL mint, USDC mint.
        for a in [
            "11111111111111111111111111111111",
            "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
            "So11111111111111111111111111111111111111112",
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        ] {
            assert_eq!(solana_address(a), Ok(()), "{a}");
        }
    }

    #[test]
    fn solana_malformed_fails() {
        assert_eq!(
            solana_address("1111111111111111111111111111111"),
            Err(CheckError::Length {
                expected: "32 to 44 base58 characters",
                got: 31
            })
        );
        // One character dropped: still a plausible length, but only 31 bytes.
        assert_eq!(
            solana_address("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5D"),
            Err(CheckError::DecodedLength {
                expected: 32,
                got: 31
            })
        );
        // A 47-character string that decodes to 35 bytes.
        assert_eq!(
            solana_address("TokenkegQfeYrJQHwn56AbC3zuhPexYHZoexqhDpm6XSzD4"),
            Err(CheckError::Length {
                expected: "32 to 44 base58 characters",
                got: 47
            })
        );
        assert!(matches!(
            solana_address("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDtOv"),
            Err(CheckError::Character { position: 43, .. })
        ));
        assert!(matches!(
            solana_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            Err(CheckError::Character { position: 1, .. })
        ));
    }

    proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = tron_address(&s);
            let _ = solana_address(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "T?[1-9A-Za-zé ]{30,46}") {
            let _ = tron_address(&s);
            let _ = solana_address(&s);
        }

        #[test]
        fn any_32_bytes_encode_to_a_valid_solana_address(key in proptest::array::uniform32(any::<u8>())) {
            prop_assert_eq!(solana_address(&bs58::encode(key).into_string()), Ok(()));
        }
    }
}
