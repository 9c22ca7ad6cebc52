//! KillB's start-up set-up against the simulator: credentials and the pre-fund account checked,
//! the bank list read, the webhook registered once however often set-up runs, and the pre-fund
//! account creation and API key configuration it relies on.

mod killb_support;

use giro_domain::Secret;
use giro_providers::killb::wire::CreatePrefund;
use giro_providers::killb::{KillbClient, KillbSetup};
use giro_providers::{ProviderSetup, Registry, Settings, SetupError};
use killb_support::*;
use std::sync::Arc;

#[tokio::test]
async fn set_up_registers_the_webhook_once_and_reads_the_banks() {
    let sandbox = sandbox(|_| {}).await;
    let client = Arc::new(client(&sandbox));
    assert!(client.webhooks().await.unwrap().is_empty());
    assert!(client.knows_bank("007"), "Giro's own list before the first");
    let setup = KillbSetup(client.clone());
    let lines = setup.set_up().await.expect("set-up works");
    assert!(lines[0].contains(ACCOUNT), "{lines:?}");
    assert!(
        lines[2].contains("registered for PAYOUT, ACCOUNT"),
        "{lines:?}"
    );
    for _ in 0..2 {
        let again = setup.set_up().await.expect("set-up works again");
        assert!(again[2].contains("already registered"), "{again:?}");
    }
    let hooks = client.webhooks().await.unwrap();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0].url, INGRESS);
    assert_eq!(hooks[0].events, ["PAYOUT", "ACCOUNT"]);
    // A client built afresh (an engine restart) finds it too.
    let restarted = KillbSetup(Arc::new(killb_support::client(&sandbox)));
    restarted.set_up().await.expect("set-up after a restart");
    assert_eq!(client.webhooks().await.unwrap().len(), 1);

    let banks = client.banks("CO").await.unwrap();
    assert!(
        banks
            .iter()
            .any(|b| b.code == "007" && b.trade_name.is_some())
    );
    assert!(client.knows_bank("007") && client.knows_bank("551"));
    // Page 000 writes 001, page 002 writes 0001: one bank either way.
    assert!(client.knows_bank("0007") && client.knows_bank("0551"));
    assert!(!client.knows_bank("999"));
}

#[tokio::test]
async fn wrong_credentials_or_a_missing_prefund_account_are_refused_and_an_absent_killb_unavailable()
 {
    let sandbox = sandbox(|k| k.api_key = Some("kb-api-key".into())).await;
    let url = sandbox.killb_url().unwrap();
    let build = |adjust: &dyn Fn(&mut giro_providers::killb::KillbConfig)| {
        let mut config = config(&url);
        config.api_key = Some(Secret::new("kb-api-key".into()));
        adjust(&mut config);
        KillbSetup(Arc::new(KillbClient::new(config).unwrap()))
    };
    build(&|_| {}).set_up().await.expect("right credentials");

    let wrong_password = build(&|c| c.password = Secret::new("nope".into()));
    let Err(SetupError::Refused(reason)) = wrong_password.set_up().await else {
        panic!("a wrong password is refused");
    };
    for name in [
        "GIRO_KILLB_EMAIL",
        "GIRO_KILLB_PASSWORD",
        "GIRO_KILLB_API_KEY",
    ] {
        assert!(reason.contains(name), "{reason}");
    }
    assert!(!reason.contains("nope"), "{reason}");
    let wrong_key = build(&|c| c.api_key = Some(Secret::new("other".into())));
    assert!(matches!(
        wrong_key.set_up().await,
        Err(SetupError::Refused(r)) if r.contains("GIRO_KILLB_API_KEY")
    ));
    let no_key = build(&|c| c.api_key = None);
    assert!(matches!(no_key.set_up().await, Err(SetupError::Refused(_))));

    let elsewhere = build(&|c| c.pre_fund_account_id = "prefund-nowhere".into());
    let Err(SetupError::Refused(reason)) = elsewhere.set_up().await else {
        panic!("an unknown pre-fund account is refused");
    };
    assert!(
        reason.contains("GIRO_KILLB_PREFUND_ACCOUNT=prefund-nowhere") && reason.contains(ACCOUNT),
        "{reason}"
    );

    let absent = KillbSetup(Arc::new(
        KillbClient::new(config("http://127.0.0.1:9")).unwrap(),
    ));
    assert!(matches!(
        absent.set_up().await,
        Err(SetupError::Unavailable(_))
    ));
}

#[tokio::test]
async fn prefund_accounts_are_created_and_then_accepted_by_set_up() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let created = client
        .create_prefund(&CreatePrefund {
            currency: "USDC",
            network: Some("POLYGON"),
        })
        .await
        .expect("created");
    assert_eq!(
        (created.currency.as_str(), created.network.as_deref()),
        ("USDC", Some("POLYGON"))
    );
    let refused = client
        .create_prefund(&CreatePrefund {
            currency: "USDT",
            network: None,
        })
        .await
        .expect_err("USDT needs a network");
    assert!(refused.to_string().contains("network"), "{refused}");
    let balances = client.balances().await.unwrap();
    assert!(
        balances
            .iter()
            .any(|b| b.account_id == created.id && b.currency == "USDC")
    );
    let mut config = config(&sandbox.killb_url().unwrap());
    config.pre_fund_account_id = created.id.clone();
    let setup = KillbSetup(Arc::new(KillbClient::new(config).unwrap()));
    let lines = setup.set_up().await.expect("the new account is known");
    assert!(lines[0].contains(&created.id), "{lines:?}");
}

#[test]
fn the_adapter_reads_the_api_key_user_and_ingress_and_masks_them() {
    let mut settings = Settings::isolated();
    settings
        .set("GIRO_KILLB_API_KEY", "kb-secret-key-123")
        .set("GIRO_KILLB_USER_ID", "user-42")
        .set("GIRO_INGRESS_PUBLIC_URL", "https://giro.example/");
    let config = giro_providers::killb::adapter::config(&settings).unwrap();
    assert_eq!(
        config.api_key.as_ref().map(|k| k.expose().as_str()),
        Some("kb-secret-key-123")
    );
    assert_eq!(config.user_id, "user-42");
    assert_eq!(config.webhook_url, "https://giro.example/webhooks/killb");
    assert!(!format!("{config:?}").contains("kb-secret-key-123"));
    let dir = std::env::temp_dir().join(format!("giro-killb-key-{}", std::process::id()));
    std::fs::write(&dir, "kb-file-key\n").unwrap();
    let mut from_file = Settings::isolated();
    from_file.set("GIRO_KILLB_API_KEY_FILE", dir.display().to_string());
    let config = giro_providers::killb::adapter::config(&from_file).unwrap();
    assert_eq!(
        config.api_key.map(|k| k.expose().clone()),
        Some("kb-file-key".into())
    );
    assert_eq!(config.user_id, giro_providers::killb::DEFAULT_USER_ID);
    let _ = std::fs::remove_file(dir);
    let registry = Registry::from_settings(&Settings::isolated()).unwrap();
    assert!(
        registry
            .instance("killb")
            .and_then(|i| i.setup.as_ref())
            .is_some()
    );
}
