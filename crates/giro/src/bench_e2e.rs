//! `giro bench e2e`: payouts from command to terminal state through every component `giro up`
//! runs — intake, executors, the sandboxes' callbacks, the ingress — on a private stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use giro_eventlog::{EVENT_TYPE_HEADER, EventLog, EventLogConfig};
use giro_intake::{Intake, IntakeClient, IntakeConfig};
use giro_sandbox::cashy::{CashyConfig, CashyMerchant};
use giro_sandbox::killb::KillbConfig;
use giro_sandbox::{Sandbox, SandboxConfig, Timing};

use crate::bench::percentiles;

/// The sandbox flags alone, for their credentials (from `GIRO_*` variables and defaults).
#[derive(clap::Parser)]
struct SandboxCredentials {
    #[command(flatten)]
    sandbox: giro_sandbox::cli::SandboxArgs,
}

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

const TERMINAL: [&str; 5] = [
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

async fn measure(args: &E2eBenchArgs, run: &str, config: &EventLogConfig) -> anyhow::Result<()> {
    // Every connection of the run, by component, for the NATS traffic per payout.
    let conns: Arc<Mutex<Vec<(&'static str, async_nats::Client)>>> = Arc::default();
    let connect = |role: &'static str| {
        let conns = conns.clone();
        async move {
            let client = async_nats::connect(&args.nats_url).await?;
            if let Ok(mut c) = conns.lock() {
                c.push((role, client.clone()));
            }
            Ok::<_, async_nats::ConnectError>(client)
        }
    };
    let log = EventLog::open(connect("intake").await?, config.clone()).await?;
    // The sandboxes' credentials, from the same GIRO_* variables the providers read.
    let creds = <SandboxCredentials as clap::Parser>::parse_from(["giro"]).sandbox;
    // The ingress's address first: the sandboxes need it, and the providers need theirs.
    let listen = crate::cli::concrete_addr("127.0.0.1:0".parse()?)?;
    let ingress_url = format!("http://{listen}");
    let mut killb = KillbConfig::new(
        creds.killb_email.clone(),
        creds.killb_password.clone(),
        creds.killb_webhook_secret.clone(),
    );
    killb.webhook_url = Some(format!("{ingress_url}/webhooks/killb"));
    killb.rate_limit = None;
    if let Some(account) = killb.accounts.first_mut() {
        account.id = creds.killb_account.clone();
        account.amount = rust_decimal::Decimal::from(1_000_000_000_000i64);
    }
    let sandbox = Sandbox::start(SandboxConfig {
        killb: Some(killb),
        // Balances for any run length: the defaults (1,000,000,000) pay only ~6,600 of the
        // bench's COP payouts, after which Cashy refuses the rest (`Balance_not_enough`) and they
        // retry with backoff until they give up, which is not what the bench measures.
        cashy: Some(CashyConfig::new(vec![
            CashyMerchant {
                balance: rust_decimal::Decimal::from(1_000_000_000_000_000i64),
                ..CashyMerchant::colombia(
                    creds.cashy_co_merchant.clone(),
                    creds.cashy_co_key.clone(),
                )
            },
            CashyMerchant {
                balance: rust_decimal::Decimal::from(1_000_000_000_000_000i64),
                ..CashyMerchant::tanzania(
                    creds.cashy_tz_merchant.clone(),
                    creds.cashy_tz_key.clone(),
                )
            },
        ])),
        a55: None,
        timing: Timing {
            time_scale: 0.001,
            step_delay: Duration::ZERO,
            reversal_delay: Duration::from_secs(1),
            callback_timeout: Duration::from_secs(5),
        },
        ..SandboxConfig::default()
    })
    .await?;
    let mut settings = giro_providers::Settings::from_env();
    crate::providers::for_sandbox(&mut settings, &sandbox, &creds);
    settings.set("GIRO_INGRESS_PUBLIC_URL", ingress_url);
    // The sandbox here does not rate-limit, so neither does the client: the figure is Giro's.
    settings.set("GIRO_KILLB_RATE_LIMIT", "0");
    let registry = crate::providers::registry(&settings)?;
    // One process, as `giro up` runs it: every component has its own connection and they share
    // the log's cache of recent orders.
    let mut stack_config = giro_stack::StackConfig::new(config.prefix.clone(), None);
    stack_config.max_in_flight = Some(args.executor_in_flight);
    let ingress_log = log.share(connect("ingress").await?).await?;
    let ingress =
        giro_stack::start_ingress(registry.clone(), &ingress_log, &stack_config, listen).await?;
    let mut executors = Vec::new();
    for _ in 0..args.executors.max(1) {
        let log = log.share(connect("executors").await?).await?;
        for (_, executor) in giro_stack::start_payouts(&registry, &log, &stack_config, None).await?
        {
            executors.push(executor);
        }
    }
    let intake_conn = connect("intake").await?;
    let intake = Intake::start(
        intake_conn,
        log.clone(),
        IntakeConfig {
            prefix: config.prefix.clone(),
            catalog: registry.catalog(),
            ..IntakeConfig::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e))?;

    // Watch terminal events as they are stored.
    let done: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let watcher_conn = connect("watcher").await?;
    let mut events = watcher_conn
        .subscribe(format!("{}.evt.payout.>", config.prefix))
        .await?;
    let watched = done.clone();
    let watcher = tokio::spawn(async move {
        while let Some(m) = events.next().await {
            let terminal = m
                .headers
                .as_ref()
                .and_then(|h| h.get(EVENT_TYPE_HEADER))
                .is_some_and(|t| TERMINAL.contains(&t.as_str()));
            if terminal
                && let Some(id) = m.subject.rsplit('.').next()
                && let Ok(mut d) = watched.lock()
            {
                d.entry(id.to_string()).or_insert_with(Instant::now);
            }
        }
    });
    watcher_conn.flush().await?;

    let client = IntakeClient::new(
        connect("client").await?,
        config.prefix.clone(),
        Duration::from_secs(30),
    );
    let conflicts_before = giro_telemetry::metrics::append_conflicts("payout");
    let started = Instant::now();
    let pace = (args.rate > 0).then(|| Duration::from_secs(1) / args.rate);
    let sent: Vec<(Option<String>, Instant, usize)> = futures::stream::iter(0..args.count)
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
        .await;
    let accepted = sent.iter().filter(|(id, _, _)| id.is_some()).count();
    let deadline = Instant::now() + Duration::from_secs(120 + args.count as u64 / 50);
    while done.lock().map(|d| d.len()).unwrap_or(0) < accepted && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let done = done.lock().map(|d| d.clone()).unwrap_or_default();
    let mut latencies = Vec::with_capacity(accepted);
    let mut by_provider: [Vec<Duration>; 3] = Default::default();
    let mut last = started;
    for (id, t, provider) in sent
        .iter()
        .filter_map(|(id, t, p)| id.as_ref().map(|id| (id, t, *p)))
    {
        if let Some(end) = done.get(id) {
            latencies.push(end.duration_since(*t));
            by_provider[provider].push(end.duration_since(*t));
            last = last.max(*end);
        }
    }
    let terminal = latencies.len();
    let elapsed = last.duration_since(started).as_secs_f64().max(f64::EPSILON);
    let (p50, p99, max) = percentiles(latencies);
    let offered = match args.rate {
        0 => "as fast as intake takes them".to_string(),
        rate => format!("offered at {rate}/s"),
    };
    println!(
        "giro bench e2e: intake, {} payout executor process(es), sandboxes with zero latency, ingress; payouts {offered}",
        args.executors.max(1)
    );
    println!(
        "  {} payouts sent ({} accepted), {} terminal in {:.2}s = {:.0} payouts/s; command to terminal p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        args.count,
        accepted,
        terminal,
        elapsed,
        terminal as f64 / elapsed,
        p50,
        p99,
        max
    );
    for (provider, samples) in ["killb", "cashy-co", "cashy-tz"].iter().zip(by_provider) {
        let (p50, p99, max) = percentiles(samples);
        println!("    {provider}: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms");
    }
    // Every accepted payout must have ended: the watcher's view is checked against the log (it
    // sees what is published, which JetStream may still refuse), and a run that left orders
    // open says so and fails. The orders are in the process's cache: no read for most.
    let mut unseen = 0;
    let mut open = Vec::new();
    for id in sent.iter().filter_map(|(id, _, _)| id.as_ref()) {
        let Ok(order_id) = id.parse::<giro_domain::OrderId>() else {
            open.push(id.clone());
            continue;
        };
        let (loaded, _) = log
            .load_cached::<giro_domain::payout::PayoutDecider>(order_id)
            .await?;
        let mut ended = loaded.state.is_some_and(|p| p.status.is_terminal());
        if !ended {
            let loaded = log
                .load::<giro_domain::payout::PayoutDecider>(order_id)
                .await?;
            ended = loaded.state.is_some_and(|p| p.status.is_terminal());
        }
        match (ended, done.contains_key(id)) {
            (true, true) => {}
            (true, false) => unseen += 1,
            (false, _) => open.push(id.clone()),
        }
    }
    if terminal > 0 {
        let mut by_role: Vec<(&str, u64, u64)> = Vec::new();
        for (role, client) in conns.lock().map(|c| c.clone()).unwrap_or_default() {
            let stats = client.statistics();
            let out = stats
                .out_messages
                .load(std::sync::atomic::Ordering::Relaxed);
            let r#in = stats.in_messages.load(std::sync::atomic::Ordering::Relaxed);
            match by_role.iter_mut().find(|(r, _, _)| *r == role) {
                Some(entry) => {
                    entry.1 += out;
                    entry.2 += r#in;
                }
                None => by_role.push((role, out, r#in)),
            }
        }
        let per = |n: u64| n as f64 / terminal as f64;
        // One look at the stream serves both figures: the events it holds, and what the
        // executors' consumer still has pending.
        let stream = log.context().get_stream(&config.stream).await.ok();
        let stored = stream
            .as_ref()
            .map_or(0, |s| s.cached_info().state.messages);
        println!(
            "  events stored per payout: {:.2}; appends that lost a race and were decided again: {:.3} per payout",
            per(stored),
            per(giro_telemetry::metrics::append_conflicts("payout") - conflicts_before)
        );
        if let Some(stream) = &stream
            && let Ok(info) = stream
                .consumer_info(giro_executor::SHARED_PAYOUT_CONSUMER)
                .await
        {
            println!(
                "  executor consumer at the end: {} events waiting on a timer or in a step, {} undelivered",
                info.num_ack_pending, info.num_pending
            );
        }
        let (out, r#in) = by_role
            .iter()
            .fold((0, 0), |(o, i), (_, out, r#in)| (o + out, i + r#in));
        println!(
            "  NATS messages per payout: {:.1} sent, {:.1} received",
            per(out),
            per(r#in)
        );
        for (role, out, r#in) in by_role {
            println!(
                "    {role}: {:.1} sent, {:.1} received",
                per(out),
                per(r#in)
            );
        }
    }
    let summary = sandbox.registry().summary();
    for (provider, p) in &summary.providers {
        println!(
            "  {provider}: {} orders created of {} requests; callbacks {:?}",
            p.orders, p.submissions, p.callbacks
        );
    }
    if unseen > 0 {
        println!(
            "  {unseen} terminal in the log but not seen by the watcher (left out of the figures)"
        );
    }
    watcher.abort();
    intake.stop().await;
    for e in executors {
        e.stop().await;
    }
    ingress.stop().await;
    drop(sandbox);
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
