//! `giro demo --count N`: sends a mix of orders to a running engine (`giro up`) through intake —
//! every simulator's sample payouts and charges — with amounts whose last two whole digits pick a
//! spread of the sandboxes' scenarios, then follows each order with
//! `giro.query.order.get` until it is final or the wait is over, and prints what became of them.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use futures::StreamExt;
use giro_domain::charge::ChargeStatus;
use giro_domain::payout::PayoutStatus;
use giro_intake::{IntakeClient, Reply};
use giro_sandbox::{Sample, SampleKind as Kind};
use indicatif::ProgressBar;
use serde_json::{Value, json};

use crate::cli::{ClientArgs, parse_duration};

/// Options of `giro demo`.
#[derive(Args, Clone, Debug)]
pub struct DemoArgs {
    /// Orders to send (payouts and a few charges, in a fixed rotation).
    #[arg(long, default_value_t = 10)]
    pub count: usize,
    /// How long to wait for every order to reach a final status.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub wait: Duration,
    #[command(flatten)]
    pub nats: ClientArgs,
}

/// The command body of order `i` of run `run`: the simulators' samples in rotation
/// ([`giro_sandbox::simulator::rotation`]; crates/giro-sandbox/README.md says what each amount
/// does). Each round of the rotation adds 100 to the amount, which keeps its scenario.
fn body(rotation: &[Sample], i: usize, run: &str) -> (Kind, &'static str, Value) {
    let sample = &rotation[i % rotation.len()];
    let round = (i / rotation.len()) as u64;
    let whole = sample.amount + 100 * round;
    let key = format!("demo-{run}-{i}");
    let amount = match sample.kind {
        Kind::Payout => whole.to_string(),
        Kind::Charge => format!("{whole}.00"),
    };
    let mut value = sample.body(&sample.order(&key, &amount, i));
    value["metadata"] = json!({"demo_run": run});
    if sample.kind == Kind::Charge {
        value["description"] = json!(format!("giro demo {i}"));
    }
    (sample.kind, sample.instance, value)
}

/// Whether `status` of an order of `kind` is final.
fn terminal(kind: Kind, status: &str) -> bool {
    match kind {
        Kind::Payout => PayoutStatus::ALL
            .iter()
            .any(|s| s.as_str() == status && s.is_terminal()),
        Kind::Charge => ChargeStatus::ALL
            .iter()
            .any(|s| s.as_str() == status && s.is_terminal()),
    }
}

/// An order the demo sent.
struct Sent {
    kind: Kind,
    provider: &'static str,
    order_id: String,
    status: String,
}

async fn send(client: &IntakeClient, kind: Kind, body: &Value) -> Reply {
    let body = body.to_string();
    match kind {
        Kind::Payout => client.create_payout(body).await,
        Kind::Charge => client.create_charge(body).await,
    }
}

/// Runs `giro demo`: 0 when every order was accepted and is final, 1 otherwise.
pub async fn run(args: &DemoArgs) -> ExitCode {
    let Some(client) = crate::cli::client(&args.nats).await else {
        return ExitCode::from(1);
    };
    let run = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let started = Instant::now();
    println!(
        "giro demo: sending {} orders on {}.cmd.* (keys demo-{run}-*)",
        args.count, args.nats.prefix
    );
    let sending = crate::progress::bar(args.count, "sending  [{bar:30}] {pos}/{len} orders");
    let sent = send_all(&client, args, &run, &sending).await;
    sending.finish_and_clear();
    let Some((mut sent, refused)) = sent else {
        return ExitCode::from(1);
    };
    println!(
        "{} accepted, {} refused in {:.1}s; waiting up to {}s for final statuses",
        sent.len(),
        refused.len(),
        started.elapsed().as_secs_f64(),
        args.wait.as_secs()
    );
    for r in &refused {
        println!("  refused: {r}");
    }
    let waiting = crate::progress::bar(
        sent.len(),
        "following [{bar:30}] {pos}/{len} final, {msg} open, {elapsed}",
    );
    wait_for_final(&client, &mut sent, Instant::now() + args.wait, &waiting).await;
    waiting.finish_and_clear();
    report(args, &sent, &refused, started)
}

/// Sends the demo's orders, the first alone, counting them on `progress`: the accepted ones and
/// why the others were refused; `None` when no engine answers.
async fn send_all(
    client: &IntakeClient,
    args: &DemoArgs,
    run: &str,
    progress: &ProgressBar,
) -> Option<(Vec<Sent>, Vec<String>)> {
    let rotation = giro_sandbox::simulator::rotation();
    let bodies: Vec<_> = (0..args.count).map(|i| body(&rotation, i, run)).collect();
    let mut sent = Vec::with_capacity(args.count);
    let mut refused: Vec<String> = vec![];
    let mut rest = bodies.into_iter();
    // The first alone: when no engine answers, say so once instead of once per order.
    if let Some((kind, provider, body)) = rest.next() {
        let reply = send(client, kind, &body).await;
        if reply.code() == Some(giro_domain::ErrorCode::Unavailable) {
            let message = reply.error.map(|e| e.message).unwrap_or_default();
            progress.suspend(|| {
                eprintln!(
                    "giro: {message} (is `giro up` running with prefix {}?)",
                    args.nats.prefix
                );
            });
            return None;
        }
        progress.inc(1);
        record(kind, provider, reply, &mut sent, &mut refused);
    }
    let replies: Vec<_> = futures::stream::iter(rest)
        .map(|(kind, provider, body)| {
            let client = client.clone();
            async move { (kind, provider, send(&client, kind, &body).await) }
        })
        .buffered(16)
        .inspect(|_| progress.inc(1))
        .collect()
        .await;
    for (kind, provider, reply) in replies {
        record(kind, provider, reply, &mut sent, &mut refused);
    }
    Some((sent, refused))
}

/// Follows the open orders' statuses until every one is final or `deadline` passes, showing how
/// many are final on `progress`.
async fn wait_for_final(
    client: &IntakeClient,
    sent: &mut [Sent],
    deadline: Instant,
    progress: &ProgressBar,
) {
    loop {
        let open: Vec<usize> = (0..sent.len())
            .filter(|&i| !terminal(sent[i].kind, &sent[i].status))
            .collect();
        progress.set_position((sent.len() - open.len()) as u64);
        progress.set_message(open.len().to_string());
        if open.is_empty() || Instant::now() >= deadline {
            break;
        }
        let statuses: Vec<(usize, Option<String>)> = futures::stream::iter(open)
            .map(|i| {
                let client = client.clone();
                let id = sent[i].order_id.clone();
                async move {
                    (
                        i,
                        client
                            .get_order(&id)
                            .await
                            .str("status")
                            .map(str::to_string),
                    )
                }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        for (i, status) in statuses {
            if let Some(status) = status {
                sent[i].status = status;
            }
        }
        if sent.iter().any(|s| !terminal(s.kind, &s.status)) {
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::time::sleep(left.min(Duration::from_millis(500))).await;
        }
    }
}

/// Prints the summary and what is still open or refused; the exit code of the run.
fn report(args: &DemoArgs, sent: &[Sent], refused: &[String], started: Instant) -> ExitCode {
    print!("{}", summary(sent));
    let open: Vec<&Sent> = sent
        .iter()
        .filter(|s| !terminal(s.kind, &s.status))
        .collect();
    for s in &open {
        println!(
            "  still open: {} ({} {}, {})",
            s.order_id,
            s.provider,
            kind_name(s.kind),
            s.status
        );
    }
    println!(
        "demo: {} orders, {} final, {} still open, {} refused; {:.1}s",
        args.count,
        sent.len() - open.len(),
        open.len(),
        refused.len(),
        started.elapsed().as_secs_f64()
    );
    if open.is_empty() && refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn record(
    kind: Kind,
    provider: &'static str,
    reply: Reply,
    sent: &mut Vec<Sent>,
    refused: &mut Vec<String>,
) {
    match (reply.ok, reply.str("order_id")) {
        (true, Some(id)) => sent.push(Sent {
            kind,
            provider,
            order_id: id.to_string(),
            status: reply.str("status").unwrap_or("requested").to_string(),
        }),
        _ => refused.push(match &reply.error {
            Some(e) => format!("{provider} {}: {} {}", kind_name(kind), e.code, e.message),
            None => format!("{provider} {}: a reply without order_id", kind_name(kind)),
        }),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    kind.as_str()
}

/// Counts by provider and status, one line per provider.
fn summary(sent: &[Sent]) -> String {
    let mut by: BTreeMap<(&str, &str), BTreeMap<&str, usize>> = BTreeMap::new();
    for s in sent {
        *by.entry((s.provider, kind_name(s.kind)))
            .or_default()
            .entry(s.status.as_str())
            .or_default() += 1;
    }
    let mut out = String::new();
    for ((provider, kind), statuses) in by {
        let counts: Vec<String> = statuses
            .iter()
            .map(|(status, n)| format!("{status} {n}"))
            .collect();
        out.push_str(&format!(
            "  {provider:<9} {kind:<7} {}\n",
            counts.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use giro_domain::provider::Catalog;

    use super::*;

    #[test]
    fn every_sample_is_a_valid_command_with_a_unique_key() {
        let catalog = Catalog::default();
        let rotation = giro_sandbox::simulator::rotation();
        let mut keys = BTreeSet::new();
        for i in 0..3 * rotation.len() {
            let (kind, provider, body) = body(&rotation, i, "r1");
            assert!(keys.insert(body["idempotency_key"].as_str().unwrap().to_string()));
            assert_eq!(body["provider"], provider);
            let bytes = body.to_string();
            match kind {
                Kind::Payout => {
                    giro_domain::payout::parse_create(bytes.as_bytes())
                        .unwrap_or_else(|e| panic!("order {i}: {e:?}\n{body}"));
                }
                Kind::Charge => {
                    giro_domain::charge::parse_create(bytes.as_bytes(), &catalog)
                        .unwrap_or_else(|e| panic!("order {i}: {e:?}\n{body}"));
                }
            }
        }
        // Another run, other keys.
        let (_, _, other) = body(&rotation, 0, "r2");
        assert!(!keys.contains(other["idempotency_key"].as_str().unwrap()));
    }

    #[test]
    fn rounds_keep_the_scenario_digits() {
        let rotation = giro_sandbox::simulator::rotation();
        for i in 0..rotation.len() {
            let (_, _, first) = body(&rotation, i, "r");
            let (_, _, later) = body(&rotation, i + 2 * rotation.len(), "r");
            let whole = |v: &Value| {
                let a = v["amount"].as_str().unwrap().to_string();
                a.split('.').next().unwrap().parse::<u64>().unwrap()
            };
            assert_eq!(whole(&first) % 100, whole(&later) % 100);
            assert_eq!(whole(&later), whole(&first) + 200);
        }
    }

    #[test]
    fn final_statuses() {
        assert!(terminal(Kind::Payout, "succeeded"));
        assert!(terminal(Kind::Payout, "cancelled"));
        assert!(!terminal(Kind::Payout, "processing"));
        assert!(terminal(Kind::Charge, "paid"));
        assert!(!terminal(Kind::Charge, "pending"));
        assert!(!terminal(Kind::Charge, "bogus"));
    }
}
