//! The banks of `bankListQuery`, matched to Colombian bank codes.

use giro_domain::co_banks;
use giro_domain::rail::TzOperator;
use serde::Deserialize;

use crate::json;

/// One entry of `bankListQuery`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bank {
    #[serde(default, deserialize_with = "json::opt_text")]
    pub bank_id: Option<String>,
    #[serde(default, deserialize_with = "json::opt_text")]
    pub bank_code: Option<String>,
    #[serde(default)]
    pub bank_name: Option<String>,
}

impl Bank {
    /// The ACH code of a Colombian bank in the list (`007`): Cashy lists ACH codes with a leading
    /// `1` (`1007` Bancolombia) or `0`, which is dropped; `None` for an entry without digits.
    pub fn co_code(&self) -> Option<&str> {
        let listed = self.bank_code.as_deref()?.trim();
        if listed.is_empty() || !listed.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(match listed.len() {
            4 if listed.starts_with(['0', '1']) => &listed[1..],
            _ => listed,
        })
    }

    /// Whether this is the Colombian bank Giro knows as `code` (`007` or `0007`), compared by
    /// number (`giro_domain::co_banks::number`).
    pub fn is_co_bank(&self, code: &str) -> bool {
        self.co_code()
            .is_some_and(|listed| co_banks::number(listed) == co_banks::number(code))
    }

    /// Whether this is the Tanzanian operator `operator` (its code or name, without case:
    /// `AIRTEL`, `TIGO`/`MIXX`, `HALOTEL`/`HALOPESA`, `VODACOM`/`M-PESA`).
    pub fn is_tz_operator(&self, operator: TzOperator) -> bool {
        let words: &[&str] = match operator {
            TzOperator::Airtel => &["AIRTEL"],
            TzOperator::Tigo => &["TIGO", "MIXX"],
            TzOperator::Halotel => &["HALOTEL", "HALOPESA"],
            TzOperator::Vodacom => &["VODACOM", "M-PESA", "MPESA"],
        };
        [&self.bank_code, &self.bank_name]
            .into_iter()
            .flatten()
            .map(|v| v.to_ascii_uppercase())
            .any(|v| words.iter().any(|w| v.contains(w)))
    }
}
