//! Routing rules: which provider instance makes a payout that names none.
//!
//! Rules are configuration (`GIRO_ROUTES_FILE`, else each adapter's default rule per corridor).
//! They are tried by `priority`, highest first (ties in file order). A rule matches a payout by
//! rail, currency, amount range and beneficiary bank (each optional); its candidates are the
//! provider instances it names that serve the payout's corridor and accept the payout (amount
//! limits, name length, document type). The first rule with an eligible candidate decides; among
//! several candidates one is chosen by weight, deterministically from the order id, so the same
//! request always routes the same way. The rule and the candidates considered are recorded in
//! `payout.requested` ([`RouteDecision`]).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::bank_lists::BankLists;
use crate::ids::{OrderId, ProviderId};
use crate::money::{Currency, Money};
use crate::provider::{Catalog, PayoutCorridor, ProviderProfile};
use crate::rail::{PayoutBeneficiary, Rail};
use crate::rejection::{ErrorCode, Rejection};

/// One provider instance a rule may send payouts to, with its share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    pub provider: ProviderId,
    /// Relative share among the rule's eligible candidates (1 by default).
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// A routing rule. Every condition left out matches anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    /// Unique; errors, explanations and `payout.requested` name the rule by it.
    pub name: String,
    /// Higher is tried first; equal priorities keep their order.
    #[serde(default)]
    pub priority: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rail: Option<Rail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Inclusive bounds on the amount, in the payout's currency: decimal strings (`"2000000"`),
    /// never JSON numbers, which could stand for a float.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub min_amount: Option<Decimal>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub max_amount: Option<Decimal>,
    /// Beneficiary bank codes (Colombian bank accounts); empty matches any bank and any rail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bank_codes: Vec<String>,
    pub providers: Vec<Candidate>,
}

impl RouteRule {
    /// A rule sending every payout of `rail` in `currency` to `provider`: an adapter's default.
    pub fn single(rail: Rail, currency: Currency, provider: ProviderId) -> Self {
        RouteRule {
            name: format!(
                "{}-{}-{}",
                provider,
                rail.as_str(),
                currency.code().to_lowercase()
            ),
            priority: 0,
            rail: Some(rail),
            currency: Some(currency),
            min_amount: None,
            max_amount: None,
            bank_codes: vec![],
            providers: vec![Candidate {
                provider,
                weight: 1,
            }],
        }
    }

    /// Why the rule does not match the payout, or `None` when it does.
    pub fn mismatch(&self, money: &Money, beneficiary: &PayoutBeneficiary) -> Option<String> {
        let rail = beneficiary.rail();
        if self.rail.is_some_and(|r| r != rail) {
            return Some(format!("rail is {}", rail.as_str()));
        }
        if self.currency.is_some_and(|c| c != money.currency()) {
            return Some(format!("currency is {}", money.currency()));
        }
        let amount = money.amount();
        if self.min_amount.is_some_and(|min| amount < min) {
            return Some(format!(
                "amount {amount} is below {}",
                self.min_amount.unwrap_or_default()
            ));
        }
        if self.max_amount.is_some_and(|max| amount > max) {
            return Some(format!(
                "amount {amount} is above {}",
                self.max_amount.unwrap_or_default()
            ));
        }
        if !self.bank_codes.is_empty() {
            let bank = match beneficiary {
                PayoutBeneficiary::CoBank(a) => Some(a.bank_code.as_str()),
                _ => None,
            };
            match bank {
                Some(code) if self.bank_codes.iter().any(|b| same_bank(b, code)) => {}
                Some(code) => return Some(format!("bank {code} is not listed")),
                None => return Some("the beneficiary has no bank code".into()),
            }
        }
        None
    }
}

/// Bank codes compared by number (`001` and `1` are one bank).
fn same_bank(a: &str, b: &str) -> bool {
    a.trim_start_matches('0') == b.trim_start_matches('0')
}

/// What routing decided for a payout that named no provider, kept in `payout.requested`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RouteDecision {
    /// The rule that decided.
    pub rule: String,
    /// Its eligible candidates, in the rule's order; the chosen one is the payout's `provider`.
    pub candidates: Vec<ProviderId>,
}

/// Picks one of `eligible` (with weights) for `order`: the same order always gets the same one,
/// and over many orders each gets its share.
pub fn choose(order: OrderId, eligible: &[&Candidate]) -> Option<ProviderId> {
    let total: u64 = eligible.iter().map(|c| u64::from(c.weight)).sum();
    if total == 0 {
        return None;
    }
    let mut point = u64::try_from(order.as_uuid().as_u128() % u128::from(total)).ok()?;
    for c in eligible {
        let w = u64::from(c.weight);
        if point < w {
            return Some(c.provider.clone());
        }
        point -= w;
    }
    None
}

/// Where a payout goes: the provider instance, its corridor, and the routing decision when no
/// provider was named.
#[derive(Debug)]
pub struct Routed<'a> {
    pub profile: &'a ProviderProfile,
    pub corridor: &'a PayoutCorridor,
    pub decision: Option<RouteDecision>,
}

/// The rules in the order they are tried.
fn by_priority(rules: &[RouteRule]) -> Vec<&RouteRule> {
    let mut sorted: Vec<&RouteRule> = rules.iter().collect();
    sorted.sort_by_key(|r| std::cmp::Reverse(r.priority));
    sorted
}

impl Catalog {
    /// The corridor of `provider` for the payout, checked against its rules and, when `banks`
    /// are given, the bank against the provider's bank list.
    fn corridor_for(
        &self,
        provider: &ProviderId,
        money: &Money,
        beneficiary: &PayoutBeneficiary,
        banks: Option<&BankLists>,
    ) -> Result<(&ProviderProfile, &PayoutCorridor), Rejection> {
        let profile = self.provider(provider).ok_or_else(|| {
            Rejection::at(
                ErrorCode::UnknownProvider,
                "provider",
                format!("{provider:?} is not a configured provider instance"),
            )
        })?;
        let (rail, currency) = (beneficiary.rail(), money.currency());
        let corridor = profile
            .payouts
            .iter()
            .find(|c| c.rail == rail && c.currency == currency)
            .ok_or_else(|| {
                Rejection::new(
                    ErrorCode::NoRoute,
                    format!("{provider} does not pay {} in {currency}", rail.as_str()),
                )
            })?;
        corridor.check(money, beneficiary)?;
        if let (Some(banks), PayoutBeneficiary::CoBank(account)) = (banks, beneficiary) {
            banks
                .check(provider.as_str(), &account.bank_code)
                .map_err(|m| {
                    Rejection::at(ErrorCode::InvalidBeneficiary, "beneficiary.bank_code", m)
                })?;
        }
        Ok((profile, corridor))
    }

    /// Routes a payout: to the provider the caller named (which must serve and accept it), else
    /// by the rules. A provider accepts a payout its corridor allows and, with `banks` (the lists
    /// the providers' set-up fetched), whose bank is in its list. When a rule matched but none of
    /// its providers accepts the payout (its amount beyond every limit, say), the first
    /// provider's refusal is the answer.
    pub fn route_payout(
        &self,
        named: Option<&ProviderId>,
        money: &Money,
        beneficiary: &PayoutBeneficiary,
        order: OrderId,
        banks: Option<&BankLists>,
    ) -> Result<Routed<'_>, Rejection> {
        if let Some(named) = named {
            let (profile, corridor) = self.corridor_for(named, money, beneficiary, banks)?;
            return Ok(Routed {
                profile,
                corridor,
                decision: None,
            });
        }
        let mut refusal = None;
        for rule in by_priority(&self.routes) {
            if rule.mismatch(money, beneficiary).is_some() {
                continue;
            }
            let mut eligible = Vec::new();
            for c in &rule.providers {
                match self.corridor_for(&c.provider, money, beneficiary, banks) {
                    Ok(_) => eligible.push(c),
                    Err(r) => {
                        refusal.get_or_insert(r);
                    }
                }
            }
            let Some(chosen) = choose(order, &eligible) else {
                continue;
            };
            let (profile, corridor) = self.corridor_for(&chosen, money, beneficiary, banks)?;
            return Ok(Routed {
                profile,
                corridor,
                decision: Some(RouteDecision {
                    rule: rule.name.clone(),
                    candidates: eligible.iter().map(|c| c.provider.clone()).collect(),
                }),
            });
        }
        Err(refusal.unwrap_or_else(|| {
            Rejection::new(
                ErrorCode::NoRoute,
                format!(
                    "no routing rule sends {} payouts in {} of {} anywhere",
                    beneficiary.rail().as_str(),
                    money.currency(),
                    money.amount()
                ),
            )
        }))
    }

    /// How the rules treat a payout, rule by rule: what `giro routes check` prints.
    pub fn explain_route(
        &self,
        money: &Money,
        beneficiary: &PayoutBeneficiary,
        order: OrderId,
        banks: Option<&BankLists>,
    ) -> Vec<String> {
        let mut lines = Vec::new();
        for rule in by_priority(&self.routes) {
            let head = format!("rule {:?} (priority {})", rule.name, rule.priority);
            if let Some(why) = rule.mismatch(money, beneficiary) {
                lines.push(format!("{head}: does not match: {why}"));
                continue;
            }
            lines.push(format!("{head}: matches"));
            let mut eligible = Vec::new();
            for c in &rule.providers {
                match self.corridor_for(&c.provider, money, beneficiary, banks) {
                    Ok(_) => {
                        lines.push(format!("  {} (weight {}): eligible", c.provider, c.weight));
                        eligible.push(c);
                    }
                    Err(r) => lines.push(format!(
                        "  {} (weight {}): refuses: {}",
                        c.provider, c.weight, r.message
                    )),
                }
            }
            if let Some(chosen) = choose(order, &eligible) {
                lines.push(format!("routed to {chosen} by rule {:?}", rule.name));
                return lines;
            }
        }
        lines.push("no rule routes this payout: no_route".into());
        lines
    }

    /// Checks the routing rules against the providers: each error names its rule.
    pub fn validate_routes(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for rule in &self.routes {
            let name = &rule.name;
            let mut fail = |what: String| errors.push(format!("routing rule {name:?}: {what}"));
            if name.trim().is_empty() {
                fail("has no name".into());
            }
            if !names.insert(name.as_str()) {
                fail("is defined twice".into());
            }
            if rule.providers.is_empty() {
                fail("names no provider".into());
            }
            if let (Some(min), Some(max)) = (rule.min_amount, rule.max_amount)
                && min > max
            {
                fail(format!("min_amount {min} is above max_amount {max}"));
            }
            for code in &rule.bank_codes {
                if code.is_empty() || code.len() > 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
                    fail(format!("bank code {code:?} is not 1 to 4 digits"));
                }
            }
            for c in &rule.providers {
                if c.weight == 0 {
                    fail(format!("{} has weight 0", c.provider));
                }
                let Some(profile) = self.provider(&c.provider) else {
                    fail(format!(
                        "{} is not a configured provider instance",
                        c.provider
                    ));
                    continue;
                };
                let serves = profile.payouts.iter().any(|k| {
                    rule.rail.is_none_or(|r| r == k.rail)
                        && rule.currency.is_none_or(|cur| cur == k.currency)
                });
                if !serves {
                    fail(format!(
                        "{} pays no {} payouts in {}",
                        c.provider,
                        rule.rail.map_or("such", Rail::as_str),
                        rule.currency
                            .map_or("any currency".to_string(), |c| c.to_string())
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The routing rules of a `GIRO_ROUTES_FILE`: `{"rules": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutesFile {
    pub rules: Vec<RouteRule>,
}

impl RoutesFile {
    /// Reads the file's JSON; an error names what is wrong and where.
    pub fn parse(text: &str) -> Result<Vec<RouteRule>, String> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize::<_, RoutesFile>(de)
            .map(|f| f.rules)
            .map_err(|e| format!("at {}: {}", e.path(), e.inner()))
    }
}
