//! `giro up`: every component in one process, with the provider sandboxes unless told otherwise.

use std::process::ExitCode;

use anyhow::Context as _;

use super::args::UpArgs;
use super::components::{
    ComponentLogs, open_log, run_intake, serve_ops, start_sandbox, wait_for_shutdown,
};

/// Runs the engine until Ctrl-C or SIGTERM.
pub(super) async fn up(mut up: UpArgs) -> anyhow::Result<ExitCode> {
    // Provider settings come from GIRO_* variables (the sandbox flags share their names).
    let mut settings = giro_providers::Settings::from_env();
    // The sandboxes are told where to send callbacks before the ingress starts, so its
    // address is bound now (`:0` picks a free port) and kept until the ingress serves on it;
    // and unless a public URL is configured, providers call the ingress at
    // `http://giro.localhost:<its port>` (a name: providers refuse IP addresses), which the
    // sandboxes resolve to where it listens without asking DNS.
    let mut config = giro_stack::StackConfig::new(up.nats.prefix.clone(), None);
    up.ingress_addr = giro_stack::bind_ingress(&mut config, up.ingress_addr)
        .with_context(|| format!("binding the ingress's address {}", up.ingress_addr))?;
    if std::env::var_os("GIRO_INGRESS_PUBLIC_URL").is_none_or(|v| v.is_empty()) {
        let url = up.sandbox.call_back_locally(up.ingress_addr);
        settings.set("GIRO_INGRESS_PUBLIC_URL", url);
    }
    let sandbox = start_sandbox(&mut up, &mut settings).await?;
    let registry = crate::providers::registry(&settings)?;
    // One process: each component on its own connection, all sharing one cache of
    // recent orders, so an order handed from one to the next is not read again.
    let shared = open_log(&up.nats, "giro-up", None).await?;
    let shared = Some(&shared);
    let operators = crate::ops::dev_auth()?;
    let intake = run_intake(
        &up.nats,
        "giro-intake",
        shared,
        &registry,
        operators.verifier()?,
    )
    .await?;
    let logs = ComponentLogs {
        nats: &up.nats,
        shared,
    };
    let metrics_addr = serve_ops(&up.nats, "giro-up-ops", up.metrics_addr).await?;
    config.ingress_process_metrics = false;
    let stack = giro_stack::start(registry.clone(), &logs, &config).await?;
    let projection = if up.no_projection {
        None
    } else {
        let client = up.nats.connect_service("giro-projection").await?;
        let mut config = giro_projection::ProjectionConfig {
            database_url: up.database_url.clone(),
            schema: up.schema.clone(),
            listen: up.projection_addr,
            process_metrics: false,
            // The console and the query API need a viewer's token, as intake needs one for
            // actions: the development keys' (printed above) unless keys are configured. The
            // command line mints its own from the development keys (`crate::api`).
            operators: operators.clone(),
            ..giro_projection::ProjectionConfig::default()
        };
        config.log = up.nats.log_config();
        let handle = giro_projection::start(config, client)
            .await
            .context("starting the projection (use --no-projection without PostgreSQL)")?;
        eprintln!(
            "dashboard and query API on http://{} (/, /v1/payouts, /v1/stats; sign in with a token above)",
            handle.local_addr()
        );
        Some(handle)
    };
    if let Some(ingress) = &stack.ingress {
        let paths: Vec<String> = registry
            .webhook_paths()
            .map(|p| format!("/webhooks/{p}"))
            .collect();
        eprintln!(
            "webhook ingress on {} (POST {})",
            ingress.url(),
            paths.join(", ")
        );
    }
    eprintln!("metrics of the whole process on http://{metrics_addr}/metrics");
    eprintln!(
        "giro is up: commands on {p}.cmd.*, events in stream {s} ({p}.evt.>). Ctrl-C stops.",
        p = up.nats.prefix,
        s = up.nats.stream
    );
    wait_for_shutdown().await;
    intake.stop().await;
    stack.stop().await;
    if let Some(projection) = projection {
        projection.stop().await;
    }
    drop(sandbox);
    Ok(ExitCode::SUCCESS)
}
