//! Colombian banks Giro can pay into: the three-digit ACH Colombia compensation codes that KillB's
//! `GET /api/v2/banks?countryCode=CO` lists as `code`. Cashy identifies banks by its own `bankId`;
//! its executor maps a code to a `bankId` through `bankListQuery`.

/// One bank: its code and trade name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoBank {
    pub code: &'static str,
    pub name: &'static str,
}

/// The banks, by code.
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

/// Finds a bank by code. KillB's pages write the same code as `001` and `0001`; both are accepted.
pub fn find(code: &str) -> Option<&'static CoBank> {
    let normalized = match code.len() {
        4 if code.starts_with('0') => &code[1..],
        _ => code,
    };
    CO_BANKS.iter().find(|b| b.code == normalized)
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_code_readings_are_found() {
        assert_eq!(super::find("001").map(|b| b.name), Some("Banco de Bogota"));
        assert_eq!(super::find("0001").map(|b| b.name), Some("Banco de Bogota"));
        assert!(super::find("999").is_none());
        assert!(super::find("").is_none());
        assert!(super::find("ñ01").is_none());
    }
}
