//! Command-line interface and configuration (flags with environment fallbacks).

mod args;
mod components;
mod up;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use args::*;
use components::{ComponentLogs, run_executor, run_intake, serve_ops, wait_for_shutdown};
pub(crate) use components::{client, connect, out, print_reply};

use crate::bench;
use crate::orders::{BeneficiaryCommand, ChargeCommand, PayoutCommand};

#[derive(Parser)]
#[command(
    name = "giro",
    version,
    about = "Giro: an event-sourced payout engine on NATS JetStream"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run every component in one process, with the provider sandboxes.
    Up(UpArgs),
    /// Run the giro-intake NATS micro service.
    Intake(IntakeArgs),
    /// Run the executor of one provider instance (any number may run side by side).
    Executor(ExecutorArgs),
    /// Run the webhook ingress (POST /webhooks/<provider>).
    Ingress(IngressArgs),
    /// Run the notifications out: a notification per status change on NATS, and the webhooks
    /// of GIRO_WEBHOOKS_FILE (any number may run side by side).
    Notify(NotifyArgs),
    /// Run the PostgreSQL projection: read models, query API, dashboard (`rebuild` to rebuild).
    Projection(ProjectionCli),
    /// Run the provider simulators (scenarios and faults: see --help).
    Sandbox(giro_sandbox::cli::SandboxArgs),
    /// Create, show, list and cancel payouts.
    #[command(subcommand)]
    Payout(PayoutCommand),
    /// Submit a file of payouts as one batch, show a batch, cancel it.
    #[command(subcommand)]
    Batch(crate::batch::BatchCommand),
    /// Create, show, list, cancel, capture and refund charges.
    #[command(subcommand)]
    Charge(ChargeCommand),
    /// Register, show and list beneficiaries (accounts at the provider that keeps them).
    #[command(subcommand)]
    Beneficiary(BeneficiaryCommand),
    /// A provider instance's administrative actions: listed, or run (`name=value` arguments),
    /// printed as JSON.
    Provider(crate::provider_admin::ProviderArgs),
    /// Send a mix of payouts and charges to a running engine and wait for their outcomes.
    Demo(crate::demo::DemoArgs),
    /// A provider instance's settlement day (--provider P --date D), or a provider statement
    /// matched line by line (--statement FILE), its differences recorded on their orders.
    Reconcile(crate::reconcile::ReconcileArgs),
    /// Routing rules: check a file, explain where a payout would go.
    #[command(subcommand)]
    Routes(crate::routes::RoutesCommand),
    /// Measure components against the local NATS.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// GET a health endpoint; exit 0 on a 2xx answer (container health checks).
    Probe(crate::probe::ProbeArgs),
    /// List the dead-lettered webhooks, and send one again.
    #[command(subcommand)]
    Webhooks(crate::webhooks::WebhooksCommand),
    /// A person's actions on a payout (resolve, retry, release, cancel, note, replay a dead
    /// letter) with the operator's token; `token` mints a development one.
    #[command(subcommand)]
    Ops(crate::ops::OpsCommand),
}

impl Command {
    /// The component name used in telemetry.
    pub fn component(&self) -> &'static str {
        match self {
            Command::Up(_) => "up",
            Command::Intake(_) => "intake",
            Command::Sandbox(_) => "sandbox",
            Command::Executor(_) => "executor",
            Command::Ingress(_) => "ingress",
            Command::Notify(_) => "notify",
            Command::Projection(_) => "projection",
            Command::Payout(_)
            | Command::Batch(_)
            | Command::Charge(_)
            | Command::Beneficiary(_)
            | Command::Provider(_)
            | Command::Demo(_)
            | Command::Reconcile(_)
            | Command::Routes(_)
            | Command::Probe(_)
            | Command::Webhooks(_)
            | Command::Ops(_) => "cli",
            Command::Bench(_) => "bench",
        }
    }
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Creates/s and reply latency of one intake instance, and order rebuild latency.
    Intake(bench::IntakeBenchArgs),
    /// Payouts/s and command-to-terminal latency through every component.
    E2e(crate::bench_e2e::E2eBenchArgs),
    /// Projection catch-up speed (events/s) over a private stream and schema.
    Projection(giro_projection::bench::BenchArgs),
}

/// `giro projection [rebuild]`.
#[derive(Args, Clone, Debug)]
pub struct ProjectionCli {
    #[command(subcommand)]
    pub action: Option<ProjectionAction>,
    #[command(flatten)]
    pub args: giro_projection::ProjectionArgs,
}

#[derive(Subcommand, Clone, Debug)]
pub enum ProjectionAction {
    /// Rebuild the read models from stream sequence 1 (into a shadow schema, then swapped in).
    Rebuild,
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Up(up) => up::up(up).await,
        Command::Sandbox(args) => {
            giro_sandbox::cli::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Executor(args) => {
            let executors = run_executor(&args).await?;
            serve_ops(&args.nats, "giro-executor-ops", args.metrics_addr).await?;
            wait_for_shutdown().await;
            for executor in executors {
                executor.stop().await;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingress(args) => {
            let registry = crate::providers::registry(&giro_providers::Settings::from_env())?;
            let logs = ComponentLogs {
                nats: &args.nats,
                shared: None,
            };
            let config = giro_stack::StackConfig::new(args.nats.prefix.clone(), None);
            let ingress = giro_stack::start_ingress(registry, &logs, &config, args.listen).await?;
            eprintln!("webhook ingress on {}", ingress.url());
            wait_for_shutdown().await;
            ingress.stop().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Notify(args) => {
            let logs = ComponentLogs {
                nats: &args.nats,
                shared: None,
            };
            let notify = giro_stack::start_notify(&logs, None).await?;
            serve_ops(&args.nats, "giro-notify-ops", args.metrics_addr).await?;
            eprintln!(
                "notifications on {}.notify.v1.<kind>.<status>; webhooks of GIRO_WEBHOOKS_FILE",
                args.nats.prefix
            );
            wait_for_shutdown().await;
            notify.stop().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Projection(ProjectionCli { action, args }) => {
            let options = async_nats::ConnectOptions::new()
                .name("giro-projection")
                .retry_on_initial_connect();
            let client = giro_eventlog::server::connect(&args.nats_url, options).await?;
            match action {
                None => {
                    giro_projection::run(args.config(), client, wait_for_shutdown()).await?;
                }
                Some(ProjectionAction::Rebuild) => {
                    let summary = giro_projection::rebuild(&args.config(), client).await?;
                    println!("{summary}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Intake(args) => {
            let registry = crate::providers::registry(&giro_providers::Settings::from_env())?;
            let operators = giro_auth::AuthConfig::from_env().verifier()?;
            let intake = run_intake(&args.nats, "giro-intake", None, &registry, operators).await?;
            serve_ops(&args.nats, "giro-intake-ops", args.metrics_addr).await?;
            wait_for_shutdown().await;
            intake.stop().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Payout(command) => crate::orders::payout(command).await,
        Command::Batch(command) => crate::batch::run(command).await,
        Command::Charge(command) => crate::orders::charge(command).await,
        Command::Beneficiary(command) => crate::orders::beneficiary(command).await,
        Command::Provider(args) => crate::provider_admin::run(&args).await,
        Command::Demo(args) => Ok(crate::demo::run(&args).await),
        Command::Reconcile(args) => crate::reconcile::run(&args).await,
        Command::Probe(args) => Ok(crate::probe::run(&args).await),
        Command::Routes(command) => crate::routes::run(command),
        Command::Webhooks(command) => crate::webhooks::run(command).await,
        Command::Ops(command) => crate::ops::run(command).await,
        Command::Bench(BenchCommand::E2e(args)) => {
            crate::bench_e2e::run(args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Projection(args)) => {
            giro_projection::bench::catch_up(&args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Intake(args)) => {
            bench::intake(args).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
