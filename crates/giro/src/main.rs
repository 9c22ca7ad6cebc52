//! `giro`: every Giro component in one binary (CONTRACT.md §5).

mod bench;
mod bench_e2e;
mod cli;
mod providers;
mod telemetry;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let _telemetry = telemetry::init(cli.command.component());
    match cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("giro: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
