//! Payout beneficiaries by rail (CONTRACT.md §1): where the money goes and who receives it. The
//! same types are read from a command and stored in `payout.requested` (the executor needs the
//! details); every rendering for people goes through [`PayoutBeneficiary::masked`].

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::checks;
use crate::co_banks;
use crate::rejection::{ErrorCode, Rejection};
use crate::secret::{Pii, pii};

/// The rails a payout can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rail {
    /// A Colombian bank account (KillB PSE, Cashy COP).
    CoBank,
    /// A Colombian BREB alias (KillB).
    CoAlias,
    /// A Tanzanian mobile wallet (Cashy TZS).
    TzMobile,
}

impl Rail {
    pub fn as_str(self) -> &'static str {
        match self {
            Rail::CoBank => "co_bank",
            Rail::CoAlias => "co_alias",
            Rail::TzMobile => "tz_mobile",
        }
    }
}

/// A beneficiary, tagged by `rail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "rail", rename_all = "snake_case")]
pub enum PayoutBeneficiary {
    CoBank(CoBankAccount),
    CoAlias(CoAlias),
    TzMobile(TzMobileWallet),
}

/// An identity document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Document {
    #[serde(rename = "type")]
    pub doc_type: String,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::last_four")]
    pub number: Pii,
}

/// Who holds a Colombian account: a person (first and last name) or a company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CoBankAccount {
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(
        default,
        with = "opt_initials",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_name: Option<Pii>,
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(
        default,
        with = "opt_initials",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_name: Option<Pii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::email")]
    pub email: Pii,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::last_four")]
    pub phone: Pii,
    pub document: Document,
    pub bank_code: String,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::last_four")]
    pub account_number: Pii,
    pub account_type: CoAccountType,
}

/// `savings` or `checking`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CoAccountType {
    Savings,
    Checking,
}

/// A KillB BREB alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CoAlias {
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(
        default,
        with = "opt_initials",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_name: Option<Pii>,
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(
        default,
        with = "opt_initials",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_name: Option<Pii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::email")]
    pub email: Pii,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::last_four")]
    pub phone: Pii,
    pub document: Document,
    pub alias_type: AliasType,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::last_four")]
    pub alias: Pii,
}

/// BREB alias kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AliasType {
    NationalId,
    Phone,
    Email,
    Alphanumeric,
    BusinessId,
}

/// A Tanzanian mobile wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TzMobileWallet {
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::initials")]
    pub name: Pii,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::last_four")]
    pub msisdn: Pii,
    pub operator: TzOperator,
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(
        default,
        with = "opt_last_four",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<Pii>,
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(default, with = "opt_email", skip_serializing_if = "Option::is_none")]
    pub email: Option<Pii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
}

/// Tanzanian mobile network operators Cashy pays into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TzOperator {
    Airtel,
    Tigo,
    Halotel,
    Vodacom,
}

impl TzOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            TzOperator::Airtel => "airtel",
            TzOperator::Tigo => "tigo",
            TzOperator::Halotel => "halotel",
            TzOperator::Vodacom => "vodacom",
        }
    }
}

macro_rules! optional_pii {
    ($name:ident, $style:expr) => {
        mod $name {
            use crate::secret::Pii;
            use serde::{Deserialize, Deserializer, Serialize, Serializer};

            pub fn serialize<S: Serializer>(v: &Option<Pii>, s: S) -> Result<S::Ok, S::Error> {
                v.serialize(s)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Pii>, D::Error> {
                Option::<String>::deserialize(d).map(|v| v.map(|v| Pii::new(v, $style)))
            }
        }
    };
}
optional_pii!(opt_initials, crate::secret::MaskStyle::Initials);
optional_pii!(opt_last_four, crate::secret::MaskStyle::LastFour);
optional_pii!(opt_email, crate::secret::MaskStyle::Email);

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
    /// Reads a beneficiary from a command, with errors naming the exact field under `root`
    /// (serde's tagged enums lose the path, so the rail is read first, then its struct).
    pub fn from_command(value: Value, root: &str) -> Result<Self, Rejection> {
        let Value::Object(mut map) = value else {
            return Err(Rejection::at(
                ErrorCode::InvalidField,
                root,
                "must be an object",
            ));
        };
        let rail_path = format!("{root}.rail");
        let rail = match map.remove("rail") {
            None => {
                return Err(Rejection::at(
                    ErrorCode::MissingField,
                    rail_path,
                    "is required",
                ));
            }
            Some(Value::String(r)) => r,
            Some(_) => {
                return Err(Rejection::at(
                    ErrorCode::InvalidField,
                    rail_path,
                    "must be a string",
                ));
            }
        };
        let body = Value::Object(map);
        match rail.as_str() {
            "co_bank" => crate::wire::typed(body, root).map(PayoutBeneficiary::CoBank),
            "co_alias" => crate::wire::typed(body, root).map(PayoutBeneficiary::CoAlias),
            "tz_mobile" => crate::wire::typed(body, root).map(PayoutBeneficiary::TzMobile),
            other => Err(Rejection::at(
                ErrorCode::InvalidField,
                rail_path,
                format!("{other:?} is not one of co_bank, co_alias, tz_mobile"),
            )),
        }
    }

    pub fn rail(&self) -> Rail {
        match self {
            PayoutBeneficiary::CoBank(_) => Rail::CoBank,
            PayoutBeneficiary::CoAlias(_) => Rail::CoAlias,
            PayoutBeneficiary::TzMobile(_) => Rail::TzMobile,
        }
    }

    /// Applies the rail's rules (the providers' own validations), with field paths relative to the
    /// beneficiary object.
    pub fn validate(&self) -> Result<(), Rejection> {
        match self {
            PayoutBeneficiary::CoBank(a) => {
                check_holder(&a.first_name, &a.last_name, &a.company_name)?;
                check_contact(&a.email, &a.phone, &a.document)?;
                if co_banks::find(&a.bank_code).is_none() {
                    return Err(invalid(
                        "bank_code",
                        "is not a Colombian bank code Giro knows (see GET /api/v2/banks)",
                    ));
                }
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

    /// The holder's display name as the provider needs it (`first last` or the company name).
    pub fn holder_name(&self) -> String {
        let person = |f: &Option<Pii>, l: &Option<Pii>, c: &Option<String>| match (f, l) {
            (Some(f), Some(l)) => format!("{} {}", f.expose().trim(), l.expose().trim()),
            _ => c.clone().unwrap_or_default(),
        };
        match self {
            PayoutBeneficiary::CoBank(a) => person(&a.first_name, &a.last_name, &a.company_name),
            PayoutBeneficiary::CoAlias(a) => person(&a.first_name, &a.last_name, &a.company_name),
            PayoutBeneficiary::TzMobile(w) => w.name.expose().trim().to_string(),
        }
    }

    /// A view with every personal field masked: what logs, projections and replies may show.
    pub fn masked(&self) -> Value {
        let m = |p: &Pii| Value::String(p.masked());
        let om = |p: &Option<Pii>| p.as_ref().map(|p| p.masked());
        match self {
            PayoutBeneficiary::CoBank(a) => json!({
                "rail": "co_bank",
                "first_name": om(&a.first_name), "last_name": om(&a.last_name),
                "company_name": a.company_name,
                "email": m(&a.email), "phone": m(&a.phone),
                "document": {"type": a.document.doc_type, "number": m(&a.document.number)},
                "bank_code": a.bank_code, "account_number": m(&a.account_number),
                "account_type": a.account_type,
            }),
            PayoutBeneficiary::CoAlias(a) => json!({
                "rail": "co_alias",
                "first_name": om(&a.first_name), "last_name": om(&a.last_name),
                "company_name": a.company_name,
                "email": m(&a.email), "phone": m(&a.phone),
                "document": {"type": a.document.doc_type, "number": m(&a.document.number)},
                "alias_type": a.alias_type, "alias": m(&a.alias),
            }),
            PayoutBeneficiary::TzMobile(w) => json!({
                "rail": "tz_mobile",
                "name": m(&w.name), "msisdn": m(&w.msisdn), "operator": w.operator,
                "phone": om(&w.phone), "email": om(&w.email),
                "document": w.document.as_ref().map(|d| json!({"type": d.doc_type, "number": m(&d.number)})),
            }),
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
