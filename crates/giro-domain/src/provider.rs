//! Provider instances, what each accepts, and how an order without an explicit provider is routed.
//! The catalog is data: deployments change it through configuration, not code.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::ProviderId;
use crate::money::{AmountRule, Currency, Money};
use crate::rail::{PayoutBeneficiary, Rail};
use crate::rejection::{ErrorCode, Rejection};

/// One payout corridor of a provider instance: a rail, a currency and its amount rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutCorridor {
    pub rail: Rail,
    pub currency: Currency,
    pub amounts: AmountRule,
    /// Longest holder name the provider accepts (Cashy: 32 in Colombia, 64 in Tanzania).
    pub max_name_len: Option<usize>,
    /// Document types the provider accepts for this corridor; empty means any the rail allows.
    pub document_types: Vec<String>,
}

/// A configured provider instance (`killb`, `cashy-co`, `cashy-tz`, `a55`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderProfile {
    pub id: ProviderId,
    /// The adapter that speaks this instance's API: its folder in `giro-providers`.
    pub adapter: String,
    pub payouts: Vec<PayoutCorridor>,
    /// Charge currencies with their amount rule (A55).
    pub charges: Vec<(Currency, AmountRule)>,
}

pub use crate::routing::{Candidate, RouteDecision, RouteRule, Routed};

/// Every provider instance Giro knows, and the routing rules (see [`crate::routing`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub providers: Vec<ProviderProfile>,
    pub routes: Vec<RouteRule>,
}

fn whole(n: i64) -> Decimal {
    Decimal::from(n)
}

/// The built-in ids are literals, checked by `default_catalog_ids_are_valid_and_routed`.
fn pid(s: &str) -> ProviderId {
    ProviderId::new_unchecked(s)
}

/// The executor instance that keeps beneficiary accounts (the `Giro-Provider` of their events),
/// part of the default configuration below.
pub const ACCOUNTS_PROVIDER: &str = "killb-accounts";

impl Default for Catalog {
    /// The default deployment: KillB (PSE and BREB in COP), Cashy Colombia and Tanzania, A55.
    fn default() -> Self {
        let cashy_docs = ["CC", "CE", "TI", "NIT", "PA", "PASSPORT"]
            .map(String::from)
            .to_vec();
        let killb_cop = AmountRule {
            min: whole(1),
            max: whole(1_000_000_000),
            scale: 2,
        };
        let a55_two = AmountRule {
            min: Decimal::new(1, 2),
            max: whole(1_000_000_000),
            scale: 2,
        };
        let a55_zero = AmountRule {
            min: whole(1),
            max: whole(1_000_000_000),
            scale: 0,
        };
        Catalog {
            providers: vec![
                ProviderProfile {
                    id: pid("killb"),
                    adapter: "killb".into(),
                    payouts: [Rail::CoBank, Rail::CoAlias]
                        .map(|rail| PayoutCorridor {
                            rail,
                            currency: Currency::COP,
                            amounts: killb_cop,
                            max_name_len: None,
                            document_types: vec![],
                        })
                        .to_vec(),
                    charges: vec![],
                },
                ProviderProfile {
                    id: pid("cashy-co"),
                    adapter: "cashy".into(),
                    payouts: vec![PayoutCorridor {
                        rail: Rail::CoBank,
                        currency: Currency::COP,
                        amounts: AmountRule {
                            min: whole(10_000),
                            max: whole(5_000_000),
                            scale: 2,
                        },
                        max_name_len: Some(32),
                        document_types: cashy_docs,
                    }],
                    charges: vec![],
                },
                ProviderProfile {
                    id: pid("cashy-tz"),
                    adapter: "cashy".into(),
                    payouts: vec![PayoutCorridor {
                        rail: Rail::TzMobile,
                        currency: Currency::TZS,
                        amounts: AmountRule {
                            min: whole(500),
                            max: whole(3_000_000),
                            scale: 0,
                        },
                        max_name_len: Some(64),
                        document_types: vec![],
                    }],
                    charges: vec![],
                },
                ProviderProfile {
                    id: pid("a55"),
                    adapter: "a55".into(),
                    payouts: vec![],
                    charges: Currency::ALL
                        .into_iter()
                        .filter(|c| *c != Currency::TZS)
                        .map(|c| match c {
                            Currency::CLP | Currency::COP => (c, a55_zero),
                            _ => (c, a55_two),
                        })
                        .collect(),
                },
            ],
            routes: vec![
                RouteRule::single(Rail::CoBank, Currency::COP, pid("cashy-co")),
                RouteRule::single(Rail::CoAlias, Currency::COP, pid("killb")),
                RouteRule::single(Rail::TzMobile, Currency::TZS, pid("cashy-tz")),
            ],
        }
    }
}

impl Catalog {
    pub fn provider(&self, id: &ProviderId) -> Option<&ProviderProfile> {
        self.providers.iter().find(|p| &p.id == id)
    }
}

impl PayoutCorridor {
    /// The provider's own rules beyond the rail's: amount range and precision, name length,
    /// accepted documents.
    pub fn check(&self, money: &Money, beneficiary: &PayoutBeneficiary) -> Result<(), Rejection> {
        self.amounts
            .check(money)
            .map_err(crate::payout::amount_rejection)?;
        if let Some(max) = self.max_name_len {
            let len = beneficiary.holder_name().chars().count();
            if len > max {
                return Err(Rejection::at(
                    ErrorCode::InvalidBeneficiary,
                    "beneficiary",
                    format!("holder name is {len} characters; this provider accepts at most {max}"),
                ));
            }
        }
        if !self.document_types.is_empty() {
            let doc = match beneficiary {
                PayoutBeneficiary::CoBank(a) => Some(&a.document),
                PayoutBeneficiary::CoAlias(a) => Some(&a.document),
                PayoutBeneficiary::TzMobile(w) => w.document.as_ref(),
            };
            if let Some(doc) = doc
                && !self.document_types.iter().any(|t| t == &doc.doc_type)
            {
                return Err(Rejection::at(
                    ErrorCode::InvalidBeneficiary,
                    "beneficiary.document.type",
                    format!(
                        "{:?} is not accepted by this provider; use one of {}",
                        doc.doc_type,
                        self.document_types.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_catalog_ids_are_valid_and_routed() {
        let c = Catalog::default();
        let ids: Vec<_> = c.providers.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["killb", "cashy-co", "cashy-tz", "a55"]);
        for id in ids {
            assert!(ProviderId::try_from(id.to_string()).is_ok(), "{id}");
        }
        assert_eq!(c.validate_routes(), Ok(()));
    }
}
