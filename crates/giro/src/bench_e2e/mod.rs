//! `giro bench e2e`: payouts from command to terminal state through every component `giro up`
//! runs — intake, executors, the sandboxes' callbacks, the ingress — on a private stream.
//! [`engine`] starts them, [`report`] prints what the run measured.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use giro_eventlog::{EventLog, EventLogConfig};
use giro_intake::IntakeClient;
use giro_sandbox::Sample;

mod cpu;
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
    /// Replicas of the bench's streams (3 to measure on a clustered NATS, as production runs).
    #[arg(long, env = "GIRO_STREAM_REPLICAS", default_value_t = 1)]
    pub replicas: usize,
}

pub(crate) const TERMINAL: [&str; 5] = [
    "payout.succeeded",
    "payout.failed",
    "payout.cancelled",
    "payout.reversed",
    "payout.refunded",
];

/// The payouts sent round-robin: each payout instance's first sample that succeeds.
fn payouts() -> Vec<Sample> {
    giro_sandbox::simulator::payout_successes()
}

/// Payout `i` of run `run`: sample `i` of `payouts`, round-robin.
fn body(payouts: &[Sample], i: usize, run: &str) -> String {
    let sample = &payouts[i % payouts.len()];
    let key = format!("e2e-{run}-{i}");
    let amount = sample.amount.to_string();
    sample.body(&sample.order(&key, &amount, i)).to_string()
}

/// Runs the whole engine on a private stream and measures command-to-terminal throughput.
pub async fn run(args: E2eBenchArgs) -> anyhow::Result<()> {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let config = EventLogConfig {
        stream: format!("GIRO_BENCH_{run}"),
        prefix: format!("bench{run}"),
        replicas: args.replicas,
        ..EventLogConfig::default()
    };
    let cleanup = crate::bench::delete_streams(&args.nats_url, &config.stream);
    crate::bench::with_cleanup(measure(&args, &run, &config), cleanup).await
}

/// One payout sent: the order id intake answered (none if refused), when it was due, and which
/// of the payout samples (by index) it was.
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
    let cpu_before = cpu::CpuTimes::now();
    let progress = crate::progress::bar(
        args.count,
        "payouts [{bar:30}] {pos}/{len} terminal, {msg} sent, {elapsed}",
    );
    progress.set_message("0");
    let replies = Arc::new(AtomicUsize::new(0));
    let follower = follow(&progress, &done, &replies);
    let started = Instant::now();
    let sent = send_all(args, &client, run, started, &replies).await;
    let accepted = sent.iter().filter(|(id, _, _)| id.is_some()).count();
    let deadline = Instant::now() + Duration::from_secs(120 + args.count as u64 / 50);
    while done.lock().map(|d| d.len()).unwrap_or(0) < accepted && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    follower.abort();
    progress.finish_and_clear();
    let cpu_used = cpu_before.until(&cpu::CpuTimes::now());
    let done = done.lock().map(|d| d.clone()).unwrap_or_default();
    let terminal = report::latencies(args, &sent, &done, accepted, started);
    cpu::print(&cpu_used, terminal);
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

/// Shows on `progress` how many payouts intake answered and the watcher saw end, until
/// aborted.
fn follow(
    progress: &indicatif::ProgressBar,
    done: &Arc<Mutex<report::Seen>>,
    replies: &Arc<AtomicUsize>,
) -> tokio::task::JoinHandle<()> {
    let (progress, done, replies) = (progress.clone(), done.clone(), replies.clone());
    tokio::spawn(async move {
        loop {
            progress.set_message(replies.load(Ordering::Relaxed).to_string());
            if let Ok(d) = done.lock() {
                progress.set_position(d.len() as u64);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}

/// Sends `args.count` payouts, at `args.rate` a second from `started` (or as fast as intake
/// takes them), `args.concurrency` at once, counting the replies in `replies`.
async fn send_all(
    args: &E2eBenchArgs,
    client: &IntakeClient,
    run: &str,
    started: Instant,
    replies: &AtomicUsize,
) -> Vec<Sent> {
    let pace = (args.rate > 0).then(|| Duration::from_secs(1) / args.rate);
    let payouts = payouts();
    futures::stream::iter(0..args.count)
        .map(|i| {
            let client = client.clone();
            let body = body(&payouts, i, run);
            let sample = i % payouts.len();
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
                (reply.str("order_id").map(str::to_string), t, sample)
            }
        })
        .buffer_unordered(args.concurrency)
        .inspect(|_| {
            replies.fetch_add(1, Ordering::Relaxed);
        })
        .collect()
        .await
}
