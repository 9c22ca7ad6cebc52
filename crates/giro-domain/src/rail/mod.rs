//! Payout beneficiaries by rail (CONTRACT.md §1): where the money goes and who receives it. The
//! same types are read from a command and stored in `payout.requested` (the executor needs the
//! details); every rendering for people goes through [`PayoutBeneficiary::masked`].
//!
//! The rails' validation rules are in `validate`.

mod validate;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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
    #[serde(deserialize_with = "crate::wire::object")]
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
    #[serde(deserialize_with = "crate::wire::object")]
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
    #[serde(
        default,
        deserialize_with = "crate::wire::optional_object",
        skip_serializing_if = "Option::is_none"
    )]
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
            use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

            pub fn serialize<S: Serializer>(v: &Option<Pii>, s: S) -> Result<S::Ok, S::Error> {
                v.serialize(s)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Pii>, D::Error> {
                Option::<String>::deserialize(d)?
                    .map(|v| Pii::open(v, $style))
                    .transpose()
                    .map_err(D::Error::custom)
            }
        }
    };
}
optional_pii!(opt_initials, crate::secret::MaskStyle::Initials);
optional_pii!(opt_last_four, crate::secret::MaskStyle::LastFour);
optional_pii!(opt_email, crate::secret::MaskStyle::Email);

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
