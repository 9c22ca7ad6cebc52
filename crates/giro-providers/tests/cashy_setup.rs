//! Cashy's start-up set-up, per-merchant base URLs, the notifyUrl rule and Tanzania's `bankId`,
//! against the Cashy simulator over real HTTP.

use std::time::Duration;

use giro_domain::payout::PayoutRequested;
use giro_domain::provider::Catalog;
use giro_domain::rail::TzOperator;
use giro_domain::{OrderId, Secret, SubmissionHandle};
use giro_providers::cashy::wire::PayOutRequest;
use giro_providers::cashy::{
    CashyClient, CashyConfig, CashyCountry, CashySetup, SetupNames, notify_url_problem,
};
use giro_providers::{
    PayoutOrder, PayoutProvider, ProviderSetup, Registry, Settings, SetupError, Submission,
};
use giro_sandbox::cashy::{CashyConfig as Simulator, CashyMerchant};
use giro_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

const CO_MERCHANT: &str = "100001";
const CO_KEY: &str = "cashy-co-sandbox-key";
const TZ_MERCHANT: &str = "1002001";
const TZ_KEY: &str = "cashy-tz-sandbox-key";
const NOTIFY: &str = "http://giro.localhost:8081/webhooks/cashy";

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        simulators: vec![Box::new(Simulator::new(vec![
            CashyMerchant::colombia(CO_MERCHANT, CO_KEY),
            CashyMerchant::tanzania(TZ_MERCHANT, TZ_KEY),
        ]))],
        timing: giro_sandbox::Timing {
            time_scale: 0.0001,
            step_delay: Duration::from_millis(30),
            reversal_delay: Duration::from_millis(150),
            callback_timeout: Duration::from_secs(5),
        },
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn config(base: &str, country: CashyCountry, merchant: &str, key: &str) -> CashyConfig {
    let mut config = CashyConfig::new(base, merchant, Secret::new(key.into()), country, NOTIFY);
    config.timeout = Duration::from_secs(2);
    config
}

fn setup(config: CashyConfig) -> CashySetup {
    CashySetup {
        client: std::sync::Arc::new(CashyClient::new(config).unwrap()),
        names: SetupNames {
            url: "GIRO_CASHY_CO_URL (or GIRO_CASHY_URL)".into(),
            merchant: "GIRO_CASHY_CO_MERCHANT".into(),
            key: "GIRO_CASHY_CO_KEY".into(),
        },
    }
}

fn refused(result: Result<Vec<String>, SetupError>) -> String {
    match result {
        Err(SetupError::Refused(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn setup_checks_the_merchant_and_reads_the_bank_list_again_and_again() {
    let sandbox = sandbox().await;
    let base = sandbox.cashy_url().unwrap();
    let co = setup(config(&base, CashyCountry::Co, CO_MERCHANT, CO_KEY));
    for _ in 0..2 {
        let lines = co.set_up().await.expect("the sandbox accepts the merchant");
        assert!(
            lines.iter().any(|l| l.contains("merchant 100001 accepted")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("bank list read again: 16")),
            "{lines:?}"
        );
    }
    // Reads only: the set-up created no order.
    assert!(sandbox.registry().orders(&Default::default()).is_empty());
}

#[tokio::test]
async fn wrong_key_merchant_or_base_url_stop_start_up_naming_the_variables() {
    let sandbox = sandbox().await;
    let base = sandbox.cashy_url().unwrap();
    let key = refused(
        setup(config(&base, CashyCountry::Co, CO_MERCHANT, "wrong-key"))
            .set_up()
            .await,
    );
    assert!(
        key.contains("Sign_verify_error") && key.contains("GIRO_CASHY_CO_KEY"),
        "{key}"
    );
    assert!(!key.contains("wrong-key"), "the key is never shown: {key}");
    let merchant = refused(
        setup(config(&base, CashyCountry::Co, "999999", CO_KEY))
            .set_up()
            .await,
    );
    assert!(
        merchant.contains("MerchantId_is_error") && merchant.contains("GIRO_CASHY_CO_MERCHANT"),
        "{merchant}"
    );
    let url = refused(
        setup(config(
            &format!("{base}/nowhere/"),
            CashyCountry::Co,
            CO_MERCHANT,
            CO_KEY,
        ))
        .set_up()
        .await,
    );
    assert!(
        url.contains("HTTP 404") && url.contains("GIRO_CASHY_CO_URL"),
        "{url}"
    );
    // Nobody answers: tried again later, start-up goes on.
    let down = setup(config(
        "http://127.0.0.1:9",
        CashyCountry::Co,
        CO_MERCHANT,
        CO_KEY,
    ));
    assert!(matches!(
        down.set_up().await,
        Err(SetupError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_notify_url_on_an_ip_address_stops_start_up_naming_the_public_url_setting() {
    let sandbox = sandbox().await;
    let base = sandbox.cashy_url().unwrap();
    for url in [
        "http://127.0.0.1:8081/webhooks/cashy",
        "http://[::1]:8081/webhooks/cashy",
        "ftp://giro.example.com/webhooks/cashy",
    ] {
        let mut config = config(&base, CashyCountry::Co, CO_MERCHANT, CO_KEY);
        config.notify_url = url.into();
        let reason = refused(setup(config).set_up().await);
        assert!(reason.contains("GIRO_INGRESS_PUBLIC_URL"), "{reason}");
        assert!(notify_url_problem(url).is_some());
    }
    assert_eq!(notify_url_problem(NOTIFY), None);
}

#[tokio::test]
async fn registry_gives_each_merchant_its_base_url_and_set_up() {
    let sandbox = sandbox().await;
    let base = sandbox.cashy_url().unwrap();
    let mut settings = Settings::isolated();
    settings
        .set("GIRO_CASHY_URL", "http://127.0.0.1:9")
        .set("GIRO_CASHY_CO_URL", base.as_str())
        .set("GIRO_PROVIDER_TIMEOUT", "2s");
    let registry = Registry::from_settings(&settings).expect("providers configured");
    let set_up = |id: &str| {
        registry
            .instance(id)
            .and_then(|i| i.setup.clone())
            .unwrap_or_else(|| panic!("{id} has a set-up"))
    };
    // Colombia on its own URL (the sandbox); Tanzania falls back to GIRO_CASHY_URL (nobody).
    let lines = set_up("cashy-co").set_up().await.expect("CO set up");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("http://giro.localhost:8081/webhooks/cashy"))
    );
    assert!(matches!(
        set_up("cashy-tz").set_up().await,
        Err(SetupError::Unavailable(_))
    ));
    settings.set("GIRO_CASHY_TZ_URL", base.as_str());
    let registry = Registry::from_settings(&settings).expect("providers configured");
    let tz = registry
        .instance("cashy-tz")
        .and_then(|i| i.setup.clone())
        .unwrap();
    tz.set_up().await.expect("TZ set up on its own URL");
    // The operator bankIds setting is read, and refused when malformed.
    settings.set("GIRO_CASHY_TZ_BANK_IDS", "tigo=two");
    let error = Registry::from_settings(&settings).unwrap_err().to_string();
    assert!(error.contains("GIRO_CASHY_TZ_BANK_IDS"), "{error}");
}

fn tz_payout() -> (OrderId, String, PayoutRequested) {
    payout(
        json!({"idempotency_key": format!("t-{}", uuid::Uuid::new_v4()),
        "provider": "cashy-tz", "amount": "30000", "currency": "TZS",
        "beneficiary": {"rail": "tz_mobile", "name": "Juma Hamisi", "msisdn": "+255712345678",
                        "operator": "tigo"}}),
    )
}

fn payout(body: serde_json::Value) -> (OrderId, String, PayoutRequested) {
    let draft = giro_domain::payout::parse_create(body.to_string().as_bytes()).unwrap();
    let command = draft.into_command(&Catalog::default(), None).unwrap();
    let handle = SubmissionHandle {
        order_id: command.order_id,
        attempt: 1,
    }
    .to_string();
    (command.order_id, handle, command.requested)
}

#[tokio::test]
async fn tanzanian_payouts_send_the_operators_bank_id_from_the_list_or_the_setting() {
    let sandbox = sandbox().await;
    let base = sandbox.cashy_url().unwrap();
    let client = CashyClient::new(config(&base, CashyCountry::Tz, TZ_MERCHANT, TZ_KEY)).unwrap();
    // From bankListQuery: Tigo is 2, as in seed 004's example.
    assert_eq!(client.tz_bank_id(TzOperator::Tigo).await, Some(2));
    let (id, handle, request) = tz_payout();
    let order = PayoutOrder {
        id,
        handle: &handle,
        request: &request,
        provider_ref: None,
    };
    let body = PayOutRequest::new(client.config(), order, Some(2), "n1".into()).unwrap();
    let sent = serde_json::to_value(&body).unwrap();
    assert_eq!(sent["bankId"], 2);
    assert_eq!(sent["accountType"], 1);
    assert!(matches!(
        client.submit(order).await,
        Submission::Accepted { .. }
    ));
    // A configured bankId wins, and the sandbox checks it: Vodacom's id for a Tigo wallet.
    let mut wrong = config(&base, CashyCountry::Tz, TZ_MERCHANT, TZ_KEY);
    wrong.tz_bank_ids = vec![(TzOperator::Tigo, 4)];
    let wrong = CashyClient::new(wrong).unwrap();
    let (id, handle, request) = tz_payout();
    let order = PayoutOrder {
        id,
        handle: &handle,
        request: &request,
        provider_ref: None,
    };
    match wrong.submit(order).await {
        Submission::Refused(refusal) => assert_eq!(refusal.code, "Params_bankId_error"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // No list at all (nobody answers there): the payout goes without bankId, which the table
    // does not ask for.
    let unlisted = CashyClient::new(config(
        "http://127.0.0.1:9",
        CashyCountry::Tz,
        TZ_MERCHANT,
        TZ_KEY,
    ))
    .unwrap();
    assert_eq!(unlisted.tz_bank_id(TzOperator::Tigo).await, None);
}

#[tokio::test]
async fn query_fields_reach_the_report_channel_order_completion_time_fee_and_amount() {
    let sandbox = sandbox().await;
    let base = sandbox.cashy_url().unwrap();
    let client = CashyClient::new(config(&base, CashyCountry::Co, CO_MERCHANT, CO_KEY)).unwrap();
    let (id, handle, request) = payout(json!({"idempotency_key": "co-fields",
        "provider": "cashy-co", "amount": "150000", "currency": "COP",
        "beneficiary": {"rail": "co_bank", "first_name": "Ana", "last_name": "Ruiz",
            "email": "ana@example.com", "phone": "3001234567",
            "document": {"type": "CC", "number": "12345678"},
            "bank_code": "007", "account_number": "123456789", "account_type": "savings"}}));
    let order = PayoutOrder {
        id,
        handle: &handle,
        request: &request,
        provider_ref: None,
    };
    let Submission::Accepted {
        provider_ref: Some(order_no),
        ..
    } = client.submit(order).await
    else {
        panic!("accepted")
    };
    let order = PayoutOrder {
        provider_ref: Some(&order_no),
        ..order
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let report = loop {
        if let giro_providers::Lookup::Found(report) = client.lookup(order).await
            && report.raw_status == "SUCCESS"
        {
            break report;
        }
        assert!(std::time::Instant::now() < deadline, "SUCCESS in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(report.provider_ref.as_deref(), Some(order_no.as_str()));
    assert!(
        report
            .channel_ref
            .as_deref()
            .is_some_and(|c| c.starts_with("CH"))
    );
    let completed = report
        .completed_at
        .clone()
        .expect("completionTime on success");
    assert!(
        chrono::NaiveDateTime::parse_from_str(&completed, "%Y-%m-%d %H:%M:%S").is_ok(),
        "yyyy-MM-dd HH:mm:ss: {completed}"
    );
    assert_eq!(report.fee, Some(rust_decimal::Decimal::new(150_000, 2)));
    assert_eq!(
        report.amount.map(|a| a.amount),
        Some(rust_decimal::Decimal::from(150_000))
    );
}
