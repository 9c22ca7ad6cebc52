//! `bankListQuery`: Colombian banks (a CO `bankId` must be one of them) and Tanzanian operators.

use serde::Serialize;

use super::config::Country;

/// One entry of `bankListQuery`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BankOut {
    pub bank_id: u32,
    pub bank_code: &'static str,
    pub bank_name: &'static str,
}

const CO: [(u32, &str, &str); 16] = [
    (1, "1001", "BANCO DE BOGOTA"),
    (2, "1002", "BANCO POPULAR"),
    (6, "1006", "ITAU"),
    (9, "1009", "CITIBANK"),
    (12, "1012", "BANCO GNB SUDAMERIS"),
    (13, "1013", "BBVA COLOMBIA"),
    (19, "1019", "SCOTIABANK COLPATRIA"),
    (20, "1007", "BANCOLOMBIA"),
    (23, "1023", "BANCO DE OCCIDENTE"),
    (25, "1032", "BANCO CAJA SOCIAL"),
    (26, "1040", "BANCO AGRARIO"),
    (27, "1051", "DAVIVIENDA"),
    (28, "1052", "BANCO AV VILLAS"),
    (29, "1551", "DAVIPLATA"),
    (31, "1059", "BANCAMIA"),
    (33, "1507", "NEQUI"),
];

/// Tanzania pays to mobile wallets; the operator is the `accountType` (0 Airtel … 3 Vodacom) and
/// its `bankId` is the `accountType` plus one, so seed 004's example (`accountType` 1, `bankId` 2)
/// names Tigo twice.
const TZ: [(u32, &str, &str); 4] = [
    (1, "AIRTEL", "Airtel Money"),
    (2, "TIGO", "Tigo Pesa"),
    (3, "HALOTEL", "Halopesa"),
    (4, "VODACOM", "M-Pesa Vodacom"),
];

fn table(country: Country) -> &'static [(u32, &'static str, &'static str)] {
    match country {
        Country::Co => &CO,
        Country::Tz => &TZ,
    }
}

/// The list for `country`.
pub(crate) fn banks(country: Country) -> Vec<BankOut> {
    table(country)
        .iter()
        .map(|&(bank_id, bank_code, bank_name)| BankOut {
            bank_id,
            bank_code,
            bank_name,
        })
        .collect()
}

/// Whether `id` is a Colombian `bankId`.
pub(crate) fn is_co_bank(id: i64) -> bool {
    CO.iter().any(|(bank, _, _)| i64::from(*bank) == id)
}

/// The `accountType` (operator) of the Tanzanian `bankId` `id`, if listed.
pub(crate) fn tz_operator(id: i64) -> Option<i64> {
    TZ.iter()
        .position(|(bank, _, _)| i64::from(*bank) == id)
        .and_then(|i| i64::try_from(i).ok())
}
