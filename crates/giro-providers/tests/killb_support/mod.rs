//! What the KillB client tests share: a KillB simulator and a client configured for it.

use std::time::Duration;

use giro_domain::Secret;
use giro_providers::killb::{KillbClient, KillbConfig};
use giro_sandbox::killb::KillbConfig as Simulator;
use giro_sandbox::{Sandbox, SandboxConfig, Timing};

pub const EMAIL: &str = "ops@giro.test";
pub const PASSWORD: &str = "kb-password";
pub const WEBHOOK_SECRET: &str = "kb-webhook-secret";
pub const ACCOUNT: &str = "prefund-cop-001";
pub const INGRESS: &str = "http://giro.test:8081/webhooks/killb";

pub async fn sandbox(adjust: impl FnOnce(&mut Simulator)) -> Sandbox {
    let mut killb = Simulator::new(EMAIL, PASSWORD, WEBHOOK_SECRET);
    adjust(&mut killb);
    Sandbox::start(SandboxConfig {
        simulators: vec![Box::new(killb)],
        timing: Timing {
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

pub fn config(base_url: &str) -> KillbConfig {
    let mut config = KillbConfig::new(
        base_url,
        EMAIL,
        Secret::new(PASSWORD.into()),
        ACCOUNT,
        Secret::new(WEBHOOK_SECRET.into()),
    );
    config.rate_limit = None;
    config.timeout = Duration::from_secs(5);
    config.webhook_url = INGRESS.into();
    config
}

pub fn client(sandbox: &Sandbox) -> KillbClient {
    KillbClient::new(config(&sandbox.killb_url().expect("killb runs"))).expect("client")
}
