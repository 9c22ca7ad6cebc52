//! `giro routes check FILE [--payout BODY]`: whether a routing rules file fits the configured
//! providers (every error names its rule), and where a payout would go under it, rule by rule.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use giro_domain::payout::{BeneficiarySource, parse_create};
use giro_providers::Settings;
use giro_providers::registry::ROUTES_FILE;

#[derive(Subcommand)]
pub enum RoutesCommand {
    /// Check a routing rules file (`{"rules": [...]}`, as GIRO_ROUTES_FILE takes it) against the
    /// configured providers; with --payout, explain which provider that payout would go to.
    Check(CheckArgs),
}

#[derive(Args)]
pub struct CheckArgs {
    /// The rules file.
    pub file: PathBuf,
    /// A `giro.cmd.payout.create` body (JSON file) to route under the rules.
    #[arg(long)]
    pub payout: Option<PathBuf>,
}

pub fn run(command: RoutesCommand) -> anyhow::Result<ExitCode> {
    let RoutesCommand::Check(args) = command;
    let mut settings = Settings::from_env();
    settings.set(ROUTES_FILE, args.file.to_string_lossy());
    let registry = match giro_providers::Registry::from_settings(&settings) {
        Ok(registry) => registry,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let catalog = registry.catalog();
    println!(
        "{}: {} routing rules fit the configured providers",
        args.file.display(),
        catalog.routes.len()
    );
    let Some(path) = args.payout else {
        return Ok(ExitCode::SUCCESS);
    };
    let body =
        std::fs::read(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let draft = match parse_create(&body) {
        Ok(draft) => draft,
        Err(r) => {
            eprintln!("{}: {r}", path.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    if let Some(named) = &draft.provider {
        println!("the payout names provider {named}: routing rules are not consulted");
        return Ok(ExitCode::SUCCESS);
    }
    let BeneficiarySource::Inline(beneficiary) = &draft.beneficiary else {
        eprintln!(
            "the payout names a registered beneficiary_id; give its details inline to route it here"
        );
        return Ok(ExitCode::FAILURE);
    };
    for line in catalog.explain_route(&draft.money, beneficiary, draft.order_id, None) {
        println!("{line}");
    }
    let routed = catalog
        .route_payout(None, &draft.money, beneficiary, draft.order_id, None)
        .is_ok();
    Ok(if routed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
