//! KillB `WIRE` and `TRANSFIYA` accounts (seed 002, PROVIDERS.md §1 Accounts) at
//! `giro.cmd.beneficiary.register`: valid and invalid examples, each refusal with its code and
//! the offending field's path under `data`.

use giro_domain::beneficiary::{AccountType, BeneficiaryCommand, parse_register};
use giro_domain::{ErrorCode, Rejection};
use serde_json::{Value, json};

/// A registration of `kind` whose `data` is a holder plus `extra` (`null` values remove a field).
fn account(kind: &str, base: Value, extra: Value) -> Value {
    let mut data = base;
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            data.as_object_mut().unwrap().remove(k);
        } else {
            data[k] = v.clone();
        }
    }
    json!({"idempotency_key": format!("acct-{}", kind.to_lowercase()), "type": kind,
           "external_id": "acct-001", "data": data})
}

/// KillB's ACH example (seed 002), which a wire to a US bank shares.
fn us_holder() -> Value {
    json!({"first_name": "Jane", "last_name": "Smith", "email": "jane.smith@example.com",
           "phone": "+12125551234", "country_code": "US",
           "document": {"type": "SSN", "number": "123-45-6789", "issued_country_code": "US"}})
}

fn co_holder() -> Value {
    json!({"first_name": "Juan", "last_name": "Garcia", "email": "juan@example.com",
           "phone": "+573001234567", "country_code": "CO",
           "document": {"type": "CC", "number": "1020304050", "issued_country_code": "CO"}})
}

fn wire(extra: Value) -> Value {
    let mut fields = json!({"bank_name": "Chase Bank", "routing_number": "021000021",
                            "account_number": "123456789", "account_type": "checking"});
    for (k, v) in extra.as_object().unwrap() {
        fields[k] = v.clone();
    }
    account("WIRE", us_holder(), fields)
}

fn transfiya(extra: Value) -> Value {
    account("TRANSFIYA", co_holder(), extra)
}

fn register(body: &Value) -> Result<BeneficiaryCommand, Rejection> {
    parse_register(body.to_string().as_bytes())
}

fn refusal(body: &Value) -> (ErrorCode, Option<String>) {
    let r = register(body).expect_err(&format!("accepted: {body}"));
    (r.code, r.field)
}

fn registered_type(body: &Value) -> AccountType {
    match register(body).unwrap_or_else(|r| panic!("refused: {r}\n{body}")) {
        BeneficiaryCommand::Register { registration, .. } => {
            assert!(
                registration
                    .data
                    .validate(registration.account_type)
                    .is_ok()
            );
            assert_eq!(
                registration
                    .data
                    .as_payout_beneficiary(registration.account_type),
                None
            );
            registration.account_type
        }
        other => panic!("parsed as {other:?}"),
    }
}

fn at(code: ErrorCode, field: &str) -> (ErrorCode, Option<String>) {
    (code, Some(field.to_string()))
}

#[test]
fn wire_accounts_with_published_routing_numbers_are_accepted() {
    // JPMorgan Chase NY (KillB's own example), Bank of America, Wells Fargo, the Boston Fed.
    for rtn in ["021000021", "026009593", "121000358", "011000015"] {
        assert_eq!(
            registered_type(&wire(json!({"routing_number": rtn}))),
            AccountType::Wire,
            "{rtn}"
        );
    }
    // A company holder, a savings account, account numbers of 4 and 17 digits.
    let mut company = wire(json!({"account_type": "savings", "account_number": "1234"}));
    let data = company["data"].as_object_mut().unwrap();
    data.remove("first_name");
    data.remove("last_name");
    data.insert("company_name".into(), json!("Acme Corp"));
    assert_eq!(registered_type(&company), AccountType::Wire);
    assert_eq!(
        registered_type(&wire(json!({"account_number": "12345678901234567"}))),
        AccountType::Wire
    );
}

#[test]
fn wire_routing_numbers_must_pass_the_aba_checksum() {
    // Of the ten possible ninth digits exactly one satisfies 3,7,1 weights mod 10.
    let accepted: Vec<char> = ('0'..='9')
        .filter(|d| register(&wire(json!({"routing_number": format!("02600959{d}")}))).is_ok())
        .collect();
    assert_eq!(accepted, vec!['3']);

    let r = register(&wire(json!({"routing_number": "021000022"}))).unwrap_err();
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::InvalidBeneficiary, Some("data.routing_number"))
    );
    assert_eq!(r.message, "ABA routing number check digit is 2, expected 1");
    // Two adjacent digits swapped: the weights catch it.
    assert_eq!(
        refusal(&wire(json!({"routing_number": "012000021"}))),
        at(ErrorCode::InvalidBeneficiary, "data.routing_number")
    );
    for shape in ["02100002", "0210000211", "02100002a", "021-000-021", ""] {
        assert_eq!(
            refusal(&wire(json!({"routing_number": shape}))),
            at(ErrorCode::InvalidBeneficiary, "data.routing_number"),
            "{shape:?}"
        );
    }
    assert_eq!(
        refusal(&wire(json!({"routing_number": 21000021}))),
        at(ErrorCode::InvalidField, "data.routing_number"),
        "a routing number is a string: leading zeros matter"
    );
}

#[test]
fn wire_accounts_need_their_bank_fields() {
    for (field, code) in [
        ("routing_number", ErrorCode::MissingField),
        ("account_number", ErrorCode::MissingField),
        ("bank_name", ErrorCode::MissingField),
        ("account_type", ErrorCode::MissingField),
    ] {
        assert_eq!(
            refusal(&wire(json!({ field: null }))),
            at(code, &format!("data.{field}")),
            "without {field}"
        );
    }
    for number in ["123", "123456789012345678", "1234-5678", "12345678a"] {
        assert_eq!(
            refusal(&wire(json!({"account_number": number}))),
            at(ErrorCode::InvalidBeneficiary, "data.account_number"),
            "{number:?}"
        );
    }
    assert_eq!(
        refusal(&wire(json!({"account_type": "wire"}))),
        at(ErrorCode::InvalidField, "data.account_type")
    );
    // Fields of other account types are refused, not silently dropped.
    for (field, value) in [
        ("bank_code", json!("0001")),
        ("clabe", json!("032180000118359719")),
        ("network", json!("POLYGON")),
    ] {
        assert_eq!(
            refusal(&wire(json!({ field: value }))),
            at(ErrorCode::InvalidField, &format!("data.{field}")),
            "{field}"
        );
    }
    // The holder and contact rules shared by every type.
    let mut nameless = wire(json!({}));
    nameless["data"]
        .as_object_mut()
        .unwrap()
        .remove("last_name");
    assert_eq!(
        refusal(&nameless),
        at(ErrorCode::MissingField, "data.first_name")
    );
    let mut bad_email = wire(json!({}));
    bad_email["data"]["email"] = json!("jane.smith.example.com");
    assert_eq!(
        refusal(&bad_email),
        at(ErrorCode::InvalidBeneficiary, "data.email")
    );
}

#[test]
fn transfiya_wallets_are_colombian_mobile_numbers() {
    for phone in ["+573001234567", "573001234567", "3001234567", "3219876543"] {
        let mut body = transfiya(json!({}));
        body["data"]["phone"] = json!(phone);
        assert_eq!(registered_type(&body), AccountType::Transfiya, "{phone}");
    }
    // A US number (KillB's ACH example), a Bogotá landline, wrong lengths, separators.
    for phone in [
        "+12125551234",
        "6011234567",
        "+576011234567",
        "300123456",
        "+57300123456",
        "300 123 4567",
        "",
    ] {
        let mut body = transfiya(json!({}));
        body["data"]["phone"] = json!(phone);
        let r = register(&body).expect_err(phone);
        assert_eq!(
            (r.code, r.field.as_deref()),
            (ErrorCode::InvalidBeneficiary, Some("data.phone")),
            "{phone:?}: {r}"
        );
        assert!(
            phone.len() < 7 || !r.message.contains(phone),
            "{phone}: {r}"
        );
    }
    let mut no_phone = transfiya(json!({}));
    no_phone["data"].as_object_mut().unwrap().remove("phone");
    assert_eq!(
        refusal(&no_phone),
        at(ErrorCode::MissingField, "data.phone")
    );
}

#[test]
fn transfiya_wallets_take_no_bank_or_wallet_fields() {
    for (field, value) in [
        ("account_number", json!("1234567890")),
        ("bank_code", json!("0001")),
        ("account_type", json!("savings")),
        ("routing_number", json!("021000021")),
        ("clabe", json!("032180000118359719")),
        (
            "address",
            json!("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
        ),
    ] {
        assert_eq!(
            refusal(&transfiya(json!({ field: value }))),
            at(ErrorCode::InvalidField, &format!("data.{field}")),
            "{field}"
        );
    }
    let mut lower_country = transfiya(json!({}));
    lower_country["data"]["country_code"] = json!("co");
    assert_eq!(
        refusal(&lower_country),
        at(ErrorCode::InvalidBeneficiary, "data.country_code")
    );
    let mut company = transfiya(json!({}));
    let data = company["data"].as_object_mut().unwrap();
    data.remove("first_name");
    data.remove("last_name");
    data.insert("company_name".into(), json!("Tienda SAS"));
    assert_eq!(registered_type(&company), AccountType::Transfiya);
}

#[test]
fn account_types_are_spelled_as_killb_spells_them() {
    for kind in ["wire", "Transfiya", "SWIFT"] {
        let mut body = transfiya(json!({}));
        body["type"] = json!(kind);
        assert_eq!(
            refusal(&body),
            at(ErrorCode::InvalidField, "type"),
            "{kind}"
        );
    }
}
