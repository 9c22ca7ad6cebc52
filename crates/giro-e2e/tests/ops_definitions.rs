//! The operations files under `ops/` against the code and a real nats-server (2.12 or later):
//!
//! - `ops/jetstream/`: the streams and consumers, as `nats stream add --config FILE` and
//!   `nats consumer add GIRO_EVENTS --config FILE` take them, are exactly what the code provisions
//!   (provisioned here through the real code on private names, then compared with the server's
//!   configuration), and the files create the same thing when applied by hand;
//! - `ops/nats/nats-server.conf`: nats-server accepts it (`-t`) only with the passwords in the
//!   environment, and every component works end to end as its own user with nothing more than
//!   the subjects the file allows it, while what it does not need is refused.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use futures::StreamExt;
use giro_domain::{ProviderId, Secret};
use giro_e2e::payout_providers as payout_instances;
use giro_eventlog::test_support::TestLog;
use giro_eventlog::{EventLog, EventLogConfig};
use giro_executor::{ExecutorConfig, Timings};
use giro_providers::PayoutProvider;
use giro_providers::a55::{A55Client, A55Config as A55ClientConfig};
use giro_providers::cashy::{CashyClient, CashyConfig as CashyClientConfig, CashyCountry};
use giro_providers::killb::{KillbClient, KillbConfig as KillbClientConfig};
use giro_sandbox::a55::defaults::{
    CLIENT_ID as A55_CLIENT_ID, CLIENT_SECRET as A55_CLIENT_SECRET, WALLET as A55_WALLET,
    WEBHOOK_SECRET as A55_WEBHOOK_SECRET,
};
use giro_sandbox::cashy::defaults::{CO_KEY, CO_MERCHANT, TZ_KEY, TZ_MERCHANT};
use giro_sandbox::killb::defaults::{
    ACCOUNT as KILLB_ACCOUNT, EMAIL as KILLB_EMAIL, PASSWORD as KILLB_PASSWORD,
    WEBHOOK_SECRET as KILLB_SECRET,
};
use serde_json::{Value, json};

/// The merchant id the engine's A55 adapter uses by default.
const A55_MERCHANT: &str = "11111111-1111-1111-1111-111111111111";

/// The default stream name and subject prefix the files are written with (CONTRACT.md §2).
const STREAM: &str = "GIRO_EVENTS";
const PREFIX: &str = "giro";

fn ops_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ops")
}

fn pid(s: &str) -> ProviderId {
    ProviderId::try_from(s.to_string()).expect("valid provider id")
}

/// Provider clients as `giro executor` builds them (KillB pays from a pre-funded balance, so its
/// executor opens the funds ledger), pointed at `killb_url` and `cashy_url`.
fn payout_providers(
    killb_url: &str,
    cashy_url: &str,
    notify: &str,
) -> Vec<(ProviderId, Arc<dyn PayoutProvider>, bool)> {
    let killb = KillbClientConfig::new(
        killb_url.to_string(),
        KILLB_EMAIL,
        Secret::new(KILLB_PASSWORD.into()),
        KILLB_ACCOUNT,
        Secret::new(KILLB_SECRET.into()),
    );
    let cashy = |merchant: &str, key: &str, country| {
        let mut c = CashyClientConfig::new(
            cashy_url.to_string(),
            merchant,
            Secret::new(key.into()),
            country,
            notify.to_string(),
        );
        c.timeout = Duration::from_secs(2);
        Arc::new(CashyClient::new(c).expect("cashy client")) as Arc<dyn PayoutProvider>
    };
    let providers: Vec<(ProviderId, Arc<dyn PayoutProvider>, bool)> = vec![
        (
            pid("killb"),
            Arc::new(KillbClient::new(killb).expect("killb client")),
            true,
        ),
        (
            pid("cashy-co"),
            cashy(CO_MERCHANT, CO_KEY, CashyCountry::Co),
            false,
        ),
        (
            pid("cashy-tz"),
            cashy(TZ_MERCHANT, TZ_KEY, CashyCountry::Tz),
            false,
        ),
    ];
    let ids: Vec<&str> = providers.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids, payout_instances(), "every payout provider instance");
    providers
}

/// The beneficiary account instance, as `giro executor --provider killb-accounts` builds it.
const ACCOUNTS_PROVIDER: &str = giro_domain::beneficiary::ACCOUNTS_PROVIDER;

fn accounts_provider(killb_url: &str) -> Arc<KillbClient> {
    let mut killb = KillbClientConfig::new(
        killb_url.to_string(),
        KILLB_EMAIL,
        Secret::new(KILLB_PASSWORD.into()),
        KILLB_ACCOUNT,
        Secret::new(KILLB_SECRET.into()),
    );
    killb.timeout = Duration::from_secs(2);
    Arc::new(KillbClient::new(killb).expect("killb client"))
}

/// The charge provider instance (A55), as `giro executor --provider a55` builds it.
const CHARGE_PROVIDER: &str = "a55";

fn charge_provider(a55_url: &str) -> Arc<A55Client> {
    let mut config = A55ClientConfig::new(
        a55_url.to_string(),
        A55_CLIENT_ID,
        Secret::new(A55_CLIENT_SECRET.into()),
        A55_WALLET,
        A55_MERCHANT,
        Secret::new(A55_WEBHOOK_SECRET.into()),
    );
    config.timeout = Duration::from_secs(2);
    Arc::new(A55Client::new(config).expect("a55 client"))
}

/// A JetStream API request; the raw JSON answer (errors included).
async fn api(client: &async_nats::Client, subject: &str, body: Value) -> Value {
    let reply = client
        .request(subject.to_string(), body.to_string().into())
        .await
        .unwrap_or_else(|e| panic!("{subject}: {e}"));
    serde_json::from_slice(&reply.payload).expect("a JSON answer")
}

/// `<dir>/<name>.json` for every file in `dir`.
fn definition_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect()
}

/// A definition file with the default stream name and prefix replaced by a test's own.
fn definition(path: &Path, stream: &str, prefix: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text
        .replace(&format!("\"{STREAM}"), &format!("\"{stream}"))
        .replace(&format!("\"{PREFIX}."), &format!("\"{prefix}."));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The server's configuration written back with the default names, as the file should read.
fn as_file(config: &Value, stream: &str, prefix: &str) -> String {
    serde_json::to_string_pretty(config)
        .expect("JSON")
        .replace(&format!("\"{stream}"), &format!("\"{STREAM}"))
        .replace(&format!("\"{prefix}."), &format!("\"{PREFIX}."))
}

/// `config` without the metadata the server stamps on it (`_nats.ver`, `_nats.level`, …): they
/// name the server's version, not Giro's definition.
fn without_server_stamps(config: &Value) -> Value {
    let mut config = config.clone();
    if let Some(object) = config.as_object_mut()
        && let Some(Value::Object(metadata)) = object.get_mut("metadata")
    {
        metadata.retain(|k, _| !k.starts_with("_nats."));
        if metadata.is_empty() {
            object.remove("metadata");
        }
    }
    config
}

/// Fails with the differing keys and the whole configuration the file should hold.
fn assert_same(path: &Path, file: &Value, server: &Value, stream: &str, prefix: &str) {
    let server = &without_server_stamps(server);
    if file == server {
        return;
    }
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let differing: Vec<String> = keys(file)
        .union(&keys(server))
        .filter(|k| file.get(k.as_str()) != server.get(k.as_str()))
        .map(|k| {
            format!(
                "{k}: file {} / server {}",
                file.get(k.as_str()).unwrap_or(&Value::Null),
                server.get(k.as_str()).unwrap_or(&Value::Null)
            )
        })
        .collect();
    panic!(
        "{} drifted from what the code provisions:\n  {}\nthe code provisions:\n{}",
        path.display(),
        differing.join("\n  "),
        as_file(server, stream, prefix)
    );
}

/// Starts and stops one executor per payout provider instance, with its production settings:
/// their durable consumers (and KillB's funds ledger) stay behind, as after a deployment.
async fn provision_executors(log: &TestLog) {
    let unreachable = "http://127.0.0.1:9";
    for (id, provider, prefunded) in payout_providers(unreachable, unreachable, unreachable) {
        let config = ExecutorConfig::new(id.clone(), log.config.prefix.clone());
        let handle = giro_executor::start(log.log.clone(), provider, config, prefunded)
            .await
            .unwrap_or_else(|e| panic!("executor of {id} starts: {e}"));
        handle.stop().await;
    }
    let config = ExecutorConfig::new(pid(CHARGE_PROVIDER), log.config.prefix.clone());
    let handle =
        giro_executor::start_charges(log.log.clone(), charge_provider(unreachable), config)
            .await
            .unwrap_or_else(|e| panic!("executor of {CHARGE_PROVIDER} starts: {e}"));
    handle.stop().await;
    let config = ExecutorConfig::new(pid(ACCOUNTS_PROVIDER), log.config.prefix.clone());
    let handle =
        giro_executor::start_beneficiaries(log.log.clone(), accounts_provider(unreachable), config)
            .await
            .unwrap_or_else(|e| panic!("executor of {ACCOUNTS_PROVIDER} starts: {e}"));
    handle.stop().await;
}

/// Starts and stops giro-notify with one webhook subscription: its streams and both its
/// durable consumers stay behind.
async fn provision_notify(log: &TestLog) {
    let dir = std::env::temp_dir().join(format!("giro-ops-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("secret"), "ops-webhook-secret-0123456789").unwrap();
    let mut config = giro_notify::NotifyConfig::new(log.config.clone());
    config.subscriptions = giro_notify::Subscriptions::parse(
        &json!({"subscriptions": [{"id": "ops", "url": "http://127.0.0.1:9/",
            "secret_file": "secret"}]})
        .to_string(),
        &dir,
    )
    .expect("the subscription is valid");
    let handle = giro_notify::start(log.log.clone(), config)
        .await
        .expect("notifications start");
    handle.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn stream_and_consumer_files_are_what_the_code_provisions() {
    let log = TestLog::new().await;
    provision_executors(&log).await;
    provision_notify(&log).await;
    // intake's audit trail of operator actions
    giro_eventlog::AuditLog::open(log.log.context(), &log.config)
        .await
        .expect("the audit stream");
    let (stream, prefix) = (log.config.stream.as_str(), log.config.prefix.as_str());

    let names = api(&log.client, "$JS.API.STREAM.NAMES", json!({})).await;
    let provisioned: BTreeSet<String> = names["streams"]
        .as_array()
        .expect("stream names")
        .iter()
        .filter_map(Value::as_str)
        .filter(|n| n.starts_with(stream))
        .map(|n| n.replacen(stream, STREAM, 1))
        .collect();
    let streams_dir = ops_dir().join("jetstream/streams");
    assert_eq!(
        definition_files(&streams_dir),
        provisioned,
        "ops/jetstream/streams/ must define exactly the streams the code provisions"
    );
    for name in &provisioned {
        let actual = name.replacen(STREAM, stream, 1);
        let info = api(
            &log.client,
            &format!("$JS.API.STREAM.INFO.{actual}"),
            json!({}),
        )
        .await;
        let path = streams_dir.join(format!("{name}.json"));
        let file = definition(&path, stream, prefix);
        assert_same(&path, &file, &info["config"], stream, prefix);
    }

    let consumers_dir = ops_dir().join("jetstream/consumers");
    let consumers = check_consumers(&log, stream, &consumers_dir).await;
    let mut expected: BTreeSet<String> = payout_instances()
        .iter()
        .chain([&CHARGE_PROVIDER, &ACCOUNTS_PROVIDER])
        .map(|p| ExecutorConfig::new(pid(p), prefix).consumer_name())
        .collect();
    expected.insert(giro_notify::NOTIFIER_CONSUMER.to_string());
    assert_eq!(
        consumers, expected,
        "one durable consumer per executor, and the notifier's"
    );
    // The consumers of the other streams (the schedules' wakes, the webhook deliverer) are in
    // consumers/<STREAM>/.
    for name in provisioned.iter().filter(|n| *n != STREAM) {
        let actual = name.replacen(STREAM, stream, 1);
        check_consumers(&log, &actual, &consumers_dir.join(name)).await;
    }
}

/// The durable consumers of `stream` are exactly those defined in `dir` (none when it does not
/// exist), each as the code provisions it; returns their names.
async fn check_consumers(log: &TestLog, stream: &str, dir: &Path) -> BTreeSet<String> {
    let (events, prefix) = (log.config.stream.as_str(), log.config.prefix.as_str());
    let names = api(
        &log.client,
        &format!("$JS.API.CONSUMER.NAMES.{stream}"),
        json!({}),
    )
    .await;
    let consumers: BTreeSet<String> = names["consumers"]
        .as_array()
        .expect("consumer names")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let files = if dir.is_dir() {
        definition_files(dir)
    } else {
        BTreeSet::new()
    };
    assert_eq!(
        files,
        consumers,
        "{} must define exactly the durable consumers of {stream}",
        dir.display()
    );
    for name in &consumers {
        let info = api(
            &log.client,
            &format!("$JS.API.CONSUMER.INFO.{stream}.{name}"),
            json!({}),
        )
        .await;
        let path = dir.join(format!("{name}.json"));
        let file = definition(&path, events, prefix);
        assert_same(&path, &file, &info["config"], events, prefix);
    }
    consumers
}

#[tokio::test]
async fn the_files_create_the_same_streams_and_consumers_by_hand() {
    // Streams named after the test log's, so that it deletes them too; their own subject prefix.
    let log = TestLog::new().await;
    let stream = format!("{}_BYHAND", log.config.stream);
    let prefix = format!("h{}", &log.config.prefix[1..]);
    let dir = ops_dir().join("jetstream");
    for name in definition_files(&dir.join("streams")) {
        let path = dir.join(format!("streams/{name}.json"));
        let config = definition(&path, &stream, &prefix);
        let created = api(
            &log.client,
            &format!("$JS.API.STREAM.CREATE.{}", config["name"].as_str().unwrap()),
            config.clone(),
        )
        .await;
        assert!(created.get("error").is_none(), "{name}: {created}");
        assert_same(&path, &config, &created["config"], &stream, &prefix);
    }
    let consumers = dir.join("consumers");
    let mut by_stream = vec![(stream.clone(), consumers.clone())];
    for entry in std::fs::read_dir(&consumers).expect("ops/jetstream/consumers") {
        let path = entry.expect("a directory entry").path();
        if let Some(name) = path.is_dir().then(|| path.file_name()).flatten() {
            let name = name.to_string_lossy().replacen(STREAM, &stream, 1);
            by_stream.push((name, path));
        }
    }
    for (on, dir) in by_stream {
        for name in definition_files(&dir) {
            let path = dir.join(format!("{name}.json"));
            let config = definition(&path, &stream, &prefix);
            // One filter is part of the API subject; several (giro-notify's) are not.
            let subject = match config["filter_subject"].as_str() {
                Some(filter) => format!("$JS.API.CONSUMER.CREATE.{on}.{name}.{filter}"),
                None => format!("$JS.API.CONSUMER.CREATE.{on}.{name}"),
            };
            let created = api(
                &log.client,
                &subject,
                json!({"stream_name": on, "config": config}),
            )
            .await;
            assert!(created.get("error").is_none(), "{name}: {created}");
            assert_same(&path, &config, &created["config"], &stream, &prefix);
        }
    }
}

/// The passwords ops/nats/nats-server.conf reads from the environment.
const PASSWORDS: [(&str, &str); 8] = [
    ("ADMIN_PASSWORD", "adminSecret1"),
    ("CLIENT_PASSWORD", "clientSecret1"),
    ("INTAKE_PASSWORD", "intakeSecret1"),
    ("EXECUTOR_PASSWORD", "executorSecret1"),
    ("INGRESS_PASSWORD", "ingressSecret1"),
    ("PROJECTION_PASSWORD", "projectionSecret1"),
    ("NOTIFY_PASSWORD", "notifySecret1"),
    ("OPS_PASSWORD", "opsSecret1"),
];

fn nats_server_at(config: &Path) -> Command {
    let mut cmd = Command::new(giro_eventlog::test_support::nats_server_binary());
    cmd.arg("-c").arg(config);
    for (name, _) in PASSWORDS {
        cmd.env_remove(name);
    }
    cmd
}

fn nats_server() -> Command {
    nats_server_at(&ops_dir().join("nats/nats-server.conf"))
}

#[test]
fn nats_server_accepts_the_config_with_the_passwords_from_the_environment() {
    let checked = nats_server()
        .arg("-t")
        .envs(PASSWORDS)
        .output()
        .expect("nats-server must be installed");
    assert!(
        checked.status.success(),
        "nats-server -t refused ops/nats/nats-server.conf: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    let unset = nats_server()
        .arg("-t")
        .output()
        .expect("nats-server must be installed");
    let said = String::from_utf8_lossy(&unset.stderr);
    assert!(
        !unset.status.success() && said.contains("PASSWORD"),
        "without the passwords the config must not load: {said}"
    );
}

/// nats-server running ops/nats/nats-server.conf on free ports with a store of its own (a copy
/// of the file whose `store_dir` is a temporary directory: nats-server refuses `-sd` beside it).
struct ConfiguredNats {
    port: u16,
    store: PathBuf,
    child: Child,
}

const STORE_DIR: &str = "store_dir: /data/jetstream";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl ConfiguredNats {
    fn start() -> Self {
        let (port, monitor) = (free_port(), free_port());
        let store = std::env::temp_dir().join(format!("giro-ops-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&store).expect("a temporary store");
        let original = std::fs::read_to_string(ops_dir().join("nats/nats-server.conf")).unwrap();
        assert!(
            original.contains(STORE_DIR),
            "the config keeps JetStream in {STORE_DIR}"
        );
        let config = store.join("nats-server.conf");
        let copy = original.replace(STORE_DIR, &format!("store_dir: {:?}", store.join("js")));
        std::fs::write(&config, copy).expect("the config's copy");
        let child = nats_server_at(&config)
            .envs(PASSWORDS)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(["-m", &monitor.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server must be installed");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        ConfiguredNats { port, store, child }
    }

    /// Connects as `user` with its password.
    async fn connect(&self, user: &str) -> async_nats::Client {
        let variable = format!("{}_PASSWORD", user.to_uppercase());
        let password = PASSWORDS
            .iter()
            .find(|(name, _)| *name == variable)
            .map(|(_, p)| *p)
            .expect("a user of the config");
        async_nats::ConnectOptions::with_user_and_password(user.into(), password.into())
            .request_timeout(Some(Duration::from_secs(3)))
            .connect(format!("nats://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| panic!("connecting as {user}: {e}"))
    }
}

impl Drop for ConfiguredNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

/// Whether `client` may have JetStream store a message on `subject` (a refused publish is never
/// acknowledged).
async fn can_append(client: &async_nats::Client, subject: &str) -> bool {
    let js = jetstream::ContextBuilder::new()
        .timeout(Duration::from_millis(700))
        .build(client.clone());
    match js.publish(subject.to_string(), "{}".into()).await {
        Ok(ack) => ack.await.is_ok(),
        Err(_) => false,
    }
}

/// Whether a request on `subject` gets any answer (a refused one times out).
async fn answered(client: &async_nats::Client, subject: &str) -> bool {
    let request = async_nats::Request::new()
        .payload("{}".into())
        .timeout(Some(Duration::from_millis(700)));
    client
        .send_request(subject.to_string(), request)
        .await
        .is_ok()
}

async fn http_get(url: &str) -> reqwest::Result<reqwest::Response> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::get(url).await
}

async fn http_json(url: &str) -> Option<Value> {
    let response = http_get(url).await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json().await.ok()
}

#[tokio::test]
async fn every_component_works_as_its_own_user_and_nothing_more() {
    let nats = ConfiguredNats::start();
    let log_config = EventLogConfig::default();
    let open = |client: async_nats::Client| {
        let config = log_config.clone();
        async move {
            EventLog::open(client, config)
                .await
                .expect("the event log opens")
        }
    };

    // intake: the micro service, provisioning the stream.
    let intake_nats = nats.connect("intake").await;
    let intake_log = open(intake_nats.clone()).await;
    let intake = giro_intake::Intake::start(
        intake_nats,
        intake_log,
        giro_intake::IntakeConfig::default(),
    )
    .await
    .expect("intake starts");

    // ingress, and the sandboxes calling it back.
    let ingress_log = open(nats.connect("ingress").await).await;
    let mut providers = giro_providers::Registry::default();
    let killb = giro_providers::killb::webhook::KillbWebhook {
        instance: pid("killb"),
        secret: Secret::new(KILLB_SECRET.into()),
    };
    let cashy = giro_providers::cashy::webhook::CashyWebhook {
        merchants: vec![giro_providers::cashy::webhook::CashyMerchantHook {
            instance: pid("cashy-co"),
            merchant_id: CO_MERCHANT.into(),
            api_key: Secret::new(CO_KEY.into()),
            country: CashyCountry::Co,
        }],
    };
    providers.webhook("killb", Arc::new(killb)).unwrap();
    providers.webhook("cashy", Arc::new(cashy)).unwrap();
    let ingress_config = giro_ingress::IngressConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        PREFIX,
        Arc::new(providers),
    );
    let ingress = giro_ingress::start(ingress_log, ingress_config)
        .await
        .expect("ingress starts");
    let mut killb =
        giro_sandbox::killb::KillbConfig::new(KILLB_EMAIL, KILLB_PASSWORD, KILLB_SECRET);
    killb.webhook_url = Some(format!("{}/webhooks/killb", ingress.url()));
    let sandbox = giro_sandbox::Sandbox::start(giro_sandbox::SandboxConfig {
        simulators: vec![
            Box::new(killb),
            Box::new(giro_sandbox::cashy::CashyConfig::new(vec![
                giro_sandbox::cashy::CashyMerchant::colombia(CO_MERCHANT, CO_KEY),
            ])),
        ],
        timing: giro_sandbox::Timing {
            time_scale: 0.0005,
            step_delay: Duration::from_millis(50),
            reversal_delay: Duration::from_millis(300),
            callback_timeout: Duration::from_secs(5),
        },
        faults: giro_sandbox::FaultSettings::default(),
        seed: 7,
        ..giro_sandbox::SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");

    // executors of KillB (funds ledger) and Cashy Colombia.
    let executor_nats = nats.connect("executor").await;
    let executor_log = open(executor_nats.clone()).await;
    let providers = payout_providers(
        &sandbox.killb_url().expect("killb"),
        &sandbox.cashy_url().expect("cashy"),
        // On a name, as Cashy wants; the sandbox resolves giro.localhost to the loopback address.
        &format!("{}/webhooks/cashy", ingress.url()).replace("://127.0.0.1:", "://giro.localhost:"),
    );
    let mut executors = vec![];
    for (id, provider, prefunded) in providers.into_iter().take(2) {
        let mut config = ExecutorConfig::new(id.clone(), PREFIX);
        config.timings = Timings {
            poll_after: Duration::from_millis(500),
            poll_max: Duration::from_secs(2),
            ack_wait: Duration::from_secs(10),
            ..Timings::default()
        };
        executors.push(
            giro_executor::start(executor_log.clone(), provider, config, prefunded)
                .await
                .unwrap_or_else(|e| panic!("executor of {id} starts: {e}")),
        );
    }

    // The providers' set-up in `giro executor` publishes their bank lists for intake.
    let banks = giro_eventlog::BankListStore::open(executor_log.context(), executor_log.config())
        .await
        .expect("the executor opens the bank lists");
    banks
        .put(
            "killb",
            &giro_domain::bank_lists::BankCodes::from_codes(["007"]),
        )
        .await
        .expect("the executor publishes a bank list");

    let a55 = ExecutorConfig::new(pid(CHARGE_PROVIDER), PREFIX);
    executors.push(
        giro_executor::start_charges(
            executor_log.clone(),
            charge_provider("http://127.0.0.1:9"),
            a55,
        )
        .await
        .expect("the charge executor starts"),
    );
    let mut accounts = ExecutorConfig::new(pid(ACCOUNTS_PROVIDER), PREFIX);
    accounts.timings = Timings {
        poll_after: Duration::from_millis(300),
        poll_max: Duration::from_secs(2),
        ..Timings::default()
    };
    executors.push(
        giro_executor::start_beneficiaries(
            executor_log.clone(),
            accounts_provider(&sandbox.killb_url().expect("killb")),
            accounts,
        )
        .await
        .expect("the beneficiary executor starts"),
    );

    // projection, into a schema of its own.
    let schema = giro_projection::test_support::TestSchema::new();
    let projection_config = giro_projection::ProjectionConfig {
        database_url: schema.database_url.clone(),
        schema: schema.name.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..giro_projection::ProjectionConfig::default()
    };
    let projection_nats = nats.connect("projection").await;
    let projection = giro_projection::start(projection_config.clone(), projection_nats.clone())
        .await
        .expect("projection starts");

    // notify: notifications on NATS, and a webhook to a receiver of the test's.
    let admin = nats.connect("admin").await;
    let mut succeeded = admin
        .subscribe("giro.notify.v1.payout.succeeded")
        .await
        .expect("the SRE user subscribes");
    let webhooks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver_url = format!("http://{}/", receiver.local_addr().unwrap());
    let counted = webhooks.clone();
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(move || async move {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            axum::http::StatusCode::NO_CONTENT
        }),
    );
    tokio::spawn(async move { axum::serve(receiver, app).await });
    let secret_dir = std::env::temp_dir().join(format!("giro-ops-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&secret_dir).unwrap();
    std::fs::write(secret_dir.join("secret"), "ops-webhook-secret-0123456789").unwrap();
    let mut notify_config = giro_notify::NotifyConfig::new(log_config.clone());
    notify_config.subscriptions = giro_notify::Subscriptions::parse(
        &json!({"subscriptions": [{"id": "ops", "url": receiver_url, "secret_file": "secret",
            "events": ["payout.succeeded"]}]})
        .to_string(),
        &secret_dir,
    )
    .expect("the subscription is valid");
    let notify_log = open(nats.connect("notify").await).await;
    let notify = giro_notify::start(notify_log, notify_config)
        .await
        .expect("notifications start as the notify user");

    // A service sends payouts as `client`; they reach a terminal status through every component.
    let client = giro_intake::IntakeClient::new(
        nats.connect("client").await,
        PREFIX,
        Duration::from_secs(5),
    );
    let example = std::fs::read(ops_dir().join("examples/payout-cashy-co.json")).unwrap();
    let mut killb_payout: Value = serde_json::from_slice(&example).unwrap();
    killb_payout["provider"] = json!("killb");
    killb_payout["idempotency_key"] = json!("ops-killb-1");
    killb_payout["beneficiary"]["bank_code"] = json!("007");
    let mut order_ids = vec![];
    for body in [example.clone(), serde_json::to_vec(&killb_payout).unwrap()] {
        let reply = client.create_payout(body).await;
        assert!(reply.ok, "payout accepted: {reply:?}");
        order_ids.push(reply.str("order_id").expect("an order id").to_string());
    }
    for id in &order_ids {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let reply = client.get_order(id).await;
            if reply.str("status") == Some("succeeded") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "payout {id} did not succeed: {reply:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let url = format!("http://{}/v1/payouts/{id}", projection.local_addr());
        let deadline = Instant::now() + Duration::from_secs(15);
        while http_json(&url).await.map(|p| p["status"].clone()) != Some(json!("succeeded")) {
            assert!(
                Instant::now() < deadline,
                "projection did not show {id} succeeded"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // A beneficiary registered as `client` becomes a KillB account through the executor's user.
    let register = json!({"idempotency_key": "ops-beneficiary-1", "type": "PSE", "data": {
        "first_name": "Juan", "last_name": "Garcia", "email": "juan@example.com",
        "phone": "+573001234567", "country_code": "CO", "account_number": "1234567890",
        "bank_code": "0001", "account_type": "savings",
        "document": {"type": "NUIP", "number": "1234567890", "issued_country_code": "CO"}}});
    let reply = client.register_beneficiary(register.to_string()).await;
    assert!(reply.ok, "beneficiary accepted: {reply:?}");
    let beneficiary = reply.str("beneficiary_id").expect("an id").to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = client.get_order(&beneficiary).await;
        if reply.str("status") == Some("ACTIVE") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "beneficiary {beneficiary} did not become ACTIVE: {reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Each succeeded payout was notified on NATS and as a webhook, through the notify user.
    for _ in &order_ids {
        let notified = tokio::time::timeout(Duration::from_secs(15), succeeded.next())
            .await
            .expect("a notification within 15 s")
            .expect("the subscription is open");
        let body: Value = serde_json::from_slice(&notified.payload).unwrap();
        assert!(order_ids.contains(&body["order_id"].as_str().unwrap().to_string()));
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while webhooks.load(std::sync::atomic::Ordering::SeqCst) < order_ids.len() {
        assert!(Instant::now() < deadline, "the webhooks did not arrive");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = std::fs::remove_dir_all(&secret_dir);
    let rebuilt = giro_projection::rebuild(&projection_config, projection_nats.clone())
        .await
        .expect("the projection user may rebuild");
    drop(rebuilt);

    // Dead letters: each component on its own subjects only.
    let executor_nats = nats.connect("executor").await;
    let ingress_nats = nats.connect("ingress").await;
    assert!(can_append(&executor_nats, "giro.dlq.executor.killb").await);
    assert!(can_append(&ingress_nats, "giro.dlq.ingress.cashy-co").await);
    assert!(!can_append(&executor_nats, "giro.dlq.ingress.cashy-co").await);
    assert!(!can_append(&ingress_nats, "giro.dlq.executor.killb").await);
    let notify_nats = nats.connect("notify").await;
    assert!(can_append(&notify_nats, "giro.dlq.webhooks.ops").await);
    assert!(can_append(&notify_nats, "giro.dlq.notify.payout").await);
    assert!(!can_append(&notify_nats, "giro.dlq.executor.killb").await);
    assert!(!can_append(&executor_nats, "giro.notify.v1.payout.succeeded").await);

    // Refused: events from services and the projection, deleting or purging the event stream,
    // another component's consumer, the micro service's discovery for clients.
    let client_nats = nats.connect("client").await;
    let fake = format!("giro.evt.payout.{}", uuid::Uuid::new_v4());
    assert!(!can_append(&client_nats, &fake).await);
    assert!(!can_append(&projection_nats, &fake).await);
    assert!(!can_append(&notify_nats, &fake).await);
    for user in [
        "client",
        "intake",
        "executor",
        "ingress",
        "projection",
        "notify",
    ] {
        let c = nats.connect(user).await;
        assert!(
            !answered(&c, "$JS.API.STREAM.DELETE.GIRO_EVENTS").await,
            "{user}"
        );
        assert!(
            !answered(&c, "$JS.API.STREAM.PURGE.GIRO_EVENTS").await,
            "{user}"
        );
    }
    assert!(
        !answered(
            &ingress_nats,
            "$JS.API.CONSUMER.INFO.GIRO_EVENTS.giro-executor-killb"
        )
        .await
    );
    assert!(!answered(&client_nats, "$SRV.PING.giro-intake").await);

    // The SRE user sees everything: the intake service, the consumers' lag, the dead letters.
    let info = admin
        .request("$SRV.INFO.giro-intake", "".into())
        .await
        .expect("$SRV.INFO answered");
    let info: Value = serde_json::from_slice(&info.payload).unwrap();
    assert_eq!(info["name"], json!("giro-intake"));
    let dlq = api(&admin, "$JS.API.STREAM.INFO.GIRO_EVENTS_DLQ", json!({})).await;
    assert_eq!(dlq["state"]["messages"], json!(4));
    let consumer = api(
        &admin,
        "$JS.API.CONSUMER.INFO.GIRO_EVENTS.giro-executor-killb",
        json!({}),
    )
    .await;
    assert_eq!(consumer["num_pending"], json!(0), "{consumer}");

    projection.stop().await;
    notify.stop().await;
    for executor in executors {
        executor.stop().await;
    }
    ingress.stop().await;
    intake.stop().await;
    drop(sandbox);
}

/// Grafana's PostgreSQL macros as the dashboard uses them, expanded the way Grafana does, over the
/// last day.
fn expand_macros(sql: &str) -> String {
    let mut out = sql.to_string();
    while let Some(start) = out.find("$__time") {
        let open = start + out[start..].find('(').expect("a macro's arguments");
        let close = open
            + out[open..]
                .find(')')
                .expect("a macro's closing parenthesis");
        let args: Vec<&str> = out[open + 1..close].split(',').map(str::trim).collect();
        let expanded = match &out[start..open] {
            "$__timeFilter" => format!("{} BETWEEN now() - interval '1 day' AND now()", args[0]),
            "$__timeGroupAlias" => {
                format!(
                    "to_timestamp(floor(extract(epoch FROM {}) / 300) * 300) AS time",
                    args[0]
                )
            }
            other => panic!("the dashboard uses {other}, which this test does not expand"),
        };
        out.replace_range(start..=close, &expanded);
    }
    out
}

/// The metric names a Prometheus text exposition offers, with the suffixes of their samples
/// (`_total` for counters; `_bucket`, `_count`, `_sum` for histograms).
fn exposed_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if (words.next(), words.next()) != (Some("#"), Some("TYPE")) {
            continue;
        }
        let (Some(name), Some(kind)) = (words.next(), words.next()) else {
            continue;
        };
        // OpenMetrics names a counter family without `_total`, the Prometheus text format with it.
        let suffixes: &[&str] = match kind {
            "counter" if !name.ends_with("_total") => &["_total"],
            "histogram" => &["_bucket", "_count", "_sum"],
            _ => &[""],
        };
        for suffix in suffixes {
            names.insert(format!("{name}{suffix}"));
        }
    }
    names
}

/// `giro_…` identifiers in a PromQL expression.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = vec![];
    let mut rest = expr;
    while let Some(i) = rest.find("giro_") {
        let preceded = rest[..i]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '"');
        let name: String = rest[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[i + name.len()..];
        if !preceded {
            names.push(name);
        }
    }
    names
}

#[tokio::test]
async fn the_dashboard_reads_tables_and_metrics_the_code_has() {
    let path = ops_dir().join("grafana/giro-dashboard.json");
    let dashboard: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let targets: Vec<(String, Value)> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| {
            let title = p["title"].as_str().unwrap_or_default().to_string();
            p["targets"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |t| (title.clone(), t))
        })
        .collect();

    // A projection with a schema of its own, on a stream that does not exist (so that it counts
    // read errors too): its tables and its /metrics.
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let schema = giro_projection::test_support::TestSchema::new();
    let config = giro_projection::ProjectionConfig {
        database_url: schema.database_url.clone(),
        schema: schema.name.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        log: EventLogConfig {
            stream: format!("GIRO_EVENTS_NONE{tag}"),
            prefix: format!("n{tag}"),
            ..EventLogConfig::default()
        },
        ..giro_projection::ProjectionConfig::default()
    };
    let nats = async_nats::connect(giro_eventlog::test_support::nats_url())
        .await
        .expect("NATS");
    let projection = giro_projection::start(config, nats)
        .await
        .expect("projection starts");
    // Every process-wide and ingress family once, so that the exposition names them all.
    giro_telemetry::metrics::command("payout-create", "ok");
    giro_telemetry::metrics::event_appended("payout", "payout.requested");
    giro_telemetry::metrics::append_conflict("payout");
    giro_telemetry::metrics::provider_call("killb", "submit", "2xx", Duration::from_millis(5));
    giro_telemetry::metrics::dead_letter("executor", "killb");
    giro_telemetry::metrics::consumer_lag("giro-executor-killb", 0, 0);
    giro_telemetry::metrics::notification("payout", "succeeded");
    giro_telemetry::metrics::webhook_delivery("ops", "delivered");
    let ingress = giro_ingress::IngressMetrics::default();
    ingress.callback("killb", "stored");
    let mut known = exposed_names(&ingress.render());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = http_get(&format!("http://{}/metrics", projection.local_addr()))
            .await
            .expect("/metrics")
            .text()
            .await
            .unwrap();
        let names = exposed_names(&text);
        if names.contains("giro_projection_errors_total") {
            known.extend(names);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the projection counted no read error: {text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (mut queries, mut exprs) = (0, 0);
    for (title, target) in &targets {
        if let Some(sql) = target["rawSql"].as_str() {
            assert!(
                sql.contains("giro."),
                "{title}: tables are named with their schema"
            );
            // The dashboard's own SQL, read from the repository: no outside input.
            let sql = expand_macros(&sql.replace("giro.", &format!("{}.", schema.name)));
            if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .fetch_all(&schema.pool)
                .await
            {
                panic!("panel {title:?}: {e}\n{sql}");
            }
            queries += 1;
        }
        if let Some(expr) = target["expr"].as_str() {
            for name in metric_names(expr) {
                assert!(
                    known.contains(&name),
                    "panel {title:?} charts {name}, which no component exposes; they expose {known:?}"
                );
            }
            exprs += 1;
        }
    }
    assert!(
        queries >= 10 && exprs >= 10,
        "{queries} SQL and {exprs} PromQL targets"
    );
    projection.stop().await;
}

/// `ops/dev` asks NATS for JetStream before it runs anything; the probe must leave the script's
/// standard error alone, where cargo and nextest report (a bare `exec … 2>/dev/null` once
/// silenced it for the rest of the run, and CI saw no test at all).
#[test]
fn the_dev_script_keeps_its_standard_error_after_probing_nats() {
    let dev = ops_dir().join("dev");
    let nats_port = giro_eventlog::test_support::nats_url()
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
        .unwrap_or(4222);
    for (port, answers) in [(nats_port, true), (free_port(), false)] {
        let script = format!(
            "source <(sed -n '/^jetstream_on()/,/^}}/p' {dev}); NATS_PORT={port}; \
             if jetstream_on; then echo on; else echo off; fi; echo still-here >&2",
            dev = dev.display()
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stdout.trim(),
            if answers { "on" } else { "off" },
            "port {port}"
        );
        assert!(
            stderr.contains("still-here"),
            "port {port}: stderr was {stderr:?}"
        );
    }
}
