//! KillB's start-up set-up in the real stack: the engine's start registers its webhook at the
//! KillB sandbox once (another start finds it and registers nothing), and wrong credentials stop
//! start-up with a reason naming the variables to fix.

use std::sync::Arc;

use giro_e2e::{Stack, StackOptions};
use giro_providers::{Registry, Settings};
use serde_json::{Value, json};

/// The settings a second engine process pointed at the same sandbox and ingress reads.
fn settings(stack: &Stack) -> Settings {
    let mut s = Settings::isolated();
    s.set("GIRO_INGRESS_PUBLIC_URL", public_url(stack))
        .set(
            "GIRO_KILLB_URL",
            stack.sandbox.killb_url().expect("killb runs"),
        )
        .set("GIRO_PROVIDER_TIMEOUT", "2s");
    s
}

/// The ingress as the providers reach it (`http://giro.localhost:<port>`, as the stack starts it:
/// providers refuse IP addresses).
fn public_url(stack: &Stack) -> String {
    stack
        .ingress
        .url()
        .replace("127.0.0.1", giro_sandbox::LOCAL_CALLBACK_HOST)
}

/// The webhooks the KillB sandbox holds for `url`.
async fn registrations(stack: &Stack, url: &str) -> usize {
    let base = stack.sandbox.killb_url().expect("killb runs");
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}/api/v2/auth/login"))
        .json(&json!({"email": giro_sandbox::killb::defaults::EMAIL,
                      "password": giro_sandbox::killb::defaults::PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("tokens");
    let hooks: Vec<Value> = http
        .get(format!("{base}/api/v2/webhooks"))
        .bearer_auth(login["accessToken"].as_str().expect("token"))
        .send()
        .await
        .expect("webhooks")
        .json()
        .await
        .expect("a list");
    hooks.iter().filter(|h| h["url"] == url).count()
}

#[tokio::test]
async fn the_engine_registers_its_webhook_once_and_wrong_credentials_stop_it() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stack = Stack::start(StackOptions::default()).await;
    let url = format!("{}/webhooks/killb", public_url(&stack));
    assert_eq!(registrations(&stack, &url).await, 1, "registered at start");

    // The engine started again (a new process: a new registry and client).
    let again = Arc::new(Registry::from_settings(&settings(&stack)).expect("registry"));
    let setup =
        giro_stack::set_up_providers(again, Some("killb"), giro_stack::DEFAULT_SETUP_EVERY, None)
            .await
            .expect("set-up succeeds again");
    setup.stop();
    assert_eq!(
        registrations(&stack, &url).await,
        1,
        "still one after a restart"
    );

    let mut wrong = settings(&stack);
    wrong.set("GIRO_KILLB_PASSWORD", "not-the-password");
    let wrong = Arc::new(Registry::from_settings(&wrong).expect("registry"));
    let refused =
        giro_stack::set_up_providers(wrong, None, giro_stack::DEFAULT_SETUP_EVERY, None).await;
    let Err(e) = refused else {
        panic!("wrong credentials stop start-up");
    };
    let reason = e.to_string();
    assert!(reason.contains("provider killb"), "{reason}");
    assert!(
        reason.contains("GIRO_KILLB_PASSWORD") && reason.contains("GIRO_KILLB_EMAIL"),
        "{reason}"
    );
    assert!(!reason.contains("not-the-password"), "{reason}");
}
