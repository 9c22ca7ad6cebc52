//! `giro`: every Giro component in one binary (CONTRACT.md §5).

mod api;
mod batch;
mod batch_file;
mod bench;
mod bench_e2e;
mod cli;
mod demo;
mod list;
mod ops;
mod orders;
mod probe;
mod progress;
mod provider_admin;
mod providers;
mod reconcile;
mod routes;
mod show;
mod webhooks;

use clap::Parser;

/// Giro allocates and frees many small, short-lived values per event (envelopes, headers, JSON);
/// mimalloc does that with less CPU and less fragmentation than the system allocator
/// (`giro bench e2e` measures the difference).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // reqwest is built with `rustls-no-provider`: the process picks TLS's crypto provider, before
    // any client is built (the OTLP exporter's is the first).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = cli::Cli::parse();
    let component = cli.command.component();
    let _telemetry = giro_telemetry::init(component, matches!(component, "cli" | "bench"));
    match cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("giro: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
