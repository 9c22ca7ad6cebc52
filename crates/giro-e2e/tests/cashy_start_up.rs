//! Cashy at start-up and on the development public URL, on the real stack: wrong merchant
//! credentials (or a public URL on an IP address, which Cashy refuses as `notifyUrl`) stop
//! `giro_stack::start` — what `giro up` and `giro executor` run — with an error naming the
//! variable to fix; with the right ones, Colombian and Tanzanian payouts complete end to end
//! through callbacks to `http://giro.localhost:<port>`, which the sandbox reaches without DNS.

use std::sync::Arc;
use std::time::Duration;

use giro_domain::payout::PayoutStatus;
use giro_e2e::{Stack, StackOptions};
use giro_eventlog::test_support::TestLog;
use giro_providers::{Registry, Settings};
use giro_sandbox::cli::SandboxArgs;
use giro_sandbox::{CallbackOutcome, OrderFilter, Sandbox};

/// The sandboxes on free ports calling back `http://giro.localhost:<port of listen>`, and the
/// engine settings pointing at them, with `overrides` on top.
async fn sandbox_and_settings(
    listen: std::net::SocketAddr,
    overrides: &[(&str, &str)],
) -> (Sandbox, Settings) {
    let mut args = SandboxArgs::automated(&[]).expect("harness options");
    let public = args.call_back_locally(listen);
    assert_eq!(public, format!("http://giro.localhost:{}", listen.port()));
    let sandbox = Sandbox::start(args.config()).await.expect("sandbox starts");
    let mut settings = Settings::isolated();
    settings
        .set("GIRO_INGRESS_PUBLIC_URL", public)
        .set("GIRO_PROVIDER_TIMEOUT", "2s");
    for (name, value) in args.engine_settings(&sandbox) {
        settings.set(name, value);
    }
    for (name, value) in overrides {
        settings.set(*name, *value);
    }
    (sandbox, settings)
}

/// What `giro_stack::start` says with `overrides`: `Ok` when the stack started.
async fn start_up(overrides: &[(&str, &str)]) -> Result<(), String> {
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let (_sandbox, settings) = sandbox_and_settings(listen, overrides).await;
    let registry = Arc::new(Registry::from_settings(&settings).expect("providers configured"));
    let log = TestLog::new().await;
    let config = giro_stack::StackConfig::new(log.config.prefix.clone(), Some(listen));
    match giro_stack::start(registry, &log.log, &config).await {
        Ok(stack) => {
            stack.stop().await;
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

#[tokio::test]
async fn wrong_cashy_credentials_stop_start_up_naming_the_variable() {
    start_up(&[])
        .await
        .expect("the sandbox's own credentials start");
    let key = start_up(&[("GIRO_CASHY_TZ_KEY", "not-the-key")])
        .await
        .expect_err("a wrong key stops start-up");
    assert!(
        key.contains("cashy-tz")
            && key.contains("Sign_verify_error")
            && key.contains("GIRO_CASHY_TZ_KEY"),
        "{key}"
    );
    assert!(
        !key.contains("not-the-key"),
        "the key is never shown: {key}"
    );
    let merchant = start_up(&[("GIRO_CASHY_CO_MERCHANT", "4242")])
        .await
        .expect_err("an unknown merchant stops start-up");
    assert!(
        merchant.contains("cashy-co")
            && merchant.contains("MerchantId_is_error")
            && merchant.contains("GIRO_CASHY_CO_MERCHANT"),
        "{merchant}"
    );
    let ip = start_up(&[("GIRO_INGRESS_PUBLIC_URL", "http://127.0.0.1:8081")])
        .await
        .expect_err("a public URL on an IP address stops start-up");
    assert!(ip.contains("GIRO_INGRESS_PUBLIC_URL"), "{ip}");
}

#[tokio::test]
async fn cashy_payouts_complete_through_callbacks_to_the_named_public_url() {
    let stack = Stack::start(StackOptions::default()).await;
    let ids = [
        stack.create("cashy-named-co", "cashy-co", "150000").await,
        stack.create("cashy-named-tz", "cashy-tz", "5000").await,
    ];
    let statuses = stack
        .wait_for(&ids, Duration::from_secs(60), |s| {
            s == PayoutStatus::Succeeded
        })
        .await;
    assert_eq!(statuses, [PayoutStatus::Succeeded; 2]);
    for provider in ["cashy-co", "cashy-tz"] {
        let orders = stack.sandbox.registry().orders(&OrderFilter {
            provider: Some(provider.into()),
            ..OrderFilter::default()
        });
        assert_eq!(orders.len(), 1, "{provider}");
        let callbacks = &orders[0].order.callbacks;
        assert!(
            callbacks
                .iter()
                .any(|c| c.outcome == CallbackOutcome::Acknowledged),
            "{provider}: {callbacks:?}"
        );
        for callback in callbacks {
            assert!(
                callback.url.starts_with("http://giro.localhost:")
                    && callback.url.ends_with("/webhooks/cashy"),
                "{}",
                callback.url
            );
        }
    }
}
