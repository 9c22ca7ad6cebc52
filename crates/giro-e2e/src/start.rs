//! Starting a [`Stack`]: the sandboxes, the provider registry of their providers, the ingress and
//! the executors, in the order their addresses require.

use std::sync::Arc;
use std::time::Duration;

use giro_eventlog::test_support::TestLog;
use giro_providers::{Registry, Settings};
use giro_sandbox::cli::SandboxArgs;
use giro_sandbox::{Sandbox, Timing};

use crate::{Stack, StackOptions};

/// The provider settings of the stack: the simulators' addresses and credentials, as `giro up`
/// sets them.
fn settings(sandbox: &Sandbox, args: &SandboxArgs, ingress_url: &str) -> Settings {
    let mut s = Settings::isolated();
    s.set("GIRO_INGRESS_PUBLIC_URL", ingress_url)
        .set("GIRO_PROVIDER_TIMEOUT", "2s");
    for (name, value) in args.engine_settings(sandbox) {
        s.set(name, value);
    }
    s
}

/// The simulators, calling the ingress back at `ingress_url`.
async fn start_sandbox(args: &SandboxArgs, options: &StackOptions) -> Result<Sandbox, String> {
    let mut config = args.config();
    config.timing = Timing {
        time_scale: 0.0005,
        step_delay: Duration::from_millis(50),
        reversal_delay: Duration::from_millis(300),
        callback_timeout: Duration::from_secs(5),
    };
    config.faults = options.faults.clone();
    config.seed = options.seed;
    Sandbox::start(config).await.map_err(|e| e.to_string())
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
        // providers, which need the sandboxes' addresses: the ingress's port is bound first, and
        // kept until the ingress serves on it. A stack that does not start is started again.
        let mut attempt = 0;
        let (sandbox, registry, ingress) = loop {
            attempt += 1;
            let listen = giro_stack::bind_ingress(&mut config, ([127, 0, 0, 1], 0).into())
                .expect("a free port");
            let mut args = SandboxArgs::automated(&options.sandbox).expect("valid sandbox options");
            // `http://giro.localhost:<port>`, as `giro up` (providers refuse IP addresses); the
            // sandboxes resolve the name to the ingress without DNS.
            let url = args.call_back_locally(listen);
            let started = match start_sandbox(&args, &options).await {
                Ok(sandbox) => {
                    let extra = settings(&sandbox, &args, &url);
                    let mut registry =
                        Registry::from_settings(&extra).expect("providers configured");
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
        // As `giro up` does before its executors start: the providers' set-up.
        // Their bank lists are published for intake, as `giro up` does.
        let banks = giro_stack::open_bank_lists(&log.log)
            .await
            .expect("bank list bucket");
        let setup = giro_stack::set_up_providers(
            registry.clone(),
            None,
            giro_stack::DEFAULT_SETUP_EVERY,
            Some(banks),
        )
        .await
        .expect("the sandboxes accept the providers' set-up");
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
            setup: Some(setup),
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
