//! `giro bench e2e`: payouts from command to terminal state through every component `giro up`
//! runs — intake, executors, the sandboxes' callbacks, the ingress — on a private stream.
//! [`engine`] starts them, [`report`] prints what the run measured.

use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use giro_eventlog::{EventLog, EventLogConfig};
use giro_intake::IntakeClient;

mod engine;
mod report;

use engine::{Connections, Engine};

/// Options of `giro bench e2e`.
#[derive(Args, Debug)]
pub struct E2eBenchArgs {
    /// Payouts to send.
    #[arg(long, default_value_t = 2_000)]
    pub count: usize,
    /// Payouts offered per second, at a steady pace (open loop: latency counts from each
    /// payout's scheduled time, so a late send is not hidden); 0 sends them as fast as intake
    /// takes them, which measures the engine's backlog instead.
    #[arg(long, default_value_t = 1_000)]
    pub rate: u32,
    /// Creates in flight at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Executor processes, each driving every payout provider instance on one shared consumer.
    #[arg(long, default_value_t = 1)]
    pub executors: usize,
    /// Orders each executor process steps at once, per provider instance.
    #[arg(long, default_value_t = 256)]
    pub executor_in_flight: usize,
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
}

pub(crate) const TERMINAL: [&str; 5] = [
    "payout.succeeded",
    "payout.failed",
    "payout.cancelled",
    "payout.reversed",
    "payout.refunded",
];

fn body(i: usize, run: &str) -> String {
    let provider = ["killb", "cashy-co", "cashy-tz"][i % 3];
    let value = match provider {
        "cashy-tz" => serde_json::json!({
            "idempotency_key": format!("e2e-{run}-{i}"), "provider": provider, "amount": "5000", "currency": "TZS",
            "beneficiary": {"rail": "tz_mobile", "name": "Juma Hamisi", "msisdn": "255712345678", "operator": "tigo"}
        }),
        _ => serde_json::json!({
            "idempotency_key": format!("e2e-{run}-{i}"), "provider": provider, "amount": "150000", "currency": "COP",
            "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                             "email": "maria@example.com", "phone": "3001234567",
                             "document": {"type": "CC", "number": "12345678"},
                             "bank_code": "007", "account_number": "123456789", "account_type": "savings" }
        }),
    };
    value.to_string()
}

/// Runs the whole engine on a private stream and measures command-to-terminal throughput.
pub async fn run(args: E2eBenchArgs) -> anyhow::Result<()> {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let config = EventLogConfig {
        stream: format!("GIRO_BENCH_{run}"),
        prefix: format!("bench{run}"),
        ..EventLogConfig::default()
    };
    let streams = [
        config.stream.clone(),
        config.dead_letter_stream(),
        format!("{}_FUNDS", config.stream),
    ];
    let cleanup = crate::bench::delete_streams(&args.nats_url, streams);
    crate::bench::with_cleanup(measure(&args, &run, &config), cleanup).await
}

/// One payout sent: the order id intake answered (none if refused), when it was due, and which
/// of the three provider instances it went to.
pub(crate) type Sent = (Option<String>, Instant, usize);

async fn measure(args: &E2eBenchArgs, run: &str, config: &EventLogConfig) -> anyhow::Result<()> {
    let conns = Connections::new(&args.nats_url);
    let log = EventLog::open(conns.connect("intake").await?, config.clone()).await?;
    let engine = Engine::start(args, config, &log, &conns).await?;
    let (done, watcher) = report::watch_terminal(&conns, &config.prefix).await?;
    let client = IntakeClient::new(
        conns.connect("client").await?,
        config.prefix.clone(),
        Duration::from_secs(30),
    );
    let conflicts_before = giro_telemetry::metrics::append_conflicts("payout");
    let started = Instant::now();
    let sent = send_all(args, &client, run, started).await;
    let accepted = sent.iter().filter(|(id, _, _)| id.is_some()).count();
    let deadline = Instant::now() + Duration::from_secs(120 + args.count as u64 / 50);
    while done.lock().map(|d| d.len()).unwrap_or(0) < accepted && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let done = done.lock().map(|d| d.clone()).unwrap_or_default();
    let terminal = report::latencies(args, &sent, &done, accepted, started);
    let (unseen, open) = report::check_ended(&log, &sent, &done).await?;
    if terminal > 0 {
        report::traffic(&conns, &log, config, terminal, conflicts_before).await;
    }
    report::sandbox(&engine.sandbox, unseen);
    watcher.abort();
    engine.stop().await;
    if !open.is_empty() || accepted < args.count {
        anyhow::bail!(
            "incomplete run: {} of {} payouts refused, {} still open (e.g. {:?})",
            args.count - accepted,
            args.count,
            open.len(),
            open.first()
        );
    }
    Ok(())
}

/// Sends `args.count` payouts, at `args.rate` a second from `started` (or as fast as intake
/// takes them), `args.concurrency` at once.
async fn send_all(
    args: &E2eBenchArgs,
    client: &IntakeClient,
    run: &str,
    started: Instant,
) -> Vec<Sent> {
    let pace = (args.rate > 0).then(|| Duration::from_secs(1) / args.rate);
    futures::stream::iter(0..args.count)
        .map(|i| {
            let client = client.clone();
            let body = body(i, run);
            async move {
                let t = match pace {
                    Some(pace) => {
                        let due = started + pace * u32::try_from(i).unwrap_or(u32::MAX);
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => Instant::now(),
                };
                let reply = client.create_payout(body).await;
                (reply.str("order_id").map(str::to_string), t, i % 3)
            }
        })
        .buffer_unordered(args.concurrency)
        .collect()
        .await
}
