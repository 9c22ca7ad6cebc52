//! The rails' rules, as the providers themselves validate a beneficiary: who holds the account,
//! how to contact them, and the rail's own account, alias or wallet.

use super::{AliasType, Document, PayoutBeneficiary};
use crate::checks;
use crate::rejection::{ErrorCode, Rejection};
use crate::secret::Pii;

fn invalid(field: &str, message: impl std::fmt::Display) -> Rejection {
    Rejection::at(ErrorCode::InvalidBeneficiary, field, message.to_string())
}

fn check_holder(
    first: &Option<Pii>,
    last: &Option<Pii>,
    company: &Option<String>,
) -> Result<(), Rejection> {
    let present = |p: &Option<Pii>| p.as_ref().is_some_and(|p| !p.expose().trim().is_empty());
    let company_present = company.as_ref().is_some_and(|c| !c.trim().is_empty());
    match (present(first), present(last), company_present) {
        (true, true, _) | (false, false, true) => Ok(()),
        (true, false, false) => Err(Rejection::at(
            ErrorCode::MissingField,
            "last_name",
            "a person needs first_name and last_name",
        )),
        (false, true, false) => Err(Rejection::at(
            ErrorCode::MissingField,
            "first_name",
            "a person needs first_name and last_name",
        )),
        (false, false, false) => Err(Rejection::at(
            ErrorCode::MissingField,
            "first_name",
            "give first_name and last_name, or company_name",
        )),
        (_, _, true) => Err(invalid(
            "company_name",
            "give either a person's names or company_name, not both",
        )),
    }
}

fn check_contact(email: &Pii, phone: &Pii, document: &Document) -> Result<(), Rejection> {
    checks::email(email.expose()).map_err(|e| invalid("email", e))?;
    checks::co_phone(phone.expose()).map_err(|e| invalid("phone", e))?;
    checks::co_document(&document.doc_type, document.number.expose())
        .map_err(|e| invalid("document", e))
}

impl PayoutBeneficiary {
    /// Applies the rail's rules (the providers' own validations), with field paths relative to the
    /// beneficiary object. A bank code is checked for its shape only: whether the provider pays
    /// into that bank is its bank list's to say, when the payout is routed
    /// ([`crate::payout::PayoutDraft::into_command_with_banks`]).
    pub fn validate(&self) -> Result<(), Rejection> {
        match self {
            PayoutBeneficiary::CoBank(a) => {
                check_holder(&a.first_name, &a.last_name, &a.company_name)?;
                check_contact(&a.email, &a.phone, &a.document)?;
                checks::co_bank_code(&a.bank_code).map_err(|e| invalid("bank_code", e))?;
                checks::co_bank_account_number(a.account_number.expose())
                    .map_err(|e| invalid("account_number", e))
            }
            PayoutBeneficiary::CoAlias(a) => {
                check_holder(&a.first_name, &a.last_name, &a.company_name)?;
                check_contact(&a.email, &a.phone, &a.document)?;
                check_alias(a.alias_type, a.alias.expose()).map_err(|e| invalid("alias", e))
            }
            PayoutBeneficiary::TzMobile(w) => {
                if w.name.expose().trim().is_empty() {
                    return Err(Rejection::at(ErrorCode::MissingField, "name", "is empty"));
                }
                checks::tz_msisdn(w.msisdn.expose()).map_err(|e| invalid("msisdn", e))?;
                checks::tz_operator_prefix_matches(w.msisdn.expose(), w.operator.as_str())
                    .map_err(|e| invalid("operator", e))?;
                if let Some(email) = &w.email {
                    checks::email(email.expose()).map_err(|e| invalid("email", e))?;
                }
                Ok(())
            }
        }
    }
}

fn check_alias(alias_type: AliasType, alias: &str) -> Result<(), String> {
    let fail = |what: &str| Err(format!("is not a valid {what} alias"));
    match alias_type {
        AliasType::Phone => checks::co_phone(alias).map_err(|e| e.to_string()),
        AliasType::Email => checks::email(alias).map_err(|e| e.to_string()),
        AliasType::NationalId => checks::co_document("CC", alias).map_err(|e| e.to_string()),
        AliasType::BusinessId => checks::co_document("NIT", alias).map_err(|e| e.to_string()),
        AliasType::Alphanumeric => {
            let n = alias.chars().count();
            if (3..=30).contains(&n) && alias.chars().all(|c| c.is_ascii_alphanumeric()) {
                Ok(())
            } else {
                fail("ALPHANUMERIC (3 to 30 letters and digits)")
            }
        }
    }
}
