//! What `giro bench e2e` prints: throughput and latency from each payout's due time to its
//! terminal event, whether every accepted payout ended (checked against the log), the NATS
//! traffic and stored events per payout, and what the sandboxes saw.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::StreamExt;
use giro_eventlog::{EVENT_TYPE_HEADER, EventLog, EventLogConfig};

use super::engine::Connections;
use super::{E2eBenchArgs, Sent, TERMINAL};
use crate::bench::percentiles;

/// When each payout's terminal event was seen, by order id.
pub(super) type Seen = HashMap<String, Instant>;

/// Watches terminal events as they are stored (a core subscription: it also sees publishes that
/// JetStream refuses, which [`check_ended`] catches).
pub(super) async fn watch_terminal(
    conns: &Connections,
    prefix: &str,
) -> anyhow::Result<(Arc<Mutex<Seen>>, tokio::task::JoinHandle<()>)> {
    let done: Arc<Mutex<Seen>> = Arc::default();
    let conn = conns.connect("watcher").await?;
    let mut events = conn.subscribe(format!("{prefix}.evt.payout.>")).await?;
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
    conn.flush().await?;
    Ok((done, watcher))
}

/// Prints payouts/s and latency percentiles, overall and by provider instance; the number of
/// payouts seen to end.
pub(super) fn latencies(
    args: &E2eBenchArgs,
    sent: &[Sent],
    done: &Seen,
    accepted: usize,
    started: Instant,
) -> usize {
    let mut latencies = Vec::with_capacity(accepted);
    let payouts = super::payouts();
    let mut by_provider: Vec<Vec<std::time::Duration>> = vec![Vec::new(); payouts.len()];
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
        "giro bench e2e: intake, {} payout executor process(es), sandboxes with zero latency, ingress; payouts {offered}; streams R{}",
        args.executors.max(1),
        args.replicas
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
    for (payout, samples) in payouts.iter().zip(by_provider) {
        let (p50, p99, max) = percentiles(samples);
        let provider = payout.instance;
        println!("    {provider}: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms");
    }
    terminal
}

/// Every accepted payout must have ended: the watcher's view is checked against the log. The
/// orders are in the process's cache: no read for most. Returns how many ended unseen by the
/// watcher, and the ids of those still open.
pub(super) async fn check_ended(
    log: &EventLog,
    sent: &[Sent],
    done: &Seen,
) -> anyhow::Result<(usize, Vec<String>)> {
    use giro_domain::payout::PayoutDecider;
    let mut unseen = 0;
    let mut open = Vec::new();
    for id in sent.iter().filter_map(|(id, _, _)| id.as_ref()) {
        let Ok(order_id) = id.parse::<giro_domain::OrderId>() else {
            open.push(id.clone());
            continue;
        };
        let (loaded, _) = log.load_cached::<PayoutDecider>(order_id).await?;
        let mut ended = loaded.state.is_some_and(|p| p.status.is_terminal());
        if !ended {
            let loaded = log.load::<PayoutDecider>(order_id).await?;
            ended = loaded.state.is_some_and(|p| p.status.is_terminal());
        }
        match (ended, done.contains_key(id)) {
            (true, true) => {}
            (true, false) => unseen += 1,
            (false, _) => open.push(id.clone()),
        }
    }
    Ok((unseen, open))
}

/// NATS messages by component, events stored and lost append races, per terminal payout; and
/// what the executors' consumer still has pending.
pub(super) async fn traffic(
    conns: &Connections,
    log: &EventLog,
    config: &EventLogConfig,
    terminal: usize,
    conflicts_before: u64,
) {
    let mut by_role: Vec<(&str, u64, u64)> = Vec::new();
    for (role, client) in conns.all.lock().map(|c| c.clone()).unwrap_or_default() {
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

/// What each sandbox saw, and the payouts that ended unseen by the watcher.
pub(super) fn sandbox(sandbox: &giro_sandbox::Sandbox, unseen: usize) {
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
}
