//! Giro's real provider clients against an independent reading of the providers' pages: the
//! reference servers of `ops/conformance/` (written from the pages alone, apart from Giro's
//! clients and sandbox) check every request against the pages' rules. Each test configures the
//! registry as `giro up` does (`GIRO_*` settings), runs the providers' start-up set-up, and
//! drives every operation of one provider through the engine's capabilities and the client's
//! own calls; then the reference must have seen no request that breaks a page rule, none it does
//! not know, and every operation it knows for that provider.

mod reference;

use std::collections::BTreeMap;
use std::sync::Arc;

use giro_domain::provider::Catalog;
use giro_domain::{OrderId, SubmissionHandle};
use giro_providers::{
    AccountAnswer, ChargeOperation, ChargeOrder, ChargeSubmission, Lookup, PayoutOrder, Registry,
    Settings, Submission,
};
use reference::Reference;
use serde_json::{Value, json};

/// Where Giro's ingress is reachable from the providers: a public domain, as the pages ask.
const PUBLIC_URL: &str = "https://payouts.giro-conformance.com";

fn settings(reference: &Reference) -> Settings {
    let mut s = Settings::isolated();
    for (name, value) in [
        ("GIRO_INGRESS_PUBLIC_URL", PUBLIC_URL.to_string()),
        ("GIRO_KILLB_URL", reference.url("killb")),
        ("GIRO_KILLB_EMAIL", "conformance@giro.test".into()),
        ("GIRO_KILLB_PASSWORD", "conformance-password".into()),
        ("GIRO_KILLB_API_KEY", "conformance-api-key".into()),
        ("GIRO_KILLB_PREFUND_ACCOUNT", "prefund-conformance".into()),
        ("GIRO_KILLB_USER_ID", "user-conformance".into()),
        ("GIRO_KILLB_RATE_LIMIT", "0".into()),
        ("GIRO_CASHY_CO_URL", reference.url("cashy-co")),
        ("GIRO_CASHY_TZ_URL", reference.url("cashy-tz")),
        ("GIRO_CASHY_CO_MERCHANT", "100001".into()),
        ("GIRO_CASHY_CO_KEY", "conformance-key-co".into()),
        ("GIRO_CASHY_TZ_MERCHANT", "1002001".into()),
        ("GIRO_CASHY_TZ_KEY", "conformance-key-tz".into()),
        ("GIRO_A55_URL", reference.url("a55")),
        ("GIRO_A55_AUTH_URL", reference.url("a55-auth")),
        ("GIRO_A55_CLIENT_ID", "conformance-client".into()),
        ("GIRO_A55_CLIENT_SECRET", "conformance-secret".into()),
        (
            "GIRO_A55_WALLET",
            "f47ac10b-58cc-4372-a567-0e02b2c3d479".into(),
        ),
        (
            "GIRO_A55_MERCHANT_ID",
            "11111111-1111-1111-1111-111111111111".into(),
        ),
    ] {
        s.set(name, value);
    }
    s
}

/// The registry of `reference`, every provider's set-up done (as the engine starts).
async fn registry(reference: &Reference) -> Arc<Registry> {
    let registry = Arc::new(Registry::from_settings(&settings(reference)).expect("providers"));
    for instance in registry.instances() {
        if let Some(setup) = &instance.setup {
            let lines = setup
                .set_up()
                .await
                .unwrap_or_else(|e| panic!("set-up of {}: {e}", instance.id()));
            eprintln!("{}: {lines:?}", instance.id());
        }
    }
    registry
}

/// A payout as intake accepts it, to `provider`, and the handle of its first attempt.
struct Payout {
    id: OrderId,
    handle: String,
    request: giro_domain::payout::PayoutRequested,
}

impl Payout {
    fn new(provider: &str, amount: &str, currency: &str, beneficiary: Value) -> Payout {
        let key = format!("conf-{}", uuid::Uuid::new_v4().simple());
        let body = json!({"idempotency_key": key, "provider": provider, "amount": amount,
                          "currency": currency, "external_id": key, "beneficiary": beneficiary});
        let draft = giro_domain::payout::parse_create(body.to_string().as_bytes())
            .unwrap_or_else(|r| panic!("intake refuses {body}: {r}"));
        let command = draft
            .into_command(&Catalog::default(), None)
            .unwrap_or_else(|r| panic!("intake refuses {body}: {r}"));
        let handle = SubmissionHandle {
            order_id: command.order_id,
            attempt: 1,
        }
        .to_string();
        Payout {
            id: command.order_id,
            handle,
            request: command.requested,
        }
    }

    fn order<'a>(&'a self, provider_ref: Option<&'a str>) -> PayoutOrder<'a> {
        PayoutOrder {
            id: self.id,
            handle: &self.handle,
            request: &self.request,
            provider_ref,
        }
    }
}

/// Submits `payout` at `provider`, then looks it up by its handle and by the provider's id.
async fn submit_and_look_up(registry: &Registry, provider: &str, payout: &Payout) -> String {
    let client = registry
        .instance(provider)
        .and_then(|i| i.payouts.clone())
        .unwrap_or_else(|| panic!("{provider} pays out"));
    let provider_ref = match client.submit(payout.order(None)).await {
        Submission::Accepted {
            provider_ref: Some(id),
            ..
        } => id,
        other => panic!("{provider}: the submission was not accepted: {other:?}"),
    };
    for known in [None, Some(provider_ref.as_str())] {
        match client.lookup(payout.order(known)).await {
            Lookup::Found(_) => {}
            other => panic!("{provider}: lookup ({known:?}) found nothing: {other:?}"),
        }
    }
    provider_ref
}

/// A request no page documents that Giro makes knowingly, with why: KillB's list of webhooks,
/// asked for so that start-up registers Giro's webhook once; a 404 or 405 answer (as here) falls
/// back to registering it once per process.
const UNDOCUMENTED_ON_PURPOSE: &[(&str, &str)] = &[("GET", "/killb/api/v2/webhooks")];

/// The reference's verdict on `prefix`'s operations: no violation, no unknown request (but
/// [`UNDOCUMENTED_ON_PURPOSE`]), every operation exercised (those in `not_reachable` excepted,
/// each with its reason).
async fn assert_conformant(reference: &Reference, prefix: &str, not_reachable: &[(&str, &str)]) {
    let report = reference.report().await;
    let violations = report["violations"].as_array().cloned().unwrap_or_default();
    assert!(
        violations.is_empty(),
        "{prefix}: requests that break the pages' rules:\n{}",
        serde_json::to_string_pretty(&violations).unwrap_or_default()
    );
    let unknown: Vec<Value> = report["unknown_requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            !UNDOCUMENTED_ON_PURPOSE
                .iter()
                .any(|(m, p)| r["method"] == *m && r["path"] == *p)
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "{prefix}: requests no page documents: {unknown:?}"
    );
    let counts: BTreeMap<String, u64> = report["operations"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    let known = reference.operations().await;
    let mut missing = Vec::new();
    for operation in known["operations"].as_array().into_iter().flatten() {
        let name = operation["name"].as_str().unwrap_or_default();
        if !name.starts_with(prefix) || not_reachable.iter().any(|(n, _)| *n == name) {
            continue;
        }
        if counts.get(name).copied().unwrap_or(0) == 0 {
            missing.push(format!(
                "{name} ({} {}, page {})",
                operation["method"], operation["path"], operation["page"]
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "{prefix}: documented operations Giro never called:\n{}",
        missing.join("\n")
    );
    eprintln!("{prefix}: {counts:?}");
}

#[tokio::test]
async fn killb_payouts_and_set_up_follow_the_pages() {
    let reference = Reference::start();
    let registry = registry(&reference).await;
    let pse = Payout::new(
        "killb",
        "500000",
        "COP",
        json!({"rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
               "email": "maria@example.com", "phone": "3001234567",
               "document": {"type": "CC", "number": "12345678"},
               "bank_code": "0007", "account_number": "123456789", "account_type": "savings"}),
    );
    submit_and_look_up(&registry, "killb", &pse).await;
    let breb = Payout::new(
        "killb",
        "150000",
        "COP",
        json!({"rail": "co_alias", "first_name": "Carlos", "last_name": "Lopez",
               "email": "carlos@example.com", "phone": "3109876543",
               "document": {"type": "CC", "number": "87654321"},
               "alias_type": "PHONE", "alias": "3109876543"}),
    );
    submit_and_look_up(&registry, "killb", &breb).await;
    let killb = registry.instance("killb").and_then(|i| i.payouts.clone());
    let balance = killb
        .expect("killb pays out")
        .balance(giro_domain::Currency::COP)
        .await;
    assert!(matches!(balance, Some(Ok(_))), "{balance:?}");
    let accounts = registry
        .instances()
        .iter()
        .find_map(|i| i.accounts.clone())
        .expect("an accounts provider");
    let registered = giro_domain::beneficiary::parse_register(
        json!({"idempotency_key": "conf-account-1", "type": "PSE", "external_id": "conf-1",
               "user_id": "user-conformance",
               "data": {"first_name": "Juan", "last_name": "García", "email": "juan@example.com",
                        "phone": "+573001234567", "country_code": "CO",
                        "document": {"type": "NUIP", "number": "1234567890"},
                        "account_number": "1234567890", "bank_code": "0001",
                        "account_type": "savings"}})
        .to_string()
        .as_bytes(),
    )
    .expect("a valid registration");
    let giro_domain::beneficiary::BeneficiaryCommand::Register { id, registration } = registered
    else {
        panic!("a registration");
    };
    let provider_ref = match accounts.create_account(id, &registration).await {
        AccountAnswer::Account { provider_ref, .. } => provider_ref,
        other => panic!("the account was not created: {other:?}"),
    };
    match accounts.read_account(&provider_ref).await {
        AccountAnswer::Account { .. } => {}
        other => panic!("the account was not read: {other:?}"),
    }
    // What the CLI and the beneficiary commands use beyond the engine's capabilities.
    let client = giro_providers::killb::KillbClient::new(
        giro_providers::killb::adapter::config(&settings(&reference)).expect("configured"),
    )
    .expect("a client");
    let prefund = client
        .create_prefund(&giro_providers::killb::wire::CreatePrefund {
            currency: "COP",
            network: None,
        })
        .await
        .expect("a pre-fund account is created");
    assert!(!prefund.id.is_empty());
    let listed = client
        .list_payouts(&giro_providers::killb::wire::PayoutQuery {
            status: Some("PENDING".into()),
            external_id: None,
            id: None,
            page: 1,
            limit: 20,
        })
        .await
        .expect("payouts are listed by status");
    eprintln!("{} PENDING payouts listed", listed.payouts.len());
    let mine = client
        .accounts_of_user("user-conformance")
        .await
        .expect("the user's accounts");
    assert!(mine.iter().any(|a| a.id == provider_ref), "{mine:?}");
    let found = client
        .search_accounts(&giro_providers::killb::wire::AccountQuery {
            user_id: Some("user-conformance".into()),
            account_type: Some("PSE".into()),
            ..Default::default()
        })
        .await
        .expect("accounts are searched");
    assert!(found.iter().any(|a| a.id == provider_ref), "{found:?}");
    let mut change = serde_json::Map::new();
    change.insert("accountNumber".into(), json!("1234567891"));
    client
        .update_account(&provider_ref, &change)
        .await
        .expect("the account number is updated");
    client
        .delete_account(&provider_ref)
        .await
        .expect("the account is deleted");
    assert_conformant(
        &reference,
        "killb.",
        &[(
            "killb.auth.refresh",
            "a token is renewed only near its expiry (an hour here); the renewal is tested \
             against the sandbox in tests/killb.rs",
        )],
    )
    .await;
}

#[tokio::test]
async fn cashy_payouts_in_colombia_and_tanzania_follow_the_pages() {
    let reference = Reference::start();
    let registry = registry(&reference).await;
    let co = Payout::new(
        "cashy-co",
        "500000",
        "COP",
        json!({"rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
               "email": "maria@example.com", "phone": "3001234567",
               "document": {"type": "CC", "number": "12345678"},
               "bank_code": "007", "account_number": "123456789", "account_type": "savings"}),
    );
    submit_and_look_up(&registry, "cashy-co", &co).await;
    let tz = Payout::new(
        "cashy-tz",
        "30000",
        "TZS",
        json!({"rail": "tz_mobile", "name": "Juma Hamisi", "msisdn": "+255713512345",
               "operator": "tigo"}),
    );
    submit_and_look_up(&registry, "cashy-tz", &tz).await;
    for (provider, currency) in [
        ("cashy-co", giro_domain::Currency::COP),
        ("cashy-tz", giro_domain::Currency::TZS),
    ] {
        let client = registry.instance(provider).and_then(|i| i.payouts.clone());
        let balance = client.expect("pays out").balance(currency).await;
        assert!(matches!(balance, Some(Ok(_))), "{provider}: {balance:?}");
    }
    assert_conformant(&reference, "cashy-co.", &[]).await;
    assert_conformant(&reference, "cashy-tz.", &[]).await;
}

/// A charge as intake accepts it.
fn charge(
    method: &str,
    amount: &str,
    capture: Option<bool>,
) -> giro_domain::charge::ChargeRequested {
    let mut body = json!({
        "idempotency_key": format!("conf-{}", uuid::Uuid::new_v4().simple()), "provider": "a55",
        "amount": amount, "currency": "BRL", "installment_count": 1, "method": method,
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "123.456.789-09",
                  "phone": "+5511999999999",
                  "address": {"street": "Av. Paulista", "address_number": "1000",
                              "complement": "Sala 101", "neighborhood": "Bela Vista",
                              "city": "Sao Paulo", "state": "SP", "postal_code": "01310-100",
                              "country": "BR"}},
        "due_date": "2030-12-31", "description": "Order 42",
        "redirect_url": "https://shop.example.com/done"
    });
    if let Some(capture) = capture {
        body["capture"] = json!(capture);
    }
    giro_domain::charge::parse_create(body.to_string().as_bytes(), &Catalog::default())
        .unwrap_or_else(|r| panic!("intake refuses {body}: {r}"))
        .requested
}

#[tokio::test]
async fn a55_charges_follow_the_page() {
    let reference = Reference::start();
    let registry = registry(&reference).await;
    let a55 = registry
        .instance("a55")
        .and_then(|i| i.charges.clone())
        .expect("a55 takes charges");
    let mut created = Vec::new();
    for (method, capture) in [
        ("credit_card", None),
        ("credit_card", Some(false)),
        ("pix", None),
        ("boleto", None),
    ] {
        let request = charge(method, "150.00", capture);
        let handle = format!("G{}", uuid::Uuid::new_v4().simple());
        let order = ChargeOrder {
            id: OrderId::from_uuid(uuid::Uuid::new_v4()),
            handle: &handle,
            request: &request,
            charge_uuid: None,
        };
        match a55.create(order).await {
            ChargeSubmission::Accepted(view) => created.push(view.charge_uuid.clone()),
            ChargeSubmission::Refused(r) => panic!("{method}: refused: {r:?}"),
        }
    }
    for uuid in &created {
        assert!(
            matches!(a55.read(uuid).await, ChargeOperation::Done(_)),
            "{uuid} reads"
        );
    }
    // Cancel, refund: the reference may refuse them for the charge's state (a refusal, not a
    // violation); what matters is that Giro sends them as the pages say.
    let _ = a55.cancel(&created[2]).await;
    let _ = a55.refund(&created[0], None, Some("customer asked")).await;
    // The authorised-only charge, captured in part.
    let _ = a55
        .capture(&created[1], Some(rust_decimal::Decimal::new(10000, 2)))
        .await;
    assert_conformant(&reference, "a55.", &[]).await;
}

#[test]
fn the_reference_servers_pass_their_own_selftest() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new("python3")
        .arg(root.join("ops/conformance/selftest.py"))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "ops/conformance/selftest.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
