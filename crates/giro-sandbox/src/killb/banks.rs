//! The Colombian banks `GET /api/v2/banks?countryCode=CO` lists; a PSE `bankCode` must be one of them.

use super::wire::BankOut;

const BANKS: [(&str, &str, &str); 16] = [
    ("001", "BANCO DE BOGOTA S.A.", "Banco de Bogotá"),
    ("002", "BANCO POPULAR S.A.", "Banco Popular"),
    ("006", "ITAU CORPBANCA COLOMBIA S.A.", "Itaú"),
    ("007", "BANCOLOMBIA S.A.", "Bancolombia"),
    ("009", "CITIBANK COLOMBIA S.A.", "Citibank"),
    ("012", "BANCO GNB SUDAMERIS S.A.", "GNB Sudameris"),
    ("013", "BBVA COLOMBIA S.A.", "BBVA"),
    ("019", "SCOTIABANK COLPATRIA S.A.", "Scotiabank Colpatria"),
    ("023", "BANCO DE OCCIDENTE S.A.", "Banco de Occidente"),
    ("032", "BANCO CAJA SOCIAL S.A.", "Banco Caja Social"),
    ("040", "BANCO AGRARIO DE COLOMBIA S.A.", "Banco Agrario"),
    ("051", "BANCO DAVIVIENDA S.A.", "Davivienda"),
    ("052", "BANCO AV VILLAS S.A.", "AV Villas"),
    ("059", "BANCAMIA S.A.", "Bancamía"),
    ("507", "NEQUI S.A.", "Nequi"),
    ("551", "DAVIPLATA S.A.", "Daviplata"),
];

/// Whether `code` is in the list.
pub(crate) fn is_bank_code(code: &str) -> bool {
    BANKS.iter().any(|(c, _, _)| *c == code)
}

/// The list for `country` (empty for any country but CO).
pub(crate) fn banks(country: &str) -> Vec<BankOut> {
    if country != "CO" {
        return Vec::new();
    }
    BANKS
        .iter()
        .map(|(code, company, trade)| BankOut {
            code,
            company_name: company,
            country_code: "CO",
            trade_name: trade,
        })
        .collect()
}
