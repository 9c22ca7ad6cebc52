//! `giro webhooks dead-letters` and `giro webhooks replay <sequence>`: the webhooks whose
//! endpoint did not take them within the retry horizon, and sending one again once the
//! endpoint works (CONTRACT.md §2, "Dead letters").

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use giro_notify::NotifyConfig;
use giro_notify::dead_letters;

use crate::cli::NatsArgs;

#[derive(Subcommand)]
pub enum WebhooksCommand {
    /// List the dead-lettered webhooks, oldest first: sequence, when, subscription, webhook id,
    /// attempts and the last error.
    DeadLetters {
        #[command(flatten)]
        nats: NatsArgs,
    },
    /// Queue a dead-lettered webhook again (its retries start afresh) and remove the dead letter.
    Replay {
        /// The dead letter's sequence, as `giro webhooks dead-letters` lists it.
        sequence: u64,
        #[command(flatten)]
        nats: NatsArgs,
    },
}

pub async fn run(command: WebhooksCommand) -> anyhow::Result<ExitCode> {
    let nats = match &command {
        WebhooksCommand::DeadLetters { nats } | WebhooksCommand::Replay { nats, .. } => nats,
    };
    let options = async_nats::ConnectOptions::new()
        .name("giro-cli")
        .connection_timeout(Duration::from_secs(5));
    let client = giro_eventlog::server::connect(&nats.nats_url, options).await?;
    let js = async_nats::jetstream::new(client);
    let config = NotifyConfig::new(nats.log_config());
    match command {
        WebhooksCommand::DeadLetters { .. } => {
            let found = dead_letters::list(&js, &config).await?;
            if found.is_empty() {
                println!("no webhook dead letters");
            }
            for d in found {
                println!(
                    "{}\t{}\t{}\t{}\t{} attempts\t{}",
                    d.sequence,
                    d.dead_lettered_at.to_rfc3339(),
                    d.subscription,
                    d.webhook_id,
                    d.attempts,
                    d.reason
                );
            }
        }
        WebhooksCommand::Replay { sequence, .. } => {
            let d = dead_letters::replay(&js, &config, sequence).await?;
            println!(
                "webhook {} queued again for subscription {} (dead letter {sequence} removed)",
                d.webhook_id, d.subscription
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
