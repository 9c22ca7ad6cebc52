//! `giro bench`: throughput and latency figures, printed, never asserted (the machine is shared).

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use giro_domain::payout::{
    PayoutCommand, PayoutDecider, ProviderReport, ReportSource, ReportedOutcome,
};
use giro_domain::{EventMeta, OrderId};
use giro_eventlog::{EventLog, EventLogConfig};
use giro_intake::{Intake, IntakeClient, IntakeConfig};

/// Options of `giro bench intake`.
#[derive(Args, Debug)]
pub struct IntakeBenchArgs {
    /// Payout creates to send.
    #[arg(long, default_value_t = 20_000)]
    pub count: usize,
    /// Creates in flight at once. Replies queue behind one another above a few dozen (on two
    /// cores, 256 in flight gives the most creates/s but ~20 ms p99 of waiting in line).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Orders of 10 events each to build for the rebuild measurement.
    #[arg(long, default_value_t = 200)]
    pub rebuild_orders: usize,
    /// Rebuilds to time.
    #[arg(long, default_value_t = 5_000)]
    pub rebuilds: usize,
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// Replicas of the bench's streams (3 to measure on a clustered NATS, as production runs).
    #[arg(long, env = "GIRO_STREAM_REPLICAS", default_value_t = 1)]
    pub replicas: usize,
}

/// Latency percentiles of a sample, in milliseconds.
pub fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    if samples.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    samples.sort_unstable();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99), at(1.0))
}

fn payout_body(i: usize, run: &str) -> String {
    serde_json::json!({
        "idempotency_key": format!("bench-{run}-{i}"),
        "amount": "150000",
        "currency": "COP",
        "external_id": format!("b{i}"),
        "beneficiary": {
            "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
            "email": "maria@example.com", "phone": "3001234567",
            "document": {"type": "CC", "number": "12345678"},
            "bank_code": "007", "account_number": "123456789", "account_type": "savings"
        }
    })
    .to_string()
}

/// Runs one intake instance on a private stream, measures creates and rebuilds, deletes the stream.
pub async fn intake(args: IntakeBenchArgs) -> anyhow::Result<()> {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let config = EventLogConfig {
        stream: format!("GIRO_BENCH_{run}"),
        prefix: format!("bench{run}"),
        replicas: args.replicas,
        ..EventLogConfig::default()
    };
    let service_conn = connect(&args.nats_url).await?;
    let log = EventLog::open(service_conn.clone(), config.clone()).await?;
    let handle = Intake::start(
        service_conn,
        log.clone(),
        IntakeConfig {
            prefix: config.prefix.clone(),
            ..IntakeConfig::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e))?;
    let cleanup = async {
        handle.stop().await;
        delete_streams(&args.nats_url, &config.stream).await;
    };
    with_cleanup(measure(&args, &run, &config, &log), cleanup).await
}

/// Runs `measure`, then `cleanup` whatever came of it, a panic included (`println!` panics once
/// stdout is closed, e.g. piped into `head`), so that a bench never leaves its streams behind.
pub async fn with_cleanup<T>(
    measure: impl std::future::Future<Output = anyhow::Result<T>>,
    cleanup: impl std::future::Future<Output = ()>,
) -> anyhow::Result<T> {
    use futures::FutureExt;
    let outcome = std::panic::AssertUnwindSafe(measure).catch_unwind().await;
    cleanup.await;
    match outcome {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// A connection to the servers of `nats_url` (one URL or a list), refusing a server older than
/// Giro needs.
pub async fn connect(
    nats_url: &str,
) -> Result<async_nats::Client, giro_eventlog::server::ConnectError> {
    giro_eventlog::server::connect(nats_url, async_nats::ConnectOptions::new()).await
}

/// Deletes a bench's private event stream `stream` and every stream provisioned beside it (dead
/// letters, funds, schedules, audit, the key and bank buckets).
pub async fn delete_streams(nats_url: &str, stream: &str) {
    let client = match connect(nats_url).await {
        Ok(client) => client,
        Err(e) => {
            eprintln!("giro bench: cannot delete the bench's streams: {e}");
            return;
        }
    };
    let js = async_nats::jetstream::new(client);
    giro_eventlog::provision::delete_with_derived(&js, stream).await;
}

async fn measure(
    args: &IntakeBenchArgs,
    run: &str,
    config: &EventLogConfig,
    log: &EventLog,
) -> anyhow::Result<()> {
    let client = IntakeClient::new(
        connect(&args.nats_url).await?,
        config.prefix.clone(),
        Duration::from_secs(10),
    );
    let bodies: Arc<Vec<String>> = Arc::new((0..args.count).map(|i| payout_body(i, run)).collect());
    // Warm up connections and the stream.
    for i in 0..50.min(args.count) {
        client.create_payout(bodies[i].clone()).await;
    }
    let progress = crate::progress::bar(
        args.count,
        "creates  [{bar:30}] {pos}/{len}, {per_sec}, {elapsed}",
    );
    let started = Instant::now();
    let results: Vec<(Duration, bool)> = futures::stream::iter(0..args.count)
        .map(|i| {
            let client = client.clone();
            let bodies = bodies.clone();
            async move {
                let t = Instant::now();
                let reply = client.create_payout(bodies[i].clone()).await;
                (t.elapsed(), reply.ok)
            }
        })
        .buffer_unordered(args.concurrency)
        .inspect(|_| progress.inc(1))
        .collect()
        .await;
    let elapsed = started.elapsed();
    progress.finish_and_clear();
    let failed = results.iter().filter(|(_, ok)| !ok).count();
    let (p50, p99, max) = percentiles(results.into_iter().map(|(d, _)| d).collect());
    println!(
        "giro bench intake: one intake instance, concurrency {}, stream R{}",
        args.concurrency, args.replicas
    );
    println!(
        "  creates: {} in {:.2}s = {:.0} creates/s, {} failed; reply latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        args.count,
        elapsed.as_secs_f64(),
        args.count as f64 / elapsed.as_secs_f64(),
        failed,
        p50,
        p99,
        max
    );
    rebuilds(args, run, log).await
}

/// Builds orders of exactly 10 events, then times loading and folding them.
async fn rebuilds(args: &IntakeBenchArgs, run: &str, log: &EventLog) -> anyhow::Result<()> {
    let meta = EventMeta {
        correlation_id: "bench".into(),
        causation_id: None,
    };
    let mut ids = Vec::with_capacity(args.rebuild_orders);
    let progress = crate::progress::bar(
        args.rebuild_orders,
        "orders   [{bar:30}] {pos}/{len} of 10 events written, {elapsed}",
    );
    for i in 0..args.rebuild_orders {
        let draft = giro_domain::payout::parse_create(payout_body(i, run).as_bytes())
            .map_err(|r| anyhow::anyhow!("{r}"))?;
        let id: OrderId = draft.order_id;
        let create = draft
            .into_command(&giro_domain::provider::Catalog::default(), None)
            .map_err(|r| anyhow::anyhow!("{r}"))?;
        let mut commands = vec![
            PayoutCommand::Create(Box::new(create)),
            PayoutCommand::StartSubmission,
            PayoutCommand::RecordSubmitted {
                attempt: 1,
                provider_ref: Some(format!("P{i}")),
                raw_status: None,
            },
        ];
        for n in 0..5 {
            commands.push(PayoutCommand::RecordReport(report(
                i,
                n,
                ReportedOutcome::InFlight,
            )));
        }
        commands.push(PayoutCommand::RecordReport(report(
            i,
            6,
            ReportedOutcome::Succeeded,
        )));
        for command in &commands {
            log.execute::<PayoutDecider>(id, command, &meta, false)
                .await?;
        }
        ids.push(id);
        progress.inc(1);
    }
    progress.finish_and_clear();
    let events = log.load::<PayoutDecider>(ids[0]).await?.events.len();
    // Cold: every event read from the stream, as a process that never saw the order. Cached: the
    // fold a process keeps of orders it recently touched, read on from its last sequence (one
    // round trip confirming nothing is newer).
    for cold in [true, false] {
        let mut samples = Vec::with_capacity(args.rebuilds);
        let progress = crate::progress::bar(
            args.rebuilds,
            "rebuilds [{bar:30}] {pos}/{len}, {per_sec}, {elapsed}",
        );
        let started = Instant::now();
        for n in 0..args.rebuilds {
            let id = ids[n % ids.len()];
            let t = Instant::now();
            let order = if cold {
                log.load_from_start::<PayoutDecider>(id).await?
            } else {
                log.load::<PayoutDecider>(id).await?
            };
            samples.push(t.elapsed());
            std::hint::black_box(order);
            progress.inc(1);
        }
        let elapsed = started.elapsed();
        progress.finish_and_clear();
        let (p50, p99, max) = percentiles(samples);
        println!(
            "  rebuilds ({}): {} of {events}-event orders in {:.2}s = {:.0}/s; p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            if cold {
                "from the stream"
            } else {
                "cached fold, read on"
            },
            args.rebuilds,
            elapsed.as_secs_f64(),
            args.rebuilds as f64 / elapsed.as_secs_f64(),
            p50,
            p99,
            max
        );
    }
    Ok(())
}

fn report(order: usize, n: usize, outcome: ReportedOutcome) -> ProviderReport {
    ProviderReport {
        source: ReportSource::Webhook,
        raw_status: if outcome == ReportedOutcome::Succeeded {
            "SUCCESS"
        } else {
            "PAYING"
        }
        .into(),
        outcome,
        report_id: format!("r{order}-{n}"),
        provider_ref: None,
        reason: None,
        fee: None,
        attempt: None,
        amount: None,
        completed_at: None,
        channel_ref: None,
        reported_at: None,
    }
}
