//! Colombian bank codes: the three-digit ACH Colombia compensation codes that KillB's
//! `GET /api/v2/banks?countryCode=CO` lists as `code`. Cashy identifies banks by its own `bankId`;
//! its executor maps a code to a `bankId` through `bankListQuery`.
//!
//! Which banks a provider instance pays into is its own fetched list ([`crate::bank_lists`]); the
//! list here is only what applies before an instance's list has been fetched.

/// One bank: its code and trade name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoBank {
    pub code: &'static str,
    pub name: &'static str,
}

/// The banks Giro takes before a provider's own list has been fetched, by code.
pub const CO_BANKS: &[CoBank] = &[
    CoBank {
        code: "001",
        name: "Banco de Bogota",
    },
    CoBank {
        code: "002",
        name: "Banco Popular",
    },
    CoBank {
        code: "006",
        name: "Banco Itau",
    },
    CoBank {
        code: "007",
        name: "Bancolombia",
    },
    CoBank {
        code: "009",
        name: "Citibank",
    },
    CoBank {
        code: "012",
        name: "Banco GNB Sudameris",
    },
    CoBank {
        code: "013",
        name: "BBVA Colombia",
    },
    CoBank {
        code: "019",
        name: "Scotiabank Colpatria",
    },
    CoBank {
        code: "023",
        name: "Banco de Occidente",
    },
    CoBank {
        code: "032",
        name: "Banco Caja Social",
    },
    CoBank {
        code: "040",
        name: "Banco Agrario",
    },
    CoBank {
        code: "051",
        name: "Davivienda",
    },
    CoBank {
        code: "052",
        name: "Banco AV Villas",
    },
    CoBank {
        code: "507",
        name: "Nequi",
    },
    CoBank {
        code: "551",
        name: "Daviplata",
    },
];

/// A bank code's number, without its leading zeros: KillB's pages write one bank as `001`
/// (page 000) and `0001` (page 002), and both are `1`. Lists and codes are compared by it.
pub fn number(code: &str) -> &str {
    let code = code.trim();
    let trimmed = code.trim_start_matches('0');
    if trimmed.is_empty() && !code.is_empty() {
        "0"
    } else {
        trimmed
    }
}

/// A code in the three-digit ACH form (`0007` → `007`); other codes as they are.
pub fn ach_code(code: &str) -> &str {
    let code = code.trim();
    match code.len() {
        4 if code.starts_with('0') => &code[1..],
        _ => code,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_code_readings_are_one_number() {
        assert_eq!(super::number("001"), "1");
        assert_eq!(super::number("0001"), "1");
        assert_eq!(super::number("507"), "507");
        assert_eq!(super::number("000"), "0");
        assert_eq!(super::number(""), "");
        assert_eq!(super::ach_code("0059"), "059");
        assert_eq!(super::ach_code("059"), "059");
        assert_eq!(super::ach_code("1007"), "1007");
    }
}
