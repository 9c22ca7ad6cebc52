//! Charge and beneficiary commands: card data refused, KillB account validations applied.

use giro_domain::beneficiary::{BeneficiaryCommand, parse_register};
use giro_domain::charge::parse_create;
use giro_domain::provider::Catalog;
use giro_domain::{ErrorCode, Rejection};
use serde_json::{Value, json};

fn charge() -> Value {
    json!({
        "idempotency_key": "charge-1", "provider": "a55", "amount": "150.00", "installment_count": 3,
        "currency": "BRL", "method": "credit_card",
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "123.456.789-09",
                  "phone": "+5511999999999",
                  "address": {"street": "Av. Paulista", "address_number": "1000", "complement": "Sala 101",
                              "neighborhood": "Bela Vista", "city": "Sao Paulo", "state": "SP",
                              "postal_code": "01310-100", "country": "BR"}},
        "due_date": "2026-12-31", "description": "Order 42", "redirect_url": "https://shop.example/done"
    })
}

fn charge_refusal(body: Value) -> Rejection {
    parse_create(body.to_string().as_bytes(), &Catalog::default()).unwrap_err()
}

#[test]
fn a_hosted_checkout_charge_is_accepted() {
    let c = parse_create(charge().to_string().as_bytes(), &Catalog::default()).unwrap();
    assert_eq!(c.requested.provider.as_str(), "a55");
    assert_eq!(c.requested.installment_count, 3);
}

#[test]
fn raw_card_data_is_refused_wherever_it_is() {
    let mut top = charge();
    top["card_number"] = json!("4024007153763191");
    let r = charge_refusal(top);
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::CardDataNotAccepted, Some("card_number"))
    );
    assert!(!r.message.contains("4024007153763191"));
    let mut nested = charge();
    nested["payer"]["card_cvv"] = json!("123");
    let r = charge_refusal(nested);
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::CardDataNotAccepted, Some("payer.card_cvv"))
    );
}

#[test]
fn zero_decimal_currencies_refuse_fractions() {
    let mut clp = charge();
    clp["currency"] = json!("CLP");
    clp["amount"] = json!("50000.50");
    assert_eq!(charge_refusal(clp).code, ErrorCode::InvalidAmountPrecision);
    let mut cop = charge();
    cop["currency"] = json!("COP");
    cop["amount"] = json!("200000.50");
    assert_eq!(charge_refusal(cop).code, ErrorCode::InvalidAmountPrecision);
    let mut cop_whole = charge();
    cop_whole["currency"] = json!("COP");
    cop_whole["amount"] = json!("210000");
    assert!(parse_create(cop_whole.to_string().as_bytes(), &Catalog::default()).is_ok());
    let mut tzs = charge();
    tzs["currency"] = json!("TZS");
    assert_eq!(charge_refusal(tzs).code, ErrorCode::UnsupportedCurrency);
}

#[test]
fn charge_fields_are_checked() {
    let mut bad_method = charge();
    bad_method["method"] = json!("cash");
    let r = charge_refusal(bad_method);
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::InvalidField, Some("method"))
    );
    let mut bad_date = charge();
    bad_date["due_date"] = json!("31/12/2026");
    assert_eq!(charge_refusal(bad_date).field.as_deref(), Some("due_date"));
    let mut no_street = charge();
    no_street["payer"]["address"]
        .as_object_mut()
        .unwrap()
        .remove("street");
    let r = charge_refusal(no_street);
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::MissingField, Some("payer.address.street"))
    );
}

fn account(kind: &str, data: Value) -> Value {
    let mut d = json!({"first_name": "Maria", "last_name": "Lopez", "email": "maria@example.com",
                        "phone": "+573001234567", "country_code": "CO",
                        "document": {"type": "CC", "number": "1234567890"}});
    d.as_object_mut()
        .unwrap()
        .extend(data.as_object().unwrap().clone());
    json!({"idempotency_key": format!("acct-{kind}"), "type": kind, "data": d})
}

fn register(body: Value) -> Result<BeneficiaryCommand, Rejection> {
    parse_register(body.to_string().as_bytes())
}

#[test]
fn killb_account_types_validate_their_identifiers() {
    let spei = |clabe: &str| account("SPEI", json!({"clabe": clabe, "clabe_type": "CLABE"}));
    assert!(register(spei("032180000118359719")).is_ok());
    let r = register(spei("032180000118359718")).unwrap_err();
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::InvalidBeneficiary, Some("data.clabe"))
    );
    assert!(r.message.contains("check digit"), "{r}");

    let ach = |routing: &str| {
        account(
            "ACH",
            json!({"routing_number": routing, "account_number": "123456789",
                                                      "bank_name": "Chase Bank", "account_type": "checking"}),
        )
    };
    assert!(register(ach("021000021")).is_ok());
    assert_eq!(
        register(ach("021000022")).unwrap_err().field.as_deref(),
        Some("data.routing_number")
    );

    let wallet = |network: &str, address: &str| {
        account(
            "WALLET",
            json!({"currency": "USDC", "network": network, "address": address}),
        )
    };
    assert!(
        register(wallet(
            "POLYGON",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        ))
        .is_ok()
    );
    assert_eq!(
        register(wallet(
            "ETHEREUM",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeaEd"
        ))
        .unwrap_err()
        .field
        .as_deref(),
        Some("data.address")
    );
    assert!(register(wallet("TRON", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")).is_ok());
    assert!(register(wallet("TRON", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u")).is_err());
    assert!(register(wallet("SOLANA", "11111111111111111111111111111111")).is_ok());
    assert!(
        register(wallet(
            "SOLANA",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        ))
        .is_err()
    );

    let pse = account(
        "PSE",
        json!({"account_number": "1234567890", "bank_code": "0001", "account_type": "savings"}),
    );
    assert!(register(pse).is_ok());
    let wrong_field = account(
        "SPEI",
        json!({"clabe": "032180000118359719", "clabe_type": "CLABE", "bank_code": "001"}),
    );
    assert_eq!(
        register(wrong_field).unwrap_err().field.as_deref(),
        Some("data.bank_code")
    );
    let missing = account("SPEI", json!({"clabe_type": "CLABE"}));
    let r = register(missing).unwrap_err();
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::MissingField, Some("data.clabe"))
    );
}

/// Serde reads a struct from an array of its field values too; a command's nested objects are
/// objects only, and the array form is refused naming the field (a fuzz case once registered a
/// SPEI account whose `data.document` was `["E4", "…"]`).
#[test]
fn nested_objects_given_as_arrays_are_refused_naming_the_field() {
    let spei = account(
        "SPEI",
        json!({"clabe": "032180000118359719", "clabe_type": "CLABE", "document": ["CC", "1234567890"]}),
    );
    let r = register(spei).unwrap_err();
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::InvalidField, Some("data.document")),
        "{r}"
    );
    let mut data_array = account("SPEI", json!({}));
    data_array["data"] = json!(["Maria", "Lopez"]);
    let r = register(data_array).unwrap_err();
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::InvalidField, Some("data")),
        "{r}"
    );
    let mut body = charge();
    body["payer"]["address"] = json!(["Rua A", "1", "", "Centro", "Sao Paulo", "SP", "01000-000"]);
    let r = parse_create(body.to_string().as_bytes(), &Catalog::default()).unwrap_err();
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::InvalidField, Some("payer.address")),
        "{r}"
    );
    let mut body = charge();
    body["payer"] = json!(["Ana", "ana@example.com"]);
    let r = parse_create(body.to_string().as_bytes(), &Catalog::default()).unwrap_err();
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::InvalidField, Some("payer")),
        "{r}"
    );
    let payout = json!({
        "idempotency_key": "arr", "provider": "cashy-co", "amount": "500000", "currency": "COP",
        "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                         "email": "maria@example.com", "phone": "3001234567",
                         "document": ["CC", "12345678"],
                         "bank_code": "007", "account_number": "123456789", "account_type": "savings" }
    });
    let r = giro_domain::payout::parse_create(payout.to_string().as_bytes())
        .and_then(|d| d.into_command(&Catalog::default(), None))
        .unwrap_err();
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::InvalidField, Some("beneficiary.document")),
        "{r}"
    );
}

#[test]
fn an_account_bank_is_checked_against_the_list_of_the_instance_that_keeps_accounts() {
    use giro_domain::bank_lists::{BankCodes, BankLists};
    use giro_domain::beneficiary::ACCOUNTS_PROVIDER;
    let pse = |code: &str| {
        account(
            "PSE",
            json!({"account_number": "1234567890", "bank_code": code, "account_type": "savings"}),
        )
    };
    let malformed = register(pse("59")).unwrap_err();
    assert_eq!(malformed.field.as_deref(), Some("data.bank_code"));
    let Ok(BeneficiaryCommand::Register { registration, .. }) = register(pse("0059")) else {
        panic!("a well-formed bank code parses, whatever the lists say");
    };
    let mut lists = BankLists::default();
    let refused = lists
        .check_account(ACCOUNTS_PROVIDER, &registration.data)
        .unwrap_err();
    assert_eq!(
        (refused.code, refused.field.as_deref()),
        (ErrorCode::InvalidBeneficiary, Some("data.bank_code"))
    );
    assert!(refused.message.contains("built-in list"), "{refused}");
    lists.set(ACCOUNTS_PROVIDER, BankCodes::from_codes(["059"]));
    assert!(
        lists
            .check_account(ACCOUNTS_PROVIDER, &registration.data)
            .is_ok()
    );
}
