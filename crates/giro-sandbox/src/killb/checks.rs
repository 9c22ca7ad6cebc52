//! Check digits and address formats KillB verifies on accounts: CLABE, ABA routing numbers, EVM
//! (EIP-55), Tron (base58check) and Solana (base58, 32 bytes) addresses.

use sha2::{Digest as _, Sha256};
use sha3::Keccak256;

fn digits(text: &str) -> Option<Vec<u32>> {
    text.chars().map(|c| c.to_digit(10)).collect()
}

/// An 18-digit CLABE whose last digit is the check digit over the first 17 (weights 3, 7, 1; mod 10).
pub(crate) fn is_clabe(clabe: &str) -> bool {
    let Some(d) = digits(clabe).filter(|d| d.len() == 18) else {
        return false;
    };
    let sum: u32 = d[..17]
        .iter()
        .zip([3, 7, 1].iter().cycle())
        .map(|(digit, weight)| (digit * weight) % 10)
        .sum();
    (10 - sum % 10) % 10 == d[17]
}

/// A 9-digit ABA routing number: 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10).
pub(crate) fn is_aba(routing: &str) -> bool {
    let Some(d) = digits(routing).filter(|d| d.len() == 9) else {
        return false;
    };
    let sum: u32 = d
        .iter()
        .zip([3, 7, 1].iter().cycle())
        .map(|(digit, weight)| digit * weight)
        .sum();
    sum.is_multiple_of(10)
}

/// `0x` + 40 hex digits; when the letters are mixed case they must follow the EIP-55 checksum.
pub(crate) fn is_evm_address(address: &str) -> bool {
    let Some(hex) = address.strip_prefix("0x") else {
        return false;
    };
    if hex.len() != 40 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    let has_lower = hex.chars().any(|c| c.is_ascii_lowercase());
    let has_upper = hex.chars().any(|c| c.is_ascii_uppercase());
    if !(has_lower && has_upper) {
        return true;
    }
    let lower = hex.to_ascii_lowercase();
    let hash = Keccak256::digest(lower.as_bytes());
    hex.chars().enumerate().all(|(i, c)| {
        let byte = hash[i / 2];
        let nibble = if i % 2 == 0 { byte >> 4 } else { byte & 0x0f };
        !c.is_ascii_alphabetic() || c.is_ascii_uppercase() == (nibble >= 8)
    })
}

/// A Tron address: base58check of 0x41 + 20 bytes (`T…`, 34 characters).
pub(crate) fn is_tron_address(address: &str) -> bool {
    let Ok(bytes) = bs58::decode(address).into_vec() else {
        return false;
    };
    if bytes.len() != 25 || bytes[0] != 0x41 {
        return false;
    }
    let (payload, check) = bytes.split_at(21);
    let hash = Sha256::digest(Sha256::digest(payload));
    hash[..4] == *check
}

/// A Solana address: base58 of a 32-byte public key.
pub(crate) fn is_solana_address(address: &str) -> bool {
    bs58::decode(address)
        .into_vec()
        .is_ok_and(|bytes| bytes.len() == 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clabe_and_aba_check_digits() {
        assert!(is_clabe("032180000118359719"));
        assert!(!is_clabe("032180000118359718"));
        assert!(!is_clabe("03218000011835971"));
        assert!(is_aba("021000021"));
        assert!(!is_aba("021000022"));
        assert!(!is_aba("02100002a"));
    }

    #[test]
    fn addresses_per_network() {
        let valid = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        assert!(is_evm_address(valid));
        assert!(is_evm_address(&valid.to_ascii_lowercase()));
        assert!(!is_evm_address(
            "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        ));
        assert!(!is_evm_address("0x742d35Cc6634C0532925a3b844Bc9e7595f0bEb"));
        assert!(is_tron_address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"));
        assert!(!is_tron_address("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"));
        assert!(is_solana_address("11111111111111111111111111111111"));
        assert!(!is_solana_address("1111111111111111111111111111111"));
        assert!(!is_solana_address("0OIl"));
    }
}
