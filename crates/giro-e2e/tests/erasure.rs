//! Erasure (issue #20): a payout paid to a person through the sandboxes, then
//! `giro.cmd.privacy.erase`. Its personal data is never in the stream in clear (sealed with the
//! order's key from the first event); after erasure the order still rebuilds with its amount,
//! status and history while every personal field reads `[erased]`: intake's order view, the read
//! models (rows, timeline, query API), a rebuild of the read models from the stream, and the
//! logs. Erasing a payout that is not final is refused; erasing twice is a repeat.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use giro_domain::OrderId;
use giro_domain::payout::{PayoutDecider, PayoutStatus};
use giro_domain::seal::Sealing;
use giro_e2e::{Stack, StackOptions};
use giro_intake::{IntakeClient, Reply};
use giro_projection::ProjectionConfig;
use giro_projection::test_support::TestSchema;
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt;

const WITHIN: Duration = Duration::from_secs(60);

/// Every log line, as written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The process's log capture: every event at debug level, as JSON.
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let logs = Captured::default();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("debug"))
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(logs.clone()),
            );
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber per process");
        logs
    })
}

fn person() -> Value {
    json!({ "rail": "co_bank", "first_name": "Eufrasia", "last_name": "Benavides",
        "email": "eufrasia.b@example.org", "phone": "3209876543",
        "document": {"type": "CC", "number": "1029384756"},
        "bank_code": "007", "account_number": "50012345678", "account_type": "savings" })
}

/// The person's data, none of which may be readable in clear anywhere (masked renderings
/// are allowed until the erasure, and checked separately after it).
const PERSONAL: [(&str, &str); 6] = [
    ("account number", "50012345678"),
    ("document number", "1029384756"),
    ("phone", "3209876543"),
    ("email", "eufrasia.b@example.org"),
    ("first name", "Eufrasia"),
    ("last name", "Benavides"),
];

fn assert_holds_none(what: &str, text: &str) {
    for (field, value) in PERSONAL {
        assert!(
            !text.contains(value),
            "{what} holds the {field} {value}: {text}"
        );
    }
}

fn order_id(reply: &Reply) -> OrderId {
    reply
        .str("order_id")
        .unwrap_or_else(|| panic!("an order: {reply:?}"))
        .parse()
        .expect("a UUID")
}

async fn payout(client: &IntakeClient, key: &str, provider: &str, amount: &str) -> OrderId {
    let body = json!({"idempotency_key": key, "provider": provider, "amount": amount,
        "currency": "COP", "external_id": key, "beneficiary": person()});
    order_id(&client.create_payout(body.to_string()).await)
}

/// Every stored payload of the stack's stream, as the `nats` CLI shows them.
async fn raw_stream(stack: &Stack) -> String {
    let js = stack.log.log.context();
    let stream = js.get_stream(&stack.log.config.stream).await.unwrap();
    let last = stream.cached_info().state.last_sequence;
    let mut text = String::new();
    for seq in 1..=last {
        if let Ok(m) = stream.direct_get(seq).await {
            text.push_str(&String::from_utf8_lossy(&m.payload));
            text.push('\n');
        }
    }
    assert!(
        text.contains("payout.requested"),
        "the stream holds the orders"
    );
    text
}

/// The payout's personal columns and timeline in `schema`, as text.
async fn read_models(schema: &TestSchema, id: OrderId) -> (String, String) {
    let row: Option<String> =
        sqlx::query_scalar("SELECT beneficiary_masked::text FROM payouts WHERE order_id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&schema.pool)
            .await
            .unwrap();
    let timeline: Vec<String> =
        sqlx::query_scalar("SELECT data::text FROM payout_events WHERE order_id = $1")
            .bind(id.as_uuid())
            .fetch_all(&schema.pool)
            .await
            .unwrap();
    (row.unwrap_or_default(), timeline.join("\n"))
}

fn projection_config(stack: &Stack, schema: &TestSchema) -> ProjectionConfig {
    ProjectionConfig {
        database_url: schema.database_url.clone(),
        schema: schema.name.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        log: stack.log.config.clone(),
        batch_size: 50,
        linger: Duration::from_millis(5),
        ..ProjectionConfig::default()
    }
}

/// Waits until the payout's row and timeline show its personal data erased.
async fn wait_erased_rows(schema: &TestSchema, id: OrderId) -> (String, String) {
    let deadline = Instant::now() + WITHIN;
    loop {
        let (row, timeline) = read_models(schema, id).await;
        let erased =
            row.contains("[erased]") && timeline.contains("[erased]") && !timeline.contains("***");
        if erased || Instant::now() > deadline {
            return (row, timeline);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_payout_keeps_amount_status_and_history_and_shows_no_personal_data() {
    let from = logs().0.lock().unwrap().len();
    let mut stack = Stack::start(StackOptions::default()).await;
    let (intake, client) = stack.start_intake().await;
    let schema = TestSchema::new();
    let config = projection_config(&stack, &schema);
    let projection = giro_projection::start(config.clone(), stack.log.client.clone())
        .await
        .expect("projection starts");

    let paid = payout(&client, "erase-paid", "cashy-co", "150000").await;
    let statuses = stack
        .wait_for(&[paid], WITHIN, |s| s == PayoutStatus::Succeeded)
        .await;
    assert_eq!(statuses, [PayoutStatus::Succeeded]);
    // Sealed from the first event: nothing personal in clear in the stream even now.
    assert_holds_none("the stream before erasure", &raw_stream(&stack).await);
    let before = client.get_order(&paid.to_string()).await;
    assert!(
        serde_json::to_string(&before).unwrap().contains("****5678"),
        "before erasure the view shows the masked account: {before:?}"
    );

    // A payout a provider may still have keeps its data: refused, naming why.
    stack.kill_executor("killb").await;
    let open = payout(&client, "erase-open", "killb", "500000").await;
    let refused = client
        .erase_order(&open.to_string(), "data subject request")
        .await;
    assert!(!refused.ok, "{refused:?}");
    let error = refused.error.as_ref().expect("a refusal");
    assert_eq!(error.code.as_str(), "invalid_state", "{refused:?}");
    assert!(error.message.contains("requested"), "{refused:?}");
    let missing = client
        .erase_order("0193c6e5-7b7a-7c3e-9f1a-2b3c4d5e6f70", "x")
        .await;
    assert_eq!(missing.error.map(|e| e.code.as_str()), Some("not_found"));

    let erased = client
        .erase_order(&paid.to_string(), "data subject request")
        .await;
    assert!(erased.ok, "{erased:?}");
    assert_eq!(erased.str("kind"), Some("payout"));
    assert_eq!(erased.body.get("duplicate"), Some(&json!(false)));
    let again = client
        .erase_order(&paid.to_string(), "data subject request")
        .await;
    assert!(again.ok, "{again:?}");
    assert_eq!(again.body.get("duplicate"), Some(&json!(true)));
    let subject = stack.log.log.subject::<PayoutDecider>(paid);
    assert!(matches!(
        stack.log.log.keys().sealing(&subject).await.unwrap(),
        Some(Sealing::Erased)
    ));

    // The order still rebuilds from its events: amount, status, history; the person is gone.
    let fresh = giro_eventlog::EventLog::open(stack.log.client.clone(), stack.log.config.clone())
        .await
        .unwrap();
    let order = fresh.load_from_start::<PayoutDecider>(paid).await.unwrap();
    let p = order.state.expect("the payout rebuilds");
    assert_eq!(p.status, PayoutStatus::Succeeded);
    assert_eq!(p.request.money.amount().to_string(), "150000");
    assert!(p.personal_data_erased);
    let holder = p.request.beneficiary.holder_name();
    assert!(
        holder.contains("[erased]") && !holder.contains("Eufrasia"),
        "{holder}"
    );
    let types: Vec<&str> = order
        .events
        .iter()
        .map(|e| giro_domain::EventType::event_type(&e.event))
        .collect();
    assert_eq!(types.first(), Some(&"payout.requested"));
    assert!(types.contains(&"payout.succeeded"), "{types:?}");
    assert_eq!(types.last(), Some(&"payout.personal_data_erased"));

    let view = client.get_order(&paid.to_string()).await;
    assert!(view.ok, "{view:?}");
    let view_text = serde_json::to_string(&view).unwrap();
    assert_holds_none("intake's order view", &view_text);
    assert!(
        view_text.contains("[erased]") && !view_text.contains("***"),
        "{view_text}"
    );
    assert_eq!(view.str("status"), Some("succeeded"));
    assert_holds_none("the stream after erasure", &raw_stream(&stack).await);

    // The read models: rows and timeline, and the query API over them.
    let (row, timeline) = wait_erased_rows(&schema, paid).await;
    assert!(row.contains("[erased]"), "{row}");
    assert!(
        !row.contains("***") && !timeline.contains("***"),
        "{row}\n{timeline}"
    );
    assert_holds_none("the payouts row", &row);
    assert_holds_none("the timeline", &timeline);
    let http = reqwest::Client::new();
    let api = format!("http://{}/v1/payouts/{paid}", projection.local_addr());
    let shown = http.get(&api).send().await.unwrap().text().await.unwrap();
    assert!(
        shown.contains("150000") && shown.contains("succeeded"),
        "{shown}"
    );
    assert!(
        shown.contains("[erased]") && !shown.contains("***"),
        "{shown}"
    );
    assert_holds_none("the query API", &shown);

    // Rebuilt from the stream after erasure: still erased.
    projection.stop().await;
    giro_projection::rebuild(&config, stack.log.client.clone())
        .await
        .expect("rebuild");
    let (row, timeline) = read_models(&schema, paid).await;
    assert!(row.contains("[erased]") && !row.contains("***"), "{row}");
    assert!(!timeline.contains("***"), "{timeline}");
    assert_holds_none("the rebuilt payouts row", &row);
    assert_holds_none("the rebuilt timeline", &timeline);

    intake.stop().await;
    let logged = String::from_utf8_lossy(&logs().0.lock().unwrap()[from..]).to_string();
    assert!(
        logged.lines().count() > 50,
        "too little was logged to mean anything"
    );
    assert!(
        logged.contains("personal data erased"),
        "the erasure is logged"
    );
    assert_holds_none("the logs", &logged);
}
