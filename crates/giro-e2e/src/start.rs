//! Starting a [`Stack`]: the sandboxes, the provider registry of their providers, the ingress and
//! the executors, in the order their addresses require.

use std::sync::Arc;
use std::time::Duration;

use giro_eventlog::test_support::TestLog;
use giro_providers::{Registry, Settings};
use giro_sandbox::a55::A55Config;
use giro_sandbox::cashy::{CashyConfig, CashyMerchant};
use giro_sandbox::killb::KillbConfig;
use giro_sandbox::{Sandbox, SandboxConfig, Timing};

use crate::{
    A55_CLIENT_ID, A55_CLIENT_SECRET, A55_MERCHANT, A55_WALLET, A55_WEBHOOK_SECRET, CO_KEY,
    CO_MERCHANT, KILLB_ACCOUNT, KILLB_EMAIL, KILLB_PASSWORD, KILLB_SECRET, Stack, StackOptions,
    TZ_KEY, TZ_MERCHANT,
};

/// The provider settings of the stack: the sandboxes' addresses and credentials.
fn settings(sandbox: &Sandbox, ingress_url: &str, a55_legacy: bool) -> Settings {
    let mut s = Settings::isolated();
    s.set("GIRO_INGRESS_PUBLIC_URL", ingress_url)
        .set("GIRO_PROVIDER_TIMEOUT", "2s")
        .set("GIRO_KILLB_URL", sandbox.killb_url().expect("killb"))
        .set("GIRO_KILLB_EMAIL", KILLB_EMAIL)
        .set("GIRO_KILLB_PASSWORD", KILLB_PASSWORD)
        .set("GIRO_KILLB_PREFUND_ACCOUNT", KILLB_ACCOUNT)
        .set("GIRO_KILLB_WEBHOOK_SECRET", KILLB_SECRET)
        .set("GIRO_CASHY_URL", sandbox.cashy_url().expect("cashy"))
        .set("GIRO_CASHY_CO_MERCHANT", CO_MERCHANT)
        .set("GIRO_CASHY_CO_KEY", CO_KEY)
        .set("GIRO_CASHY_TZ_MERCHANT", TZ_MERCHANT)
        .set("GIRO_CASHY_TZ_KEY", TZ_KEY)
        .set("GIRO_A55_URL", sandbox.a55_url().expect("a55"))
        .set("GIRO_A55_CLIENT_ID", A55_CLIENT_ID)
        .set("GIRO_A55_CLIENT_SECRET", A55_CLIENT_SECRET)
        .set("GIRO_A55_WEBHOOK_SECRET", A55_WEBHOOK_SECRET)
        .set("GIRO_A55_WALLET", A55_WALLET)
        .set("GIRO_A55_MERCHANT_ID", A55_MERCHANT)
        .set("GIRO_A55_LEGACY_WEBHOOKS", a55_legacy.to_string());
    s
}

/// The sandboxes, calling the ingress back at `ingress_url`.
async fn start_sandbox(options: &StackOptions, ingress_url: &str) -> Result<Sandbox, String> {
    let mut a55 = A55Config::new(A55_CLIENT_ID, A55_CLIENT_SECRET, A55_WEBHOOK_SECRET);
    a55.webhook_url = Some(format!("{ingress_url}/webhooks/a55"));
    a55.legacy_webhooks = options.a55_legacy;
    let mut killb = KillbConfig::new(KILLB_EMAIL, KILLB_PASSWORD, KILLB_SECRET);
    killb.webhook_url = Some(format!("{ingress_url}/webhooks/killb"));
    if let Some(account) = killb.accounts.first_mut() {
        account.amount = options.killb_balance;
    }
    Sandbox::start(SandboxConfig {
        killb: Some(killb),
        cashy: Some(CashyConfig::new(vec![
            CashyMerchant::colombia(CO_MERCHANT, CO_KEY),
            CashyMerchant::tanzania(TZ_MERCHANT, TZ_KEY),
        ])),
        a55: Some(a55),
        timing: Timing {
            time_scale: 0.0005,
            step_delay: Duration::from_millis(50),
            reversal_delay: Duration::from_millis(300),
            callback_timeout: Duration::from_secs(5),
        },
        faults: options.faults.clone(),
        seed: options.seed,
    })
    .await
    .map_err(|e| e.to_string())
}

impl Stack {
    /// The sandboxes, the registry of their providers (and `options.adapters`), the ingress and
    /// `options.executors` executors of every payout and charge instance, as `giro up` wires them
    /// (`giro_stack`), one executor per payout instance.
    pub async fn start(options: StackOptions) -> Stack {
        let config = giro_eventlog::EventLogConfig {
            replicas: options.replicas,
            ..TestLog::private_config()
        };
        let url = (options.nats_url.clone()).unwrap_or_else(giro_eventlog::test_support::nats_url);
        let log = TestLog::on(&url, config).await;
        let mut config = giro_stack::StackConfig::new(log.config.prefix.clone(), None);
        config.timings = Some(options.timings.clone());
        config.payout_consumers = giro_stack::PayoutConsumers::PerInstance;
        // The sandboxes must know the ingress's address before it starts, and the ingress its
        // providers, which need the sandboxes' addresses: the ingress's port is chosen first.
        // Another test may take it between choosing and binding; then all start again.
        let mut attempt = 0;
        let (sandbox, registry, ingress) = loop {
            attempt += 1;
            let listen = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port");
            let url = format!("http://{listen}");
            let started = match start_sandbox(&options, &url).await {
                Ok(sandbox) => {
                    let mut registry =
                        Registry::from_settings(&settings(&sandbox, &url, options.a55_legacy))
                            .expect("providers configured");
                    let extra = settings(&sandbox, &url, options.a55_legacy);
                    for adapter in &options.adapters {
                        adapter
                            .register(&extra, &mut registry)
                            .expect("adapter registers");
                    }
                    let registry = Arc::new(registry);
                    giro_stack::start_ingress(registry.clone(), &log.log, &config, listen)
                        .await
                        .map(|ingress| (sandbox, registry, ingress))
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e),
            };
            match started {
                Ok(started) => break started,
                Err(e) if attempt < 5 => {
                    eprintln!("stack did not start ({e}); again on other ports")
                }
                Err(e) => panic!("stack starts: {e}"),
            }
        };
        let providers = registry
            .payout_instances()
            .filter_map(|i| Some((i.id().clone(), i.payouts.clone()?, i.prefunded)))
            .collect();
        let mut stack = Stack {
            log,
            sandbox,
            ingress,
            registry,
            providers,
            executors: vec![],
            timings: options.timings,
        };
        for _ in 0..options.executors {
            for i in 0..stack.providers.len() {
                stack.start_executor(i).await;
            }
            stack.start_charge_executor().await;
        }
        stack
    }
}
