//! `giro provider <instance> <action>` as its users run it, against a KillB sandbox: the actions
//! KillB's module declares are listed, `prefund-create` creates a pre-fund account that KillB then
//! lists among its balances, and bad input is refused as JSON naming what was wrong.

use crate::support;

use std::process::Output;
use std::time::Duration;

use giro_sandbox::killb::{KillbConfig, defaults};
use giro_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use support::{giro, show};

/// `giro provider …` with the KillB sandbox at `url`, the rest as configured by default.
async fn provider(url: &str, args: &[&str]) -> (Output, Value) {
    let mut cmd = giro();
    cmd.arg("provider")
        .args(args)
        .env("GIRO_KILLB_URL", url)
        .env("GIRO_PROVIDER_TIMEOUT", "5s");
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("giro runs"))
        .await
        .expect("joined");
    let json =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&out)));
    (out, json)
}

#[tokio::test]
async fn a_killb_prefund_account_is_created_from_the_command_line() {
    let sandbox = Sandbox::start(SandboxConfig {
        simulators: vec![Box::new(KillbConfig::new(
            defaults::EMAIL,
            defaults::PASSWORD,
            defaults::WEBHOOK_SECRET,
        ))],
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let url = sandbox.killb_url().expect("killb runs");

    let (out, listed) = provider(&url, &["killb"]).await;
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(listed["actions"][0]["action"], "prefund-create", "{listed}");

    let (out, created) = provider(
        &url,
        &[
            "killb",
            "prefund-create",
            "currency=USDC",
            "network=POLYGON",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", show(&out));
    let result = &created["result"];
    assert_eq!(
        (&result["currency"], &result["network"]),
        (&"USDC".into(), &"POLYGON".into())
    );
    let id = result["id"].as_str().expect("the new account's id");

    // KillB lists it among the pre-fund balances, as set-up will find it.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let login: Value = client
        .post(format!("{url}/api/v2/auth/login"))
        .json(&serde_json::json!({"email": defaults::EMAIL, "password": defaults::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let balances: Value = client
        .get(format!("{url}/api/v2/customers/balances"))
        .bearer_auth(login["accessToken"].as_str().expect("a token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        balances.to_string().contains(id),
        "{id} not among {balances}"
    );

    for (args, code, says) in [
        (
            &["killb", "prefund-create", "currency=USDT"][..],
            "refused",
            "network",
        ),
        (
            &["killb", "prefund-create"][..],
            "invalid_argument",
            "currency",
        ),
        (
            &["killb", "prefund-create", "currency"][..],
            "invalid_argument",
            "name=value",
        ),
        (
            &["killb", "prefund-delete"][..],
            "unknown_action",
            "prefund-create",
        ),
        (
            &["nowhere", "prefund-create"][..],
            "unknown_provider",
            "killb",
        ),
    ] {
        let (out, refused) = provider(&url, args).await;
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", show(&out));
        assert_eq!(refused["error"]["code"], code, "{args:?}: {refused}");
        let message = refused["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{args:?}: {message}");
    }
}
