//! ops/RUNBOOK.md names only what exists: every stream, consumer and subject it mentions is one the
//! code provisions or serves (checked on a provisioned test stream and a running intake), and
//! every variable is read by the code (or, for the NATS passwords, by ops/nats/nats-server.conf).
//! That every `giro …` command and flag it runs exists is checked against the binary by
//! crates/giro/tests/cli.rs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use giro_domain::provider::Catalog;
use giro_domain::{OrderId, OrderKind, ProviderId, Secret};
use giro_eventlog::test_support::TestLog;
use giro_executor::ExecutorConfig;
use giro_providers::killb::{KillbClient, KillbConfig};
use giro_sandbox::killb::defaults::{
    ACCOUNT as KILLB_ACCOUNT, EMAIL as KILLB_EMAIL, PASSWORD as KILLB_PASSWORD,
    WEBHOOK_SECRET as KILLB_SECRET,
};
use serde_json::Value;

const PREFIX: &str = "giro";
const STREAM: &str = "GIRO_EVENTS";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn runbook() -> String {
    std::fs::read_to_string(repo().join("ops/RUNBOOK.md")).expect("ops/RUNBOOK.md")
}

/// Maximal runs of `allowed` characters starting with `start` (placeholders like `<id>` included
/// when `<` and `>` are allowed).
fn words(text: &str, start: &str, allowed: impl Fn(char) -> bool) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find(start) {
        let before = rest[..i].chars().last();
        let word: String = rest[i..].chars().take_while(|c| allowed(*c)).collect();
        rest = &rest[i + start.len()..];
        if before.is_some_and(&allowed) {
            continue;
        }
        found.insert(word.trim_end_matches('.').to_string());
    }
    found
}

fn provider_ids() -> Vec<String> {
    let catalog = Catalog::default();
    let ids: Vec<String> = ["killb", "cashy-co", "cashy-tz", "a55"]
        .into_iter()
        .filter(|id| catalog.provider(&pid(id)).is_some())
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), 4, "the default catalog's provider instances");
    ids
}

fn pid(s: &str) -> ProviderId {
    ProviderId::try_from(s.to_string()).expect("valid provider id")
}

/// Every source file of the workspace's crates.
fn sources() -> String {
    fn walk(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    let mut out = String::new();
    for entry in std::fs::read_dir(repo().join("crates")).unwrap().flatten() {
        walk(&entry.path().join("src"), &mut out);
    }
    out
}

/// Whether the known pattern (NATS wildcards `*`; `>` only as itself) names `subject`.
fn covers(pattern: &str, subject: &str) -> bool {
    let (p, s): (Vec<&str>, Vec<&str>) =
        (pattern.split('.').collect(), subject.split('.').collect());
    p.len() == s.len() && p.iter().zip(&s).all(|(p, s)| p == s || *p == "*")
}

/// Replaces `<placeholder>` tokens with `*`.
fn wildcarded(subject: &str) -> String {
    subject
        .split('.')
        .map(|t| if t.starts_with('<') { "*" } else { t })
        .collect::<Vec<_>>()
        .join(".")
}

/// The `giro-intake` instance answering `$SRV.INFO` with endpoints under `prefix`.
async fn intake_subjects(client: &async_nats::Client, prefix: &str) -> (String, Vec<String>) {
    let inbox = client.new_inbox();
    let mut replies = client.subscribe(inbox.clone()).await.unwrap();
    client
        .publish_with_reply("$SRV.INFO.giro-intake", inbox, "".into())
        .await
        .unwrap();
    client.flush().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Some(reply)) = tokio::time::timeout_at(deadline, replies.next()).await {
        let info: Value = serde_json::from_slice(&reply.payload).unwrap();
        let subjects: Vec<String> = info["endpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["subject"].as_str())
            .map(str::to_string)
            .collect();
        if subjects
            .iter()
            .any(|s| s.starts_with(&format!("{prefix}.")))
        {
            let name = info["name"].as_str().unwrap_or_default().to_string();
            return (name, subjects);
        }
    }
    panic!("the test's intake did not answer $SRV.INFO");
}

#[tokio::test]
async fn streams_consumers_and_subjects_exist() {
    let text = runbook();
    let log = TestLog::new().await;
    let (stream, prefix) = (log.config.stream.clone(), log.config.prefix.clone());
    let to_default = |s: &str| s.replacen(&format!("{prefix}."), &format!("{PREFIX}."), 1);

    // The streams, buckets and consumer the code provisions: the event log's, and KillB's
    // executor (it opens the funds ledger).
    let unreachable = "http://127.0.0.1:9";
    let killb = KillbClient::new(KillbConfig::new(
        unreachable.to_string(),
        KILLB_EMAIL,
        Secret::new(KILLB_PASSWORD.into()),
        KILLB_ACCOUNT,
        Secret::new(KILLB_SECRET.into()),
    ))
    .expect("killb client");
    let config = ExecutorConfig::new(pid("killb"), prefix.clone());
    giro_executor::start(log.log.clone(), Arc::new(killb), config.clone(), true)
        .await
        .expect("executor starts")
        .stop()
        .await;
    // And the notification and webhook streams of giro-notify.
    giro_notify::start(
        log.log.clone(),
        giro_notify::NotifyConfig::new(log.config.clone()),
    )
    .await
    .expect("notifications start")
    .stop()
    .await;
    // The bank-list bucket the providers' set-up writes and intake reads.
    giro_eventlog::BankListStore::open(log.log.context(), &log.config)
        .await
        .expect("the bank-list bucket");
    // The audit trail of operator actions intake writes.
    giro_eventlog::AuditLog::open(log.log.context(), &log.config)
        .await
        .expect("the audit stream");
    let js = async_nats::jetstream::new(log.client.clone());
    let mut names = js.stream_names();
    let mut streams = BTreeSet::new();
    let mut known_subjects = BTreeSet::new();
    let bucket_streams = format!("KV_{stream}");
    while let Some(Ok(name)) = names.next().await {
        if let Some(suffix) = name.strip_prefix(&stream) {
            let info = js.get_stream(&name).await.unwrap().cached_info().clone();
            known_subjects.extend(info.config.subjects.iter().map(|s| to_default(s)));
            streams.insert(format!("{STREAM}{suffix}"));
        } else if let Some(suffix) = name.strip_prefix(&bucket_streams) {
            // A key-value bucket, named in the runbook by its bucket name.
            streams.insert(format!("{STREAM}{suffix}"));
        }
    }
    let consumer = js
        .get_stream(&stream)
        .await
        .unwrap()
        .consumer_info(config.consumer_name())
        .await
        .expect("the executor's durable consumer")
        .name
        .clone();
    assert_eq!(consumer, "giro-executor-killb");

    let mentioned = words(&text, STREAM, |c| c.is_ascii_uppercase() || c == '_');
    assert!(mentioned.len() >= 3, "{mentioned:?}");
    for name in &mentioned {
        assert!(
            streams.contains(name),
            "the runbook names stream {name}; the code provisions {streams:?}"
        );
    }

    let consumers: BTreeSet<String> = provider_ids()
        .iter()
        .map(|p| ExecutorConfig::new(pid(p), PREFIX).consumer_name())
        .collect();
    let mentioned = words(&text, "giro-executor-", |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '<' || c == '>'
    });
    for name in &mentioned {
        assert!(
            consumers.contains(name)
                || name == "giro-executor-<provider>"
                || name == giro_executor::SHARED_PAYOUT_CONSUMER,
            "the runbook names consumer {name}; executors create {consumers:?}"
        );
    }

    // Subjects: the intake's endpoints as served, each order kind's subject, the dead-letter and
    // funds subjects, and the streams' own wildcards.
    let intake = giro_intake::Intake::start(
        log.client.clone(),
        log.log.clone(),
        giro_intake::IntakeConfig {
            prefix: prefix.clone(),
            ..giro_intake::IntakeConfig::default()
        },
    )
    .await
    .expect("intake starts");
    let (service, served) = intake_subjects(&log.client, &prefix).await;
    intake.stop().await;
    assert_eq!(service, "giro-intake");
    let mut patterns: BTreeSet<String> = served.iter().map(|s| to_default(s)).collect();
    let defaults = giro_eventlog::EventLogConfig::default();
    for kind in [OrderKind::Payout, OrderKind::Charge, OrderKind::Beneficiary] {
        let subject = defaults.subject(kind, OrderId::from_uuid(uuid::Uuid::nil()));
        patterns.insert(wildcarded(&format!(
            "{}.<id>",
            subject.rsplit_once('.').unwrap().0
        )));
    }
    let ingress_dead_letters = sources().contains(".dlq.ingress.");
    for p in provider_ids() {
        let executor = ExecutorConfig::new(pid(&p), PREFIX);
        patterns.insert(executor.dead_letter_subject());
        if ingress_dead_letters {
            patterns.insert(format!("{PREFIX}.dlq.ingress.{p}"));
        }
        if known_subjects.contains(&format!("{PREFIX}.funds.>")) {
            patterns.insert(format!("{PREFIX}.funds.{p}"));
        }
    }
    // Word between the executor instances of one consumer (core NATS, no stream).
    patterns.insert(giro_executor::timers_subject(PREFIX, "*"));
    patterns.insert(giro_executor::timers_subject(PREFIX, ">"));
    // Scheduled payouts: their schedules and wakes (stream GIRO_EVENTS_SCHEDULES).
    patterns.insert(giro_executor::wakes::schedule_subject(
        PREFIX, "payout", "*",
    ));
    patterns.insert(giro_executor::wakes::wake_subject(PREFIX, "payout", "*"));
    patterns.insert(format!("{PREFIX}.dlq.executor.*"));
    patterns.insert(format!("{PREFIX}.dlq.ingress.*"));
    patterns.insert(format!("{PREFIX}.dlq.webhooks.*"));
    patterns.insert(format!("{PREFIX}.dlq.notify.*"));
    let mentioned = words(&text, "giro.", |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || "._-<>*".contains(c)
    });
    assert!(mentioned.len() >= 8, "{mentioned:?}");
    for subject in &mentioned {
        let subject = wildcarded(subject);
        assert!(
            known_subjects.contains(&subject) || patterns.iter().any(|p| covers(p, &subject)),
            "the runbook names subject {subject}; the code has {known_subjects:?} and {patterns:?}"
        );
    }
}

#[test]
fn variables_and_headers_exist() {
    let text = runbook();
    let code = sources();
    let conf = std::fs::read_to_string(repo().join("ops/nats/nats-server.conf")).unwrap();
    let upper = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_';
    let mut variables = words(&text, "GIRO_", upper);
    variables.extend(words(&text, "NATS_URL", upper));
    variables.extend(words(&text, "DATABASE_URL", upper));
    variables.retain(|v| !v.starts_with(STREAM) && !v.ends_with('_'));
    assert!(variables.len() >= 15, "{variables:?}");
    for variable in &variables {
        let read = match variable.strip_suffix("_FILE") {
            // `<NAME>_FILE` is read for every secret `<NAME>` (crates/giro/src/providers.rs).
            // (or the variable is read by that name, e.g. `GIRO_WEBHOOKS_FILE`).
            Some(secret) => {
                (code.contains(&format!("secret(\"{secret}\"")) && code.contains("{name}_FILE"))
                    || code.contains(&format!("\"{variable}\""))
            }
            None => code.contains(&format!("\"{variable}\"")),
        };
        assert!(read, "the runbook names {variable}, which no code reads");
    }
    for password in text
        .split(|c: char| !upper(c))
        .filter(|w| w.ends_with("_PASSWORD") && !w.starts_with("GIRO_"))
    {
        assert!(
            conf.contains(&format!("${password}")),
            "the runbook names {password}, which ops/nats/nats-server.conf does not read"
        );
    }
    let headers = words(&text, "Giro-", |c| c.is_ascii_alphanumeric() || c == '-');
    assert!(headers.len() >= 5, "{headers:?}");
    for header in headers {
        assert!(
            code.contains(&format!("\"{header}\"")),
            "the runbook names header {header}, which the code does not write"
        );
    }
}
