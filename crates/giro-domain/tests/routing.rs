//! Routing rules: priority, conditions, providers that refuse, weights, what is recorded, what
//! `giro routes check` explains, and start-up validation naming the rule.

mod common;

use common::co_bank_body;
use giro_domain::bank_lists::{BankCodes, BankLists};
use giro_domain::payout::{PayoutDraft, parse_create};
use giro_domain::provider::Catalog;
use giro_domain::routing::{RouteRule, RoutesFile};
use giro_domain::{ErrorCode, OrderId};
use serde_json::{Value, json};

const RULES: &str = r#"{"rules": [
  {"name": "cop-split", "rail": "co_bank", "currency": "COP",
   "providers": [{"provider": "cashy-co", "weight": 3}, {"provider": "killb", "weight": 1}]},
  {"name": "big-cop", "priority": 10, "rail": "co_bank", "currency": "COP", "min_amount": "2000000",
   "providers": [{"provider": "killb"}]},
  {"name": "bancolombia", "priority": 5, "bank_codes": ["7"], "providers": [{"provider": "killb"}]},
  {"name": "tz", "rail": "tz_mobile", "providers": [{"provider": "cashy-tz"}]}
]}"#;

fn catalog(rules: &str) -> Catalog {
    Catalog {
        routes: RoutesFile::parse(rules).expect("the rules parse"),
        ..Catalog::default()
    }
}

fn draft(key: &str, amount: &str, bank: &str) -> PayoutDraft {
    let mut body: Value = co_bank_body(key);
    body.as_object_mut().unwrap().remove("provider");
    body["amount"] = json!(amount);
    body["beneficiary"]["bank_code"] = json!(bank);
    parse_create(body.to_string().as_bytes()).expect("a valid payout")
}

/// The provider and the recorded rule and candidates for a payout.
fn routed(c: &Catalog, d: PayoutDraft) -> (String, String, Vec<String>) {
    let p = d.into_command(c, None).expect("routed").requested;
    let route = p.route.expect("a routed payout records its route");
    let candidates = route.candidates.iter().map(|c| c.to_string()).collect();
    (p.provider.to_string(), route.rule, candidates)
}

#[test]
fn the_highest_priority_matching_rule_decides_and_is_recorded() {
    let c = catalog(RULES);
    assert_eq!(c.validate_routes(), Ok(()));
    let (provider, rule, candidates) = routed(&c, draft("r-1", "3000000", "001"));
    assert_eq!((provider.as_str(), rule.as_str()), ("killb", "big-cop"));
    assert_eq!(candidates, ["killb"]);
    let (provider, rule, _) = routed(&c, draft("r-2", "100000", "007"));
    assert_eq!(
        (provider.as_str(), rule.as_str()),
        ("killb", "bancolombia"),
        "bank 7 == 007"
    );
}

#[test]
fn a_provider_that_refuses_the_payout_is_no_candidate() {
    // Cashy Colombia pays at most 5,000,000 COP: above that only KillB is eligible.
    let rules = r#"{"rules": [{"name": "cop", "rail": "co_bank",
        "providers": [{"provider": "cashy-co"}, {"provider": "killb"}]}]}"#;
    let c = catalog(rules);
    for i in 0..20 {
        let (provider, _, candidates) = routed(&c, draft(&format!("big-{i}"), "6000000", "001"));
        assert_eq!(provider, "killb");
        assert_eq!(candidates, ["killb"]);
    }
    // A rule none of whose providers take the payout passes it on; with no other, the first
    // provider's refusal is the answer.
    let only = r#"{"rules": [{"name": "cashy", "providers": [{"provider": "cashy-co"}]}]}"#;
    let r = draft("big-x", "6000000", "001")
        .into_command(&catalog(only), None)
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::AmountOutOfRange, "{r:?}");
}

#[test]
fn weights_share_the_payouts_and_one_request_always_routes_the_same_way() {
    let c = catalog(RULES);
    let mut cashy = 0;
    for i in 0..2000 {
        let (provider, rule, candidates) = routed(&c, draft(&format!("w-{i}"), "100000", "001"));
        assert_eq!(rule, "cop-split");
        assert_eq!(candidates, ["cashy-co", "killb"]);
        if provider == "cashy-co" {
            cashy += 1;
        }
        let again = routed(&c, draft(&format!("w-{i}"), "100000", "001"));
        assert_eq!(again.0, provider, "deterministic");
    }
    // 3:1 by weight: 1,500 expected; the order ids are uniform.
    assert!(
        (1350..=1650).contains(&cashy),
        "{cashy} of 2000 to cashy-co"
    );
}

#[test]
fn no_matching_rule_is_no_route_and_a_named_provider_skips_the_rules() {
    let rules = r#"{"rules": [{"name": "tz", "rail": "tz_mobile", "providers": [{"provider": "cashy-tz"}]}]}"#;
    let c = catalog(rules);
    let r = draft("nr-1", "100000", "001")
        .into_command(&c, None)
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::NoRoute);
    assert!(r.message.contains("co_bank"), "{r:?}");
    let mut named = draft("nr-2", "100000", "001");
    named.provider = Some("cashy-co".to_string().try_into().unwrap());
    let p = named.into_command(&c, None).unwrap().requested;
    assert_eq!(p.provider.as_str(), "cashy-co");
    assert_eq!(p.route, None, "nothing routed, nothing recorded");
}

#[test]
fn the_explanation_goes_rule_by_rule_to_the_choice() {
    let c = catalog(RULES);
    let d = draft("ex-1", "6000000", "001");
    let beneficiary = match &d.beneficiary {
        giro_domain::payout::BeneficiarySource::Inline(b) => b.clone(),
        _ => unreachable!(),
    };
    let lines = c.explain_route(&d.money, &beneficiary, d.order_id, None);
    assert_eq!(
        lines,
        [
            "rule \"big-cop\" (priority 10): matches",
            "  killb (weight 1): eligible",
            "routed to killb by rule \"big-cop\"",
        ]
    );
    let small = draft("ex-2", "100000", "001");
    let lines = c.explain_route(
        &small.money,
        &beneficiary,
        OrderId::from_uuid(uuid::Uuid::nil()),
        None,
    );
    assert_eq!(
        lines[0],
        "rule \"big-cop\" (priority 10): does not match: amount 100000 is below 2000000"
    );
    assert_eq!(
        lines[1],
        "rule \"bancolombia\" (priority 5): does not match: bank 001 is not listed"
    );
    assert_eq!(lines[2], "rule \"cop-split\" (priority 0): matches");
}

#[test]
fn validation_names_every_rule_that_does_not_fit_the_providers() {
    let bad = r#"{"rules": [
      {"name": "ghost", "providers": [{"provider": "nobody"}]},
      {"name": "zero", "providers": [{"provider": "killb", "weight": 0}]},
      {"name": "empty", "providers": []},
      {"name": "wrong-corridor", "rail": "tz_mobile", "providers": [{"provider": "killb"}]},
      {"name": "upside-down", "min_amount": "10", "max_amount": "1", "providers": [{"provider": "killb"}]},
      {"name": "bank", "bank_codes": ["00x"], "providers": [{"provider": "killb"}]},
      {"name": "zero", "providers": [{"provider": "killb"}]}
    ]}"#;
    let errors = catalog(bad).validate_routes().unwrap_err();
    for (rule, says) in [
        ("ghost", "nobody is not a configured provider instance"),
        ("zero", "killb has weight 0"),
        ("empty", "names no provider"),
        ("wrong-corridor", "killb pays no tz_mobile payouts"),
        ("upside-down", "min_amount 10 is above max_amount 1"),
        ("bank", "bank code \"00x\" is not 1 to 4 digits"),
        ("zero", "is defined twice"),
    ] {
        let want = format!("routing rule \"{rule}\": {says}");
        assert!(
            errors.iter().any(|e| e.starts_with(&want)),
            "{want} in {errors:#?}"
        );
    }
}

#[test]
fn a_malformed_file_is_refused_naming_where() {
    for (text, at) in [
        (
            r#"{"rules": [{"name": "x", "providers": [{"provider": "killb", "weight": -1}]}]}"#,
            "rules[0].providers[0].weight",
        ),
        (
            r#"{"rules": [{"name": "x", "rail": "pigeon", "providers": []}]}"#,
            "rules[0].rail",
        ),
        (
            r#"{"rules": [{"name": "x", "providers": [], "colour": "red"}]}"#,
            "rules[0]",
        ),
        (
            r#"{"rules": [{"name": "x", "min_amount": 1.5, "providers": []}]}"#,
            "rules[0].min_amount",
        ),
    ] {
        let e = RoutesFile::parse(text).unwrap_err();
        assert!(e.starts_with(&format!("at {at}")), "{e}");
    }
    let single = RouteRule::single(
        giro_domain::rail::Rail::CoBank,
        giro_domain::Currency::COP,
        "cashy-co".to_string().try_into().unwrap(),
    );
    assert_eq!(single.name, "cashy-co-co_bank-cop");
}

#[test]
fn a_provider_whose_bank_list_lacks_the_bank_is_no_candidate() {
    let c = catalog(RULES);
    // Bancamía (059): in KillB's fetched list, not in Cashy Colombia's.
    let mut banks = BankLists::default();
    banks.set("cashy-co", BankCodes::from_codes(["001", "007"]));
    banks.set("killb", BankCodes::from_codes(["001", "007", "059"]));
    for i in 0..20 {
        let p = draft(&format!("bank-{i}"), "100000", "059")
            .into_command_with_banks(&c, None, Some(&banks))
            .expect("routed")
            .requested;
        assert_eq!(p.provider.as_str(), "killb");
        let route = p.route.expect("recorded");
        assert_eq!(
            (route.rule.as_str(), route.candidates.len()),
            ("cop-split", 1)
        );
    }
    // A bank no candidate pays into: the refusal names the field and whose list lacks it.
    let r = draft("bank-x", "100000", "998")
        .into_command_with_banks(&c, None, Some(&banks))
        .unwrap_err();
    assert_eq!(r.field.as_deref(), Some("beneficiary.bank_code"), "{r:?}");
    assert!(r.message.contains("bank list"), "{r:?}");
    // A provider named by the caller is held to its list too.
    let mut named = draft("bank-named", "100000", "059");
    named.provider = Some("cashy-co".to_string().try_into().unwrap());
    let r = named
        .into_command_with_banks(&c, None, Some(&banks))
        .unwrap_err();
    assert!(r.message.contains("cashy-co's bank list"), "{r:?}");
}
