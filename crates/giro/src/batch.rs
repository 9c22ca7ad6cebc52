//! `giro batch submit FILE | show ID | cancel ID`: payout batches (CONTRACT.md §1).
//!
//! `submit` checks every line of the file by the payout rules first and sends nothing if any is
//! wrong; then it sends the batch in parts of at most [`PART_BYTES`] (a NATS message holds 1 MB),
//! the first with `giro.cmd.payout_batch.create`, the rest with `add_items`, and follows the batch
//! in the query API until every item is final. A part is idempotent, so a part whose reply was
//! lost is sent again; the same file again is the same batch (its key is the file's digest).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use giro_domain::ErrorCode;
use giro_intake::{IntakeClient, Reply};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::batch_file::{self, Line};
use crate::cli::{ClientArgs, parse_duration, print_reply};

/// The most bytes of items one request carries, below NATS's 1 MB message.
const PART_BYTES: usize = 900 * 1024;

#[derive(Subcommand)]
pub enum BatchCommand {
    /// Check a CSV (header row; nested fields by dots, e.g. beneficiary.first_name) or JSON-lines
    /// file of payouts line by line, send it as one batch, and follow it to the end.
    Submit(SubmitArgs),
    /// A batch's status, totals and its items' counts by status, from the query API.
    Show(ShowArgs),
    /// Cancel every item of a batch that no provider has yet.
    Cancel(CancelArgs),
}

#[derive(Args)]
pub struct SubmitArgs {
    /// The file: `.csv`, or `.jsonl` (one `giro.cmd.payout.create` body a line).
    file: PathBuf,
    /// The batch's idempotency key; by default `batch-` and the file's digest, so the same file
    /// sent again is the same batch.
    #[arg(long)]
    key: Option<String>,
    /// Return once the batch is accepted instead of following it to the end.
    #[arg(long)]
    no_wait: bool,
    /// How long to follow the batch.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    wait: Duration,
    #[command(flatten)]
    api: ApiArgs,
    #[command(flatten)]
    nats: ClientArgs,
}

#[derive(Args)]
pub struct ShowArgs {
    batch_id: String,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Args)]
pub struct CancelArgs {
    batch_id: String,
    #[arg(long)]
    reason: Option<String>,
    #[command(flatten)]
    nats: ClientArgs,
}

#[derive(Args)]
struct ApiArgs {
    /// Base URL of the query API (`giro up` and `giro projection` serve it).
    #[arg(long, env = "GIRO_API_URL", default_value = "http://127.0.0.1:8082")]
    api: String,
}

pub async fn run(command: BatchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BatchCommand::Submit(args) => submit(&args).await,
        BatchCommand::Show(args) => match batch_row(&args.api.api, &args.batch_id).await {
            Ok(row) => {
                crate::cli::out(&format!("{}\n", serde_json::to_string_pretty(&row)?));
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("giro: {e}");
                Ok(ExitCode::from(1))
            }
        },
        BatchCommand::Cancel(args) => Ok(match crate::cli::client(&args.nats).await {
            Some(c) => print_reply(&c.cancel_batch(&args.batch_id, args.reason.as_deref()).await),
            None => ExitCode::from(1),
        }),
    }
}

async fn submit(args: &SubmitArgs) -> anyhow::Result<ExitCode> {
    let lines = batch_file::read(&args.file)?;
    let problems = batch_file::check(&lines);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{p}");
        }
        eprintln!(
            "giro: {} problem(s) in {}; nothing was sent",
            problems.len(),
            args.file.display()
        );
        return Ok(ExitCode::from(1));
    }
    let key = match &args.key {
        Some(k) => k.clone(),
        None => {
            let text: Vec<&str> = lines.iter().map(|l| l.raw.as_str()).collect();
            let digest = giro_domain::wire::fingerprint(&serde_json::json!(text));
            format!("batch-{}", &digest[..24])
        }
    };
    let Some(client) = crate::cli::client(&args.nats).await else {
        return Ok(ExitCode::from(1));
    };
    let bar = crate::progress::bar(lines.len(), "sending {bar:40} {pos}/{len} items {per_sec}");
    let started = Instant::now();
    let mut batch_id = String::new();
    let mut first = 0;
    for part in parts(&lines) {
        let items: Vec<Box<RawValue>> = part
            .iter()
            .map(|l| RawValue::from_string(l.raw.clone()))
            .collect::<Result<_, _>>()?;
        let body = if first == 0 {
            serde_json::json!({"idempotency_key": key, "item_count": lines.len(), "items": items})
        } else {
            serde_json::json!({"batch_id": batch_id, "first_item": first, "items": items})
        };
        let reply = send_part(&client, first == 0, body.to_string()).await;
        if !reply.ok {
            bar.finish_and_clear();
            return Ok(refused(&reply, &lines));
        }
        batch_id = reply.str("batch_id").unwrap_or_default().to_string();
        first += part.len();
        bar.set_position(first as u64);
    }
    bar.finish_and_clear();
    let took = started.elapsed();
    println!(
        "batch {batch_id}: {} payouts accepted in {:.2}s ({:.0}/s)",
        lines.len(),
        took.as_secs_f64(),
        lines.len() as f64 / took.as_secs_f64().max(0.001)
    );
    if args.no_wait {
        return Ok(ExitCode::SUCCESS);
    }
    follow(&args.api.api, &batch_id, lines.len(), args.wait).await
}

/// The lines in parts of at most [`PART_BYTES`] (and at least one line each).
fn parts(lines: &[Line]) -> Vec<&[Line]> {
    let mut parts = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        if size + line.raw.len() > PART_BYTES && i > start {
            parts.push(&lines[start..i]);
            (start, size) = (i, 0);
        }
        size += line.raw.len() + 1;
    }
    if start < lines.len() {
        parts.push(&lines[start..]);
    }
    parts
}

/// Sends one part, again while the engine is unavailable (a part is idempotent).
async fn send_part(client: &IntakeClient, create: bool, body: String) -> Reply {
    let mut tries = 0;
    loop {
        let reply = if create {
            client.create_batch(body.clone()).await
        } else {
            client.add_batch_items(body.clone()).await
        };
        tries += 1;
        if reply.code() != Some(ErrorCode::Unavailable) || tries >= 3 {
            return reply;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Prints a refused part: each item's error by the line it came from.
fn refused(reply: &Reply, lines: &[Line]) -> ExitCode {
    let items = reply.body.get("errors").and_then(Value::as_array);
    for e in items.into_iter().flatten() {
        let line = e["item"]
            .as_u64()
            .and_then(|i| lines.get(i as usize))
            .map_or(0, |l| l.number);
        eprintln!(
            "{}",
            batch_file::describe(
                line,
                e["field"].as_str(),
                e["message"].as_str().unwrap_or("")
            )
        );
    }
    if let Some(error) = &reply.error {
        eprintln!("giro: {}: {}", error.code, error.message);
    }
    ExitCode::from(1)
}

/// Follows the batch until it is completed or cancelled: a bar of its final items, then its
/// counts. 0 when it ends within `wait`, else 1.
async fn follow(
    api: &str,
    batch_id: &str,
    count: usize,
    wait: Duration,
) -> anyhow::Result<ExitCode> {
    let bar = crate::progress::bar(count, "paying  {bar:40} {pos}/{len} final {msg}");
    let deadline = Instant::now() + wait;
    loop {
        if let Ok(row) = batch_row(api, batch_id).await {
            let n = |k: &str| row[k].as_u64().unwrap_or(0);
            bar.set_position(n("succeeded") + n("failed") + n("cancelled"));
            let status = row["status"].as_str().unwrap_or_default();
            if matches!(status, "completed" | "cancelled") {
                bar.finish_and_clear();
                println!(
                    "batch {batch_id}: {status}: {} succeeded, {} failed, {} cancelled, {} in flight",
                    n("succeeded"),
                    n("failed"),
                    n("cancelled"),
                    n("in_flight")
                );
                return Ok(ExitCode::SUCCESS);
            }
        }
        if Instant::now() > deadline {
            bar.finish_and_clear();
            eprintln!(
                "giro: batch {batch_id} is not final after {wait:?}; `giro batch show {batch_id}`"
            );
            return Ok(ExitCode::from(1));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn batch_row(api: &str, batch_id: &str) -> Result<Value, String> {
    let body = crate::api::call(api, Duration::from_secs(10), |http, base| {
        http.get(format!("{base}/v1/batches/{batch_id}"))
    })
    .await?;
    serde_json::from_str(&body).map_err(|e| format!("unreadable answer: {e}"))
}
