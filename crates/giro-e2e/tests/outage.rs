//! With NATS stopped, a provider's callback gets 5xx; after NATS returns, the provider's own retry
//! is accepted and the payout completes: nothing lost.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutStatus};
use giro_domain::provider::Catalog;
use giro_domain::{EventMeta, ProviderId, Secret};
use giro_eventlog::test_support::PrivateNats;
use giro_eventlog::{EventLog, EventLogConfig};
use giro_ingress::IngressConfig;
use giro_providers::cashy::{CashyClient, CashyConfig as ClientConfig, CashyCountry};
use giro_providers::{PayoutOrder, PayoutProvider, Submission};
use giro_sandbox::cashy::defaults::{CO_KEY, CO_MERCHANT};
use giro_sandbox::cashy::{CashyConfig, CashyMerchant};
use giro_sandbox::{Sandbox, SandboxConfig, Timing};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_refused_while_nats_is_down_is_stored_on_the_providers_retry() {
    let mut nats = PrivateNats::start();
    let client = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .connect(nats.url())
        .await
        .unwrap();
    let log = EventLog::open(
        client,
        EventLogConfig {
            ack_timeout: Duration::from_secs(1),
            ..EventLogConfig::default()
        },
    )
    .await
    .unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut providers = giro_providers::Registry::default();
    let cashy = giro_providers::cashy::webhook::CashyWebhook {
        merchants: vec![giro_providers::cashy::webhook::CashyMerchantHook {
            instance: ProviderId::try_from("cashy-co".to_string()).unwrap(),
            merchant_id: CO_MERCHANT.into(),
            api_key: Secret::new(CO_KEY.into()),
            country: CashyCountry::Co,
        }],
    };
    providers
        .webhook("cashy", std::sync::Arc::new(cashy))
        .unwrap();
    let config = IngressConfig::new(any, "giro", std::sync::Arc::new(providers));
    let ingress = giro_ingress::start(log.clone(), config).await.unwrap();
    // Cashy's schedule scaled so its ten retries span about a minute.
    let sandbox = Sandbox::start(SandboxConfig {
        simulators: vec![Box::new(CashyConfig::new(vec![CashyMerchant::colombia(
            CO_MERCHANT,
            CO_KEY,
        )]))],
        timing: Timing {
            time_scale: 0.001,
            step_delay: Duration::from_millis(50),
            reversal_delay: Duration::from_millis(300),
            callback_timeout: Duration::from_secs(5),
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();

    // A payout, claimed while NATS is up.
    let body = serde_json::json!({
        "idempotency_key": "outage-1", "provider": "cashy-co", "amount": "150000", "currency": "COP",
        "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                         "email": "maria@example.com", "phone": "3001234567",
                         "document": {"type": "CC", "number": "12345678"},
                         "bank_code": "007", "account_number": "123456789", "account_type": "savings" }
    });
    let cmd = giro_domain::payout::parse_create(body.to_string().as_bytes())
        .unwrap()
        .into_command(&Catalog::default(), None)
        .unwrap();
    let id = cmd.order_id;
    log.execute::<PayoutDecider>(
        id,
        &PayoutCommand::Create(Box::new(cmd)),
        &EventMeta::default(),
        true,
    )
    .await
    .unwrap();
    let claimed = log
        .execute::<PayoutDecider>(
            id,
            &PayoutCommand::StartSubmission,
            &EventMeta::default(),
            false,
        )
        .await
        .unwrap();
    let payout = claimed.order.state.unwrap();

    // NATS goes down; the payout reaches Cashy, whose callback cannot be stored.
    nats.stop();
    // On a name, as Cashy wants; the sandbox resolves giro.localhost to the loopback address.
    let notify =
        format!("{}/webhooks/cashy", ingress.url()).replace("://127.0.0.1:", "://giro.localhost:");
    let cashy = CashyClient::new(ClientConfig::new(
        sandbox.cashy_url().unwrap(),
        CO_MERCHANT,
        Secret::new(CO_KEY.into()),
        CashyCountry::Co,
        notify,
    ))
    .unwrap();
    let order = PayoutOrder {
        id,
        handle: payout.handle.as_deref().unwrap(),
        request: &payout.request,
        provider_ref: None,
    };
    assert!(matches!(
        cashy.submit(order).await,
        Submission::Accepted { .. }
    ));
    let refused = Instant::now() + Duration::from_secs(20);
    loop {
        let attempts = sandbox
            .registry()
            .orders(&Default::default())
            .into_iter()
            .flat_map(|o| o.order.callbacks)
            .collect::<Vec<_>>();
        if attempts.iter().any(|a| a.http_status == Some(503)) {
            break;
        }
        assert!(
            Instant::now() < refused,
            "no callback was answered 503 while NATS was down: {attempts:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // NATS returns (same store); the provider's retry lands and the payout completes.
    nats.run(true);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = log
            .load::<PayoutDecider>(id)
            .await
            .ok()
            .and_then(|o| o.state)
            .map(|p| p.status);
        if status == Some(PayoutStatus::Succeeded) || Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status, Some(PayoutStatus::Succeeded));
    ingress.stop().await;
}
