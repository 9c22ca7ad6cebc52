//! KillB account types (seed 002) and the validations KillB applies, applied by Giro before a
//! registration is accepted.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::checks;
use crate::rail::{CoAccountType, CoBankAccount, Document, PayoutBeneficiary};
use crate::rejection::{ErrorCode, Rejection};
use crate::secret::{MaskStyle, Pii, pii};

/// KillB's account types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum AccountType {
    Pse,
    Spei,
    Ach,
    Wire,
    Transfiya,
    Wallet,
}

/// SPEI destination kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClabeType {
    Clabe,
    DebitCard,
    PhoneNumber,
}

/// Blockchains KillB pays stablecoins on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Network {
    Polygon,
    Solana,
    Ethereum,
    Arbitrum,
    Tron,
    Bsc,
}

/// A document with its issuing country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountDocument {
    #[serde(rename = "type")]
    pub doc_type: String,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::last_four")]
    pub number: Pii,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_country_code: Option<String>,
}

/// The account's details; which fields are required depends on the type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::email")]
    pub email: Pii,
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    #[serde(with = "pii::last_four")]
    pub phone: Pii,
    pub country_code: String,
    #[serde(deserialize_with = "crate::wire::object")]
    pub document: AccountDocument,
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_pii")]
    pub account_number: Option<Pii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<CoAccountType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_number: Option<String>,
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_pii")]
    pub clabe: Option<Pii>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clabe_type: Option<ClabeType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

pub(crate) mod opt_pii {
    use crate::secret::{MaskStyle, Pii};
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &Option<Pii>, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Pii>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|v| Pii::open(v, MaskStyle::LastFour))
            .transpose()
            .map_err(D::Error::custom)
    }
}

fn missing(field: &str, t: AccountType) -> Rejection {
    Rejection::at(
        ErrorCode::MissingField,
        field,
        format!("is required for {t:?} accounts"),
    )
}

fn bad(field: &str, e: impl std::fmt::Display) -> Rejection {
    Rejection::at(ErrorCode::InvalidBeneficiary, field, e.to_string())
}

fn need<'a, T>(v: &'a Option<T>, field: &str, t: AccountType) -> Result<&'a T, Rejection> {
    v.as_ref().ok_or_else(|| missing(field, t))
}

impl AccountData {
    /// The fields each type uses beyond the holder and contact fields.
    fn used_fields(t: AccountType) -> &'static [&'static str] {
        match t {
            AccountType::Pse => &["account_number", "bank_code", "account_type"],
            AccountType::Spei => &["clabe", "clabe_type"],
            AccountType::Ach | AccountType::Wire => &[
                "bank_name",
                "routing_number",
                "account_number",
                "account_type",
            ],
            AccountType::Transfiya => &[],
            AccountType::Wallet => &["currency", "network", "address"],
        }
    }

    /// KillB's validation for an account of type `t`; paths are relative to `data`. A bank code
    /// is checked for its shape; whether KillB lists the bank is its bank list's to say
    /// ([`crate::bank_lists::BankLists::check_account`]).
    pub fn validate(&self, t: AccountType) -> Result<(), Rejection> {
        self.validate_holder()?;
        self.validate_no_unused_fields(t)?;
        self.validate_type_specific(t)
    }

    /// The checks every account type shares: a person's names or a company name, the email and
    /// the country code.
    fn validate_holder(&self) -> Result<(), Rejection> {
        let person = self
            .first_name
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty())
            && self
                .last_name
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty());
        let company = self
            .company_name
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        if !person && !company {
            return Err(Rejection::at(
                ErrorCode::MissingField,
                "first_name",
                "give first_name and last_name, or company_name",
            ));
        }
        checks::email(self.email.expose()).map_err(|e| bad("email", e))?;
        if self.country_code.len() != 2
            || !self.country_code.bytes().all(|b| b.is_ascii_uppercase())
        {
            return Err(bad(
                "country_code",
                "must be an ISO 3166-1 alpha-2 code like CO",
            ));
        }
        Ok(())
    }

    /// Refuses a field that accounts of type `t` do not use.
    fn validate_no_unused_fields(&self, t: AccountType) -> Result<(), Rejection> {
        let set: [(&str, bool); 10] = [
            ("account_number", self.account_number.is_some()),
            ("bank_code", self.bank_code.is_some()),
            ("account_type", self.account_type.is_some()),
            ("bank_name", self.bank_name.is_some()),
            ("routing_number", self.routing_number.is_some()),
            ("clabe", self.clabe.is_some()),
            ("clabe_type", self.clabe_type.is_some()),
            ("currency", self.currency.is_some()),
            ("network", self.network.is_some()),
            ("address", self.address.is_some()),
        ];
        if let Some((field, _)) = set
            .iter()
            .find(|(f, present)| *present && !Self::used_fields(t).contains(f))
        {
            return Err(Rejection::at(
                ErrorCode::InvalidField,
                *field,
                format!("is not used by {t:?} accounts"),
            ));
        }
        Ok(())
    }

    /// The rules of accounts of type `t`: their required fields and how each must look.
    fn validate_type_specific(&self, t: AccountType) -> Result<(), Rejection> {
        match t {
            AccountType::Pse => {
                checks::co_phone(self.phone.expose()).map_err(|e| bad("phone", e))?;
                checks::co_document(&self.document.doc_type, self.document.number.expose())
                    .map_err(|e| bad("document", e))?;
                let number = need(&self.account_number, "account_number", t)?;
                checks::co_bank_account_number(number.expose())
                    .map_err(|e| bad("account_number", e))?;
                let code = need(&self.bank_code, "bank_code", t)?;
                checks::co_bank_code(code).map_err(|e| bad("bank_code", e))?;
                need(&self.account_type, "account_type", t)?;
            }
            AccountType::Spei => {
                let clabe = need(&self.clabe, "clabe", t)?.expose();
                match need(&self.clabe_type, "clabe_type", t)? {
                    ClabeType::Clabe => checks::clabe(clabe),
                    ClabeType::DebitCard => checks::debit_card(clabe),
                    ClabeType::PhoneNumber => checks::mx_phone(clabe),
                }
                .map_err(|e| bad("clabe", e))?;
            }
            AccountType::Ach | AccountType::Wire => {
                let routing = need(&self.routing_number, "routing_number", t)?;
                checks::aba_routing(routing).map_err(|e| bad("routing_number", e))?;
                let number = need(&self.account_number, "account_number", t)?.expose();
                if !(4..=17).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(bad("account_number", "must be 4 to 17 digits"));
                }
                need(&self.bank_name, "bank_name", t)?;
                need(&self.account_type, "account_type", t)?;
            }
            AccountType::Transfiya => {
                checks::co_phone(self.phone.expose()).map_err(|e| bad("phone", e))?;
            }
            AccountType::Wallet => {
                let currency = need(&self.currency, "currency", t)?;
                if currency != "USDC" && currency != "USDT" {
                    return Err(bad("currency", "wallets receive USDC or USDT"));
                }
                let address = need(&self.address, "address", t)?;
                match need(&self.network, "network", t)? {
                    Network::Polygon | Network::Ethereum | Network::Arbitrum | Network::Bsc => {
                        checks::evm_address(address)
                    }
                    Network::Tron => checks::tron_address(address),
                    Network::Solana => checks::solana_address(address),
                }
                .map_err(|e| bad("address", e))?;
            }
        }
        Ok(())
    }

    /// The data with personal fields masked.
    pub fn masked(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(obj) = v.as_object_mut() {
            let mask = |p: &Pii| Value::String(p.masked());
            obj.insert("email".into(), mask(&self.email));
            obj.insert("phone".into(), mask(&self.phone));
            obj.insert(
                "document".into(),
                json!({"type": self.document.doc_type, "number": mask(&self.document.number),
                       "issued_country_code": self.document.issued_country_code}),
            );
            for (k, p) in [
                ("account_number", &self.account_number),
                ("clabe", &self.clabe),
            ] {
                if let Some(p) = p {
                    obj.insert(k.into(), mask(p));
                }
            }
            for k in ["first_name", "last_name"] {
                if let Some(Value::String(s)) = obj.get(k) {
                    let masked = crate::secret::mask(s, MaskStyle::Initials);
                    obj.insert(k.into(), Value::String(masked));
                }
            }
        }
        v
    }

    /// The payout beneficiary this account pays into, for types Giro pays out to (PSE → co_bank).
    pub fn as_payout_beneficiary(&self, t: AccountType) -> Option<PayoutBeneficiary> {
        if t != AccountType::Pse {
            return None;
        }
        let name = |s: &Option<String>| s.clone().map(|s| Pii::new(s, MaskStyle::Initials));
        Some(PayoutBeneficiary::CoBank(CoBankAccount {
            first_name: name(&self.first_name),
            last_name: name(&self.last_name),
            company_name: self.company_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            document: Document {
                doc_type: self.document.doc_type.clone(),
                number: self.document.number.clone(),
            },
            bank_code: self.bank_code.clone()?,
            account_number: self.account_number.clone()?,
            account_type: self.account_type?,
        }))
    }
}
