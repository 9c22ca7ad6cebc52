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
    /// Whether this is the Colombian bank Giro knows as `code` (`001`…). Cashy lists ACH codes
    /// with a leading `1` (`1007` Bancolombia) or `0`; the last three digits are compared.
    pub fn is_co_bank(&self, code: &str) -> bool {
        let Some(giro) = co_banks::find(code) else {
            return false;
        };
        let listed: String = self
            .bank_code
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let listed = match listed.len() {
            4 if listed.starts_with(['0', '1']) => &listed[1..],
            _ => listed.as_str(),
        };
        listed == giro.code
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
