//! `POST /api/payOut`: the request built from a payout order for one Cashy merchant, with the
//! beneficiary in Cashy's columns and every personal field masked in `Debug`, and why a payout
//! cannot be sent.

use std::fmt;

use giro_domain::checks::tz_national_number;
use giro_domain::co_banks;
use giro_domain::rail::{
    CoAccountType, CoBankAccount, Document, PayoutBeneficiary, TzMobileWallet, TzOperator,
};
use giro_domain::secret::{MaskStyle, mask};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::capability::PayoutOrder;
use crate::cashy::{CashyConfig, CashyCountry};
use crate::json;

/// Colombian e-wallets (Nequi, Daviplata): Cashy wants accountType 1 for them whatever the holder
/// calls the account.
const CO_EWALLETS: [&str; 2] = ["507", "551"];

/// `POST /api/payOut`. Its `Debug` masks the holder's name, account, document, phone and e-mail.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayOutRequest<'a> {
    pub account_name: String,
    pub account_no: &'a str,
    pub account_type: u8,
    pub currency: &'static str,
    #[serde(serialize_with = "json::number")]
    pub amount: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_id: Option<i64>,
    pub mch_order_no: &'a str,
    pub notify_url: &'a str,
    pub nonce_str: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_card: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    pub remark: String,
}

impl fmt::Debug for PayOutRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last_four = |v: Option<&str>| v.map(|v| mask(v, MaskStyle::LastFour));
        f.debug_struct("PayOutRequest")
            .field(
                "account_name",
                &mask(&self.account_name, MaskStyle::Initials),
            )
            .field("account_no", &mask(self.account_no, MaskStyle::LastFour))
            .field("account_type", &self.account_type)
            .field("currency", &self.currency)
            .field("amount", &self.amount)
            .field("bank_id", &self.bank_id)
            .field("mch_order_no", &self.mch_order_no)
            .field("notify_url", &self.notify_url)
            .field("nonce_str", &self.nonce_str)
            .field("id_type", &self.id_type)
            .field("id_card", &last_four(self.id_card))
            .field("phone", &last_four(self.phone))
            .field("email", &self.email.map(|e| mask(e, MaskStyle::Email)))
            .field("remark", &self.remark)
            .finish()
    }
}

/// Why a payout cannot be sent to this Cashy merchant at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Unsupported {
    pub field: &'static str,
    pub message: String,
}

fn unsupported(field: &'static str, message: impl Into<String>) -> Unsupported {
    Unsupported {
        field,
        message: message.into(),
    }
}

/// Cashy's `idType`: CC 1, CE 2, TI 3, NIT 4, PA/PASSPORT 5 (PROVIDERS.md §2).
fn id_type(document: &Document) -> Option<&'static str> {
    match document.doc_type.trim().to_ascii_uppercase().as_str() {
        "CC" => Some("1"),
        "CE" => Some("2"),
        "TI" => Some("3"),
        "NIT" => Some("4"),
        "PA" | "PASSPORT" => Some("5"),
        _ => None,
    }
}

/// The first `max` characters of `text`, trimmed.
fn clip(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

/// A required field, refused when longer than Cashy's column of `max` characters.
fn within<'v>(value: &'v str, max: usize, field: &'static str) -> Result<&'v str, Unsupported> {
    if value.chars().count() > max {
        return Err(unsupported(
            field,
            format!("Cashy takes at most {max} characters"),
        ));
    }
    Ok(value)
}

/// An optional field, left out when longer than Cashy's column.
fn fits(value: &str, max: usize) -> Option<&str> {
    (!value.is_empty() && value.chars().count() <= max).then_some(value)
}

impl<'a> PayOutRequest<'a> {
    /// The body for `order` at the merchant of `config`. `bank_id` is the Cashy bank of a
    /// Colombian account (from `bankListQuery`).
    pub fn new(
        config: &'a CashyConfig,
        order: PayoutOrder<'a>,
        bank_id: Option<i64>,
        nonce_str: String,
    ) -> Result<Self, Unsupported> {
        let request = order.request;
        let currency = config.country.currency();
        if request.money.currency() != currency {
            return Err(unsupported(
                "currency",
                format!(
                    "this Cashy merchant pays {}, not {}",
                    currency,
                    request.money.currency()
                ),
            ));
        }
        let mut body = PayOutRequest {
            account_name: String::new(),
            account_no: "",
            account_type: 0,
            currency: currency.code(),
            amount: request.money.amount(),
            bank_id,
            mch_order_no: order.handle,
            notify_url: &config.notify_url,
            nonce_str,
            id_type: None,
            id_card: None,
            phone: None,
            email: None,
            remark: remark(&config.remark),
        };
        match (config.country, &request.beneficiary) {
            (CashyCountry::Co, PayoutBeneficiary::CoBank(a)) => {
                body.co_bank(a, &request.beneficiary.holder_name(), bank_id)?;
            }
            (CashyCountry::Tz, PayoutBeneficiary::TzMobile(w)) => {
                body.tz_mobile(w, &request.beneficiary.holder_name())?;
            }
            (country, other) => {
                return Err(unsupported(
                    "beneficiary.rail",
                    format!("Cashy {country:?} does not pay {}", other.rail().as_str()),
                ));
            }
        }
        Ok(body)
    }

    /// Fills in a Colombian bank account: Cashy's bank, the account's kind (e-wallets always 1)
    /// and the holder's document and contact.
    fn co_bank(
        &mut self,
        a: &'a CoBankAccount,
        holder_name: &str,
        bank_id: Option<i64>,
    ) -> Result<(), Unsupported> {
        self.bank_id = Some(bank_id.ok_or_else(|| {
            unsupported("beneficiary.bank_code", "no Cashy bankId for this bank")
        })?);
        self.account_name = clip(holder_name, 32);
        self.account_no = within(a.account_number.expose(), 32, "beneficiary.account_number")?;
        self.account_type = match a.account_type {
            _ if CO_EWALLETS.contains(&co_banks::ach_code(&a.bank_code)) => 1,
            CoAccountType::Checking => 0,
            CoAccountType::Savings => 1,
        };
        let id = id_type(&a.document).ok_or_else(|| {
            unsupported(
                "beneficiary.document.type",
                "Cashy takes CC, CE, TI, NIT or PA",
            )
        })?;
        self.id_type = Some(id.to_string());
        self.id_card = Some(within(
            a.document.number.expose(),
            32,
            "beneficiary.document.number",
        )?);
        self.phone = fits(a.phone.expose(), 32);
        self.email = fits(a.email.expose(), 32);
        Ok(())
    }

    /// Fills in a Tanzanian mobile wallet: whole shillings, the national number and the
    /// operator, and the holder's document and contact when given.
    fn tz_mobile(&mut self, w: &'a TzMobileWallet, holder_name: &str) -> Result<(), Unsupported> {
        if !self.amount.fract().is_zero() {
            return Err(unsupported("amount", "TZS payouts are whole shillings"));
        }
        self.amount = self.amount.trunc();
        self.account_name = clip(holder_name, 64);
        self.account_no = tz_national_number(w.msisdn.expose())
            .map_err(|e| unsupported("beneficiary.msisdn", e.to_string()))?;
        self.account_type = match w.operator {
            TzOperator::Airtel => 0,
            TzOperator::Tigo => 1,
            TzOperator::Halotel => 2,
            TzOperator::Vodacom => 3,
        };
        if let Some(document) = &w.document {
            let raw = document.doc_type.trim();
            // Optional in Tanzania: a document Cashy's columns cannot hold is left out.
            let number = document.number.expose();
            if number.chars().count() <= 32 && raw.chars().count() <= 32 {
                self.id_type = Some(id_type(document).unwrap_or(raw).to_string());
                self.id_card = Some(number);
            }
        }
        self.phone = w.phone.as_ref().and_then(|p| fits(p.expose(), 32));
        self.email = w.email.as_ref().and_then(|e| fits(e.expose(), 64));
        Ok(())
    }
}

/// The remark: English or Spanish without accents (seed 004), at most 32 characters: accented
/// letters lose their accent (`ñ` becomes `n`), other non-ASCII characters are dropped.
pub(crate) fn remark(configured: &str) -> String {
    let kept: String = configured
        .chars()
        .filter_map(unaccented)
        .filter(|c| !c.is_ascii_control())
        .take(32)
        .collect();
    if kept.trim().is_empty() {
        "payout".to_string()
    } else {
        kept
    }
}

/// `c` without its accent, when it is ASCII or an accented Latin letter of Spanish.
fn unaccented(c: char) -> Option<char> {
    const PAIRS: [(&str, char); 10] = [
        ("áàäâ", 'a'),
        ("éèëê", 'e'),
        ("íìïî", 'i'),
        ("óòöô", 'o'),
        ("úùüû", 'u'),
        ("ÁÀÄÂ", 'A'),
        ("ÉÈËÊ", 'E'),
        ("ÍÌÏÎ", 'I'),
        ("ÓÒÖÔ", 'O'),
        ("ÚÙÜÛ", 'U'),
    ];
    match c {
        c if c.is_ascii() => Some(c),
        'ñ' => Some('n'),
        'Ñ' => Some('N'),
        _ => PAIRS
            .iter()
            .find(|(accented, _)| accented.contains(c))
            .map(|(_, plain)| *plain),
    }
}

#[cfg(test)]
mod tests {
    use super::remark;

    #[test]
    fn remarks_are_english_or_spanish_without_accents() {
        assert_eq!(remark("Pago de nómina año 2026"), "Pago de nomina ano 2026");
        assert_eq!(remark("支付"), "payout");
        assert_eq!(remark(&"x".repeat(40)).len(), 32);
    }
}
