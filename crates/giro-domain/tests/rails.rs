//! The `co_alias` rail (KillB BREB, CONTRACT.md §1): each alias type with valid and invalid
//! aliases, read both as a bare beneficiary (paths relative to it) and inside a create command
//! (paths under `beneficiary`).

use giro_domain::payout::{BeneficiarySource, parse_create};
use giro_domain::provider::Catalog;
use giro_domain::rail::{AliasType, PayoutBeneficiary, Rail};
use giro_domain::{ErrorCode, Rejection};
use serde_json::{Value, json};

fn alias_beneficiary(alias_type: &str, alias: &str) -> Value {
    json!({
        "rail": "co_alias", "first_name": "Maria", "last_name": "Garcia",
        "email": "maria@example.com", "phone": "3001234567",
        "document": {"type": "CC", "number": "12345678"},
        "alias_type": alias_type, "alias": alias
    })
}

fn create_body(beneficiary: Value) -> Value {
    json!({
        "idempotency_key": "breb-1", "amount": "250000", "currency": "COP",
        "beneficiary": beneficiary
    })
}

/// Reads and validates a bare beneficiary, as `validate` reports it (paths relative to it).
fn check(beneficiary: Value) -> Result<PayoutBeneficiary, Rejection> {
    let b = PayoutBeneficiary::from_command(beneficiary, "beneficiary")?;
    b.validate()?;
    Ok(b)
}

/// A create command carrying the beneficiary, refused: `(code, field path)`.
fn create_refusal(beneficiary: Value) -> (ErrorCode, Option<String>, String) {
    let r = parse_create(create_body(beneficiary).to_string().as_bytes()).unwrap_err();
    (r.code, r.field, r.message)
}

/// Valid and invalid aliases for every alias type; each invalid one is `invalid_beneficiary` at
/// `beneficiary.alias`, with a message that does not repeat the alias.
#[test]
fn every_alias_type_has_valid_and_invalid_aliases() {
    let cases: &[(&str, AliasType, &[&str], &[&str])] = &[
        (
            "NATIONAL_ID",
            AliasType::NationalId,
            // A cédula: 3 to 10 digits.
            &["1020304050", "123"],
            &["12", "10203040501", "1.020.304", "CC1020304"],
        ),
        (
            "PHONE",
            AliasType::Phone,
            // A Colombian mobile: 10 digits starting with 3, optionally after +57 / 57.
            &["3001234567", "+573001234567", "573001234567"],
            &["6011234567", "300123456", "+583001234567", "300-123-4567"],
        ),
        (
            "EMAIL",
            AliasType::Email,
            &["maria@example.com", "maria.garcia+breb@banco.com.co"],
            &[
                "maria.example.com",
                "maria@",
                "@example.com",
                "maria@example",
            ],
        ),
        (
            "ALPHANUMERIC",
            AliasType::Alphanumeric,
            // 3 to 30 ASCII letters and digits.
            &["MariaG2024", "abc", "A23456789012345678901234567890"],
            &[
                "ab",
                "A234567890123456789012345678901",
                "maria-g",
                "maria g",
                "MaríaG",
            ],
        ),
        (
            "BUSINESS_ID",
            AliasType::BusinessId,
            // A NIT: 9 or 10 digits, optionally with DIAN's check digit (800.197.268-4 is DIAN's).
            &["800197268-4", "800197268", "9003739134"],
            &["800197268-5", "80019726", "800.197.268-4", "900373913-"],
        ),
    ];
    for (wire_name, alias_type, valid, invalid) in cases {
        for alias in *valid {
            let b = check(alias_beneficiary(wire_name, alias))
                .unwrap_or_else(|r| panic!("{wire_name} {alias:?} refused: {r}"));
            assert_eq!(b.rail(), Rail::CoAlias);
            let PayoutBeneficiary::CoAlias(a) = &b else {
                panic!("{wire_name}: read as {b:?}");
            };
            assert_eq!(a.alias_type, *alias_type);
            assert_eq!(a.alias.expose(), *alias);
            // And inside a whole command.
            let draft = parse_create(
                create_body(alias_beneficiary(wire_name, alias))
                    .to_string()
                    .as_bytes(),
            )
            .unwrap_or_else(|r| panic!("{wire_name} {alias:?} refused in a command: {r}"));
            assert!(matches!(draft.beneficiary, BeneficiarySource::Inline(_)));
        }
        for alias in *invalid {
            let r = check(alias_beneficiary(wire_name, alias))
                .expect_err(&format!("{wire_name} {alias:?} accepted"));
            assert_eq!(
                (r.code, r.field.as_deref()),
                (ErrorCode::InvalidBeneficiary, Some("alias")),
                "{wire_name} {alias:?}: {r}"
            );
            let (code, field, message) = create_refusal(alias_beneficiary(wire_name, alias));
            assert_eq!(
                (code, field.as_deref()),
                (ErrorCode::InvalidBeneficiary, Some("beneficiary.alias")),
                "{wire_name} {alias:?} in a command: {message}"
            );
            assert!(
                !message.contains(alias),
                "{wire_name}: the message repeats the alias: {message}"
            );
        }
    }
}

/// The alias type decides which rule applies: an alias valid for one type is refused as another.
#[test]
fn the_alias_type_decides_which_rule_applies() {
    let types = [
        "NATIONAL_ID",
        "PHONE",
        "EMAIL",
        "ALPHANUMERIC",
        "BUSINESS_ID",
    ];
    let only_valid_as = [
        ("+573001234567", "PHONE"),
        ("maria@example.com", "EMAIL"),
        ("MariaG", "ALPHANUMERIC"),
        ("800197268-4", "BUSINESS_ID"),
    ];
    for (alias, valid_type) in only_valid_as {
        for t in types {
            let got = check(alias_beneficiary(t, alias)).map(|_| ());
            if t == valid_type {
                assert_eq!(got, Ok(()), "{alias:?} as {t}");
            } else {
                assert_eq!(
                    got.map_err(|r| (r.code, r.field)),
                    Err((ErrorCode::InvalidBeneficiary, Some("alias".to_string()))),
                    "{alias:?} as {t}"
                );
            }
        }
    }
    // Ten digits starting with 3 fit a phone, a cédula, a NIT and an alphanumeric alias alike.
    for t in ["NATIONAL_ID", "PHONE", "ALPHANUMERIC", "BUSINESS_ID"] {
        assert!(check(alias_beneficiary(t, "3001234567")).is_ok(), "{t}");
    }
    assert!(check(alias_beneficiary("EMAIL", "3001234567")).is_err());
}

#[test]
fn alias_type_and_alias_are_required_and_typed() {
    let (code, field, _) = create_refusal(alias_beneficiary("IBAN", "ES9121000418450200051332"));
    assert_eq!(
        (code, field.as_deref()),
        (ErrorCode::InvalidField, Some("beneficiary.alias_type"))
    );
    let (code, field, _) = create_refusal(alias_beneficiary("phone", "3001234567"));
    assert_eq!(
        (code, field.as_deref()),
        (ErrorCode::InvalidField, Some("beneficiary.alias_type")),
        "alias types are upper case, as KillB spells them"
    );
    for missing in ["alias", "alias_type"] {
        let mut b = alias_beneficiary("PHONE", "3001234567");
        b.as_object_mut().unwrap().remove(missing);
        let (code, field, _) = create_refusal(b);
        assert_eq!(
            (code, field.as_deref()),
            (
                ErrorCode::MissingField,
                Some(&*format!("beneficiary.{missing}"))
            )
        );
    }
    let mut numeric = alias_beneficiary("PHONE", "");
    numeric["alias"] = json!(3001234567u64);
    let (code, field, _) = create_refusal(numeric);
    assert_eq!(
        (code, field.as_deref()),
        (ErrorCode::InvalidField, Some("beneficiary.alias"))
    );
    let mut unknown = alias_beneficiary("PHONE", "3001234567");
    unknown["bank_code"] = json!("001");
    let (code, field, _) = create_refusal(unknown);
    assert_eq!(
        (code, field.as_deref()),
        (ErrorCode::InvalidField, Some("beneficiary.bank_code")),
        "co_alias has no bank account fields"
    );
}

/// The holder and contact rules of `co_bank` apply to `co_alias` too, checked before the alias.
#[test]
fn holder_and_contact_rules_apply_to_aliases() {
    let mut company = alias_beneficiary("BUSINESS_ID", "800197268-4");
    let obj = company.as_object_mut().unwrap();
    obj.remove("first_name");
    obj.remove("last_name");
    obj.insert("company_name".into(), json!("Acme SAS"));
    assert!(check(company).is_ok());

    let mut no_last = alias_beneficiary("PHONE", "3001234567");
    no_last.as_object_mut().unwrap().remove("last_name");
    let (code, field, _) = create_refusal(no_last);
    assert_eq!(
        (code, field.as_deref()),
        (ErrorCode::MissingField, Some("beneficiary.last_name"))
    );

    let mut landline = alias_beneficiary("EMAIL", "maria@example.com");
    landline["phone"] = json!("6011234567");
    let (code, field, _) = create_refusal(landline);
    assert_eq!(
        (code, field.as_deref()),
        (ErrorCode::InvalidBeneficiary, Some("beneficiary.phone"))
    );

    let mut bad_document = alias_beneficiary("EMAIL", "maria@example.com");
    bad_document["document"] = json!({"type": "DNI", "number": "12345678"});
    let (code, field, _) = create_refusal(bad_document);
    assert_eq!(
        (code, field.as_deref()),
        (ErrorCode::InvalidBeneficiary, Some("beneficiary.document"))
    );

    // The holder is checked before the alias: both wrong reports the holder.
    let mut both = alias_beneficiary("PHONE", "123");
    both.as_object_mut().unwrap().remove("first_name");
    let (_, field, _) = create_refusal(both);
    assert_eq!(field.as_deref(), Some("beneficiary.first_name"));
}

#[test]
fn aliases_route_to_killb_and_are_masked() {
    let draft = parse_create(
        create_body(alias_beneficiary("PHONE", "3001234567"))
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let created = draft.into_command(&Catalog::default(), None).unwrap();
    assert_eq!(created.requested.provider.as_str(), "killb");
    assert_eq!(created.requested.beneficiary.rail(), Rail::CoAlias);
    assert_eq!(created.requested.beneficiary.holder_name(), "Maria Garcia");

    let masked = created.requested.beneficiary.masked();
    assert_eq!(masked["rail"], "co_alias");
    assert_eq!(masked["alias_type"], "PHONE");
    assert_eq!(masked["alias"], "****4567");
    assert!(!masked.to_string().contains("3001234567"), "{masked}");

    // The stored form (payout.requested) keeps the alias for the executor and reads back equal.
    let stored = serde_json::to_value(&created.requested.beneficiary).unwrap();
    assert_eq!(stored["alias"], "3001234567");
    let back: PayoutBeneficiary = serde_json::from_value(stored).unwrap();
    assert_eq!(back, created.requested.beneficiary);

    // Cashy does not pay BREB aliases.
    let mut at_cashy = create_body(alias_beneficiary("PHONE", "3001234567"));
    at_cashy["provider"] = json!("cashy-co");
    let r = parse_create(at_cashy.to_string().as_bytes())
        .unwrap()
        .into_command(&Catalog::default(), None)
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::NoRoute);
}
