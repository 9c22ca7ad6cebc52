//! The engine on a three-node JetStream cluster (nats-server 2.12, R3 streams): a few hundred
//! payouts over KillB and both Cashy instances while the leader of the event stream and then the
//! leader of the KillB funds ledger are killed with -9 and restarted. Afterwards every order is
//! terminal, none was created twice at its provider (the sandbox's introspection), every order's
//! versions run 1..=n, and the longest pause between two KillB submissions around each kill is
//! printed and held to 10 s.
//!
//! The servers are the test's own (`GIRO_NATS_SERVER`, else the one `ops/dev` pins, else
//! `nats-server` on PATH if 2.12 or later); without one the test fails saying to run `ops/dev`.

#[path = "cluster/nodes.rs"]
mod nodes;

use std::time::{Duration, Instant};

use async_nats::jetstream;
use chrono::{DateTime, Utc};
use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutStatus};
use giro_domain::{EventMeta, OrderId};
use giro_e2e::{PAYOUT_PROVIDERS, Stack, StackOptions};
use giro_eventlog::ExecuteError;
use giro_sandbox::OrderFilter;
use nodes::Cluster;
use serde_json::json;

const COUNT: usize = 300;
/// Time between two creates: the run lasts about COUNT × PACE plus the outages.
const PACE: Duration = Duration::from_millis(40);
const MAX_KILLB_PAUSE: Duration = Duration::from_secs(10);

/// Creates payout `i` (KillB, Cashy CO, Cashy TZ in turn), retrying while the cluster elects a
/// new leader; an earlier try whose acknowledgement was lost makes a retry a no-op.
async fn create(stack: &Stack, i: usize) -> OrderId {
    let provider = PAYOUT_PROVIDERS[i % 3];
    let key = format!("cluster-{i}");
    let body = match provider {
        "cashy-tz" => json!({
            "idempotency_key": key, "provider": provider, "amount": "5000", "currency": "TZS",
            "beneficiary": {"rail": "tz_mobile", "name": "Juma Hamisi", "msisdn": "255712345678",
                            "operator": "tigo"}
        }),
        _ => json!({
            "idempotency_key": key, "provider": provider, "amount": "150000", "currency": "COP",
            "external_id": key,
            "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                             "email": "maria@example.com", "phone": "3001234567",
                             "document": {"type": "CC", "number": "12345678"},
                             "bank_code": "007", "account_number": "123456789",
                             "account_type": "savings" }
        }),
    };
    let command = giro_domain::payout::parse_create(body.to_string().as_bytes())
        .expect("valid payout")
        .into_command(&stack.registry.catalog(), None)
        .expect("routable payout");
    let id = command.order_id;
    let command = PayoutCommand::Create(Box::new(command));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = stack
            .log
            .log
            .execute::<PayoutDecider>(id, &command, &EventMeta::default(), true)
            .await;
        match done {
            Ok(_) | Err(ExecuteError::Rejected(_)) => return id,
            Err(e) => assert!(Instant::now() < deadline, "payout {i} not stored: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The longest time between two consecutive KillB submissions (`at`, sorted) in the 30 s after
/// `from`, counted from `from` itself when the first came later.
fn longest_pause(at: &[DateTime<Utc>], from: DateTime<Utc>) -> Duration {
    let until = from + chrono::Duration::seconds(30);
    let mut previous = from;
    let mut longest = chrono::Duration::zero();
    for t in at.iter().filter(|t| **t > from && **t < until) {
        longest = longest.max(*t - previous);
        previous = *t;
    }
    longest.to_std().unwrap_or_default()
}

/// One leader killed: which node, when, and (once known) how long its stream took to elect
/// another.
struct Kill {
    node: String,
    at: DateTime<Utc>,
    election: Option<tokio::task::JoinHandle<Duration>>,
}

impl Kill {
    /// Kills `stream`'s leader once its replicas are all current, and starts timing the election.
    async fn leader_of(cluster: &mut Cluster, js: &jetstream::Context, stream: &str) -> Kill {
        let node = cluster.settled_leader(js, stream).await;
        cluster.kill(&node);
        let quick = jetstream::ContextBuilder::new()
            .timeout(Duration::from_millis(500))
            .build(js.client());
        let election = Cluster::elected(quick, stream.into(), node.clone(), Instant::now());
        Kill {
            node,
            at: Utc::now(),
            election: Some(tokio::spawn(election)),
        }
    }

    async fn election(&mut self) -> Duration {
        match self.election.take() {
            Some(timing) => timing.await.expect("election timed"),
            None => Duration::ZERO,
        }
    }
}

/// What the run did to the cluster, for the pause figures.
struct Kills {
    events: Kill,
    funds: Kill,
}

/// Creates the payouts, killing the event stream's leader after a quarter of them and restarting
/// it a sixth later, then the same for the funds ledger's leader once the streams have settled.
async fn run(stack: &Stack, cluster: &mut Cluster) -> (Vec<OrderId>, Kills) {
    let js = stack.log.log.context().clone();
    let events = stack.log.config.stream.clone();
    let funds = format!("{events}_FUNDS");
    let mut ids = Vec::with_capacity(COUNT);
    for i in 0..COUNT / 4 {
        ids.push(create(stack, i).await);
        tokio::time::sleep(PACE).await;
    }
    let events_kill = Kill::leader_of(cluster, &js, &events).await;
    for i in COUNT / 4..COUNT / 2 + COUNT / 12 {
        if i == COUNT / 4 + COUNT / 6 {
            cluster.restart(&events_kill.node);
        }
        ids.push(create(stack, i).await);
        tokio::time::sleep(PACE).await;
    }
    // Both streams current on all three nodes again before the next kill.
    cluster.settled_leader(&js, &events).await;
    let funds_kill = Kill::leader_of(cluster, &js, &funds).await;
    for i in COUNT / 2 + COUNT / 12..COUNT {
        if i == COUNT / 2 + COUNT / 12 + COUNT / 6 {
            cluster.restart(&funds_kill.node);
        }
        ids.push(create(stack, i).await);
        tokio::time::sleep(PACE).await;
    }
    let kills = Kills {
        events: events_kill,
        funds: funds_kill,
    };
    (ids, kills)
}

/// The event stream, its dead letters and the funds ledger are each on all three nodes.
async fn assert_replicated(stack: &Stack) {
    let js = stack.log.log.context();
    let events = &stack.log.config.stream;
    for stream in [
        events.clone(),
        format!("{events}_FUNDS"),
        format!("{events}_DLQ"),
    ] {
        let info = js.get_stream(&stream).await.expect("stream");
        assert_eq!(info.cached_info().config.num_replicas, 3, "stream {stream}");
    }
}

/// Every order ended, was created once at its provider and has versions 1..=n.
async fn assert_paid_once(stack: &Stack, ids: &[OrderId], statuses: &[PayoutStatus]) {
    let stuck: Vec<_> = ids
        .iter()
        .zip(statuses)
        .filter(|(_, s)| !s.is_terminal())
        .collect();
    assert!(
        stuck.is_empty(),
        "{} orders not terminal: {stuck:?}",
        stuck.len()
    );
    let summary = stack.sandbox.registry().summary();
    assert!(summary.at_most_once, "submitted twice: {summary:?}");
    assert!(summary.exactly_once, "sent and never created: {summary:?}");
    assert_eq!(summary.orders as usize, COUNT, "{summary:?}");
    for id in ids {
        stack.assert_gapless(*id).await;
    }
}

/// When KillB received each payout, oldest first (the sandbox's introspection).
fn killb_submissions(stack: &Stack) -> Vec<DateTime<Utc>> {
    let filter = OrderFilter {
        provider: Some("killb".into()),
        ..OrderFilter::default()
    };
    let mut at: Vec<DateTime<Utc>> = stack
        .sandbox
        .registry()
        .orders(&filter)
        .into_iter()
        .map(|report| report.order.created_at)
        .collect();
    at.sort();
    at
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_stream_leaders_of_a_three_node_cluster_loses_nothing_and_pays_once() {
    let started = Instant::now();
    let mut cluster = Cluster::start();
    let probe = giro_eventlog::server::connect(&cluster.url(), Default::default())
        .await
        .expect("the cluster answers");
    cluster.wait_ready(probe).await;
    let stack = Stack::start(StackOptions {
        nats_url: Some(cluster.url()),
        replicas: 3,
        seed: 16,
        ..StackOptions::default()
    })
    .await;
    assert_replicated(&stack).await;
    let (ids, mut kills) = run(&stack, &mut cluster).await;
    let created = started.elapsed();
    let statuses = stack
        .wait_for(&ids, Duration::from_secs(60), |s| s.is_terminal())
        .await;
    assert_paid_once(&stack, &ids, &statuses).await;
    let killb = killb_submissions(&stack);
    let events_pause = longest_pause(&killb, kills.events.at);
    let funds_pause = longest_pause(&killb, kills.funds.at);
    let (events_election, funds_election) =
        (kills.events.election().await, kills.funds.election().await);
    eprintln!(
        "cluster: {COUNT} payouts created in {:.1}s, all terminal after {:.1}s; KillB paused \
         {:.2}s after the event stream's leader {} was killed (new leader elected after \
         {:.2}s), {:.2}s after the funds ledger's leader {} was killed (new leader after {:.2}s)",
        created.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        events_pause.as_secs_f64(),
        kills.events.node,
        events_election.as_secs_f64(),
        funds_pause.as_secs_f64(),
        kills.funds.node,
        funds_election.as_secs_f64(),
    );
    assert!(
        events_pause.max(funds_pause) <= MAX_KILLB_PAUSE,
        "KillB paused for more than {MAX_KILLB_PAUSE:?}"
    );
}
