//! With every log at debug level, in text and in JSON, runs through intake, the executors, the
//! provider sandboxes, the ingress and the projection write no full account number, document
//! number, tax id, phone, e-mail, name, password, key, webhook secret or access token anywhere in
//! the logs: payouts that succeed, A55 charges (card and PIX), a beneficiary that becomes a KillB
//! account, refusals, server errors and answers lost until the order's outcome is unknown. The
//! order views replied by intake (rebuilt from the events, reasons included) hold none either.
//!
//! One subscriber serves the whole process; each test checks what was logged since it started.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use giro_domain::OrderId;
use giro_domain::charge::ChargeStatus;
use giro_domain::payout::PayoutStatus;
use giro_e2e::{Stack, StackOptions};
use giro_intake::{IntakeClient, Reply};
use giro_projection::ProjectionConfig;
use giro_projection::test_support::TestSchema;
use giro_sandbox::FaultSettings;
use giro_sandbox::a55::defaults::{
    CLIENT_ID as A55_CLIENT_ID, CLIENT_SECRET as A55_CLIENT_SECRET,
    WEBHOOK_SECRET as A55_WEBHOOK_SECRET,
};
use giro_sandbox::cashy::defaults::{CO_KEY, TZ_KEY};
use giro_sandbox::killb::defaults::{
    EMAIL as KILLB_EMAIL, PASSWORD as KILLB_PASSWORD, WEBHOOK_SECRET as KILLB_SECRET,
};
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt;

const WITHIN: Duration = Duration::from_secs(60);

/// Every log line, as written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    fn since(&self, from: usize) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()[from..]).to_string()
    }
}

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

/// The process's log capture: every event at debug level, once as text and once as JSON.
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let logs = Captured::default();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("debug"))
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(logs.clone())
                    .with_ansi(false),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(logs.clone()),
            );
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber per process");
        logs
    })
}

/// What must never be logged whatever ran: the credentials the stack was configured with.
const SECRETS: [(&str, &str); 6] = [
    ("KillB password", KILLB_PASSWORD),
    ("KillB webhook secret", KILLB_SECRET),
    ("Cashy CO key", CO_KEY),
    ("Cashy TZ key", TZ_KEY),
    ("A55 client secret", A55_CLIENT_SECRET),
    ("A55 webhook secret", A55_WEBHOOK_SECRET),
];

/// Markers after which only a mask may follow.
const MASKED_AFTER: [&str; 5] = [
    "Bearer ",
    "accessToken\":\"",
    "access_token\":\"",
    "refreshToken\":\"",
    "refresh_token\":\"",
];

/// Tokens the sandbox's own token endpoints issue (KillB login, A55 OAuth2): their shape is what
/// the logs are searched for, since the clients' tokens are others of the same shape.
async fn issued_tokens(stack: &Stack) -> Vec<String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client");
    let killb = stack.sandbox.killb_url().expect("killb");
    let login: Value = http
        .post(format!("{killb}/api/v2/auth/login"))
        .json(&json!({"email": KILLB_EMAIL, "password": KILLB_PASSWORD}))
        .send()
        .await
        .expect("KillB login answers")
        .json()
        .await
        .expect("KillB tokens");
    let a55 = stack.sandbox.a55_url().expect("a55");
    let oauth: Value = http
        .post(format!("{a55}/oauth2/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&client_id={A55_CLIENT_ID}\
             &client_secret={A55_CLIENT_SECRET}&scope=api/readwrite"
        ))
        .send()
        .await
        .expect("A55 token endpoint answers")
        .json()
        .await
        .expect("A55 token");
    let tokens: Vec<String> = [
        &login["accessToken"],
        &login["refreshToken"],
        &oauth["access_token"],
    ]
    .iter()
    .map(|t| t.as_str().expect("a token").to_string())
    .collect();
    for token in &tokens {
        assert!(
            token.rfind('_').is_some_and(|i| token.len() - i > 16),
            "tokens are <prefix>_<random>: {token}"
        );
    }
    tokens
}

/// The line of `text` around byte `at`.
fn line_at(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    &text[start..end]
}

/// Asserts the logs since `from` are substantial, come in both formats, and hold none of
/// `personal`, the configured secrets, or a token of the shape of `tokens`.
fn assert_clean_logs(from: usize, personal: &[(&str, &str)], tokens: &[String]) {
    let text = logs().since(from);
    assert!(
        text.lines().count() > 100,
        "debug logging captured too little to mean anything:\n{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with('{')) && text.lines().any(|l| !l.starts_with('{')),
        "both the text and the JSON layer write"
    );
    for (what, needle) in SECRETS.iter().chain(personal) {
        if let Some(at) = text.find(needle) {
            panic!("the logs hold a {what} ({needle}):\n{}", line_at(&text, at));
        }
    }
    for token in tokens {
        let prefix = &token[..=token.rfind('_').expect("a prefix")];
        for (at, _) in text.match_indices(prefix) {
            let random = text[at + prefix.len()..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .count();
            assert!(
                random < 16,
                "the logs hold an access or refresh token ({prefix}…):\n{}",
                line_at(&text, at)
            );
        }
    }
    for marker in MASKED_AFTER {
        for (at, _) in text.match_indices(marker) {
            assert!(
                text[at + marker.len()..].starts_with("***"),
                "the logs hold a token after {marker:?}:\n{}",
                line_at(&text, at)
            );
        }
    }
}

/// Asserts intake's views of `ids` (rebuilt from their events) hold none of `personal`.
async fn assert_clean_views(client: &IntakeClient, ids: &[String], personal: &[(&str, &str)]) {
    for id in ids {
        let view = client.get_order(id).await;
        assert!(view.ok, "{view:?}");
        let text = serde_json::to_string(&view).expect("a reply serializes");
        for (what, needle) in personal {
            assert!(!text.contains(needle), "{id}'s view holds a {what}: {text}");
        }
    }
}

fn strings(ids: &[OrderId]) -> Vec<String> {
    ids.iter().map(OrderId::to_string).collect()
}

fn order_id(reply: &Reply) -> OrderId {
    reply
        .str("order_id")
        .unwrap_or_else(|| panic!("an order: {reply:?}"))
        .parse()
        .expect("a UUID")
}

/// Creates a payout through intake.
async fn payout(
    client: &IntakeClient,
    key: &str,
    provider: &str,
    amount: &str,
    beneficiary: &Value,
) -> OrderId {
    let currency = if provider == "cashy-tz" { "TZS" } else { "COP" };
    let body = json!({"idempotency_key": key, "provider": provider, "amount": amount,
        "currency": currency, "external_id": key, "beneficiary": beneficiary});
    order_id(&client.create_payout(body.to_string()).await)
}

/// Waits until `ids` all have an event of type `wanted`, or `within` passes; true if they do.
async fn wait_event(stack: &Stack, ids: &[OrderId], wanted: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        let mut all = true;
        for id in ids {
            all &= stack.event_types(*id).await.contains(&wanted);
        }
        if all || Instant::now() > deadline {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn set_faults(stack: &Stack, faults: FaultSettings) {
    stack.sandbox.faults().set(faults).expect("faults set");
}

fn colombian() -> Value {
    json!({ "rail": "co_bank", "first_name": "Wilhelmina", "last_name": "Quintero",
        "email": "wilhelmina.q@example.org", "phone": "3157654321",
        "document": {"type": "CC", "number": "8001234567"},
        "bank_code": "007", "account_number": "40087654321", "account_type": "savings" })
}

fn tanzanian() -> Value {
    json!({"rail": "tz_mobile", "name": "Zawadi Mwakilema", "msisdn": "255713579246",
        "operator": "tigo", "email": "zawadi.m@example.org"})
}

const PAYEES: [(&str, &str); 10] = [
    ("account number", "40087654321"),
    ("document number", "8001234567"),
    ("phone", "3157654321"),
    ("msisdn", "713579246"),
    ("email", "wilhelmina.q@example.org"),
    ("email", "zawadi.m@example.org"),
    ("first name", "Wilhelmina"),
    ("last name", "Quintero"),
    ("first name", "Zawadi"),
    ("last name", "Mwakilema"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_hold_no_personal_data_or_secret() {
    let from = logs().len();
    let stack = Stack::start(StackOptions::default()).await;
    let tokens = issued_tokens(&stack).await;
    let (intake, client) = stack.start_intake().await;
    let schema = TestSchema::new();
    let projection = stack
        .start_projection(
            &schema,
            ProjectionConfig {
                batch_size: 50,
                linger: Duration::from_millis(5),
                ..ProjectionConfig::default()
            },
        )
        .await;
    let (person, wallet) = (colombian(), tanzanian());
    let ids = vec![
        payout(&client, "logs-killb", "killb", "500000", &person).await,
        payout(&client, "logs-cashy-co", "cashy-co", "150000", &person).await,
        payout(&client, "logs-cashy-tz", "cashy-tz", "5000", &wallet).await,
    ];
    // Refused by intake: the refusal names the field, never its value.
    let bad = json!({"idempotency_key": "logs-bad", "provider": "cashy-co", "amount": "150000",
        "currency": "COP", "beneficiary": {"rail": "co_bank", "phone": "3157654321"}});
    let refused = client.create_payout(bad.to_string()).await;
    assert!(!refused.ok, "{refused:?}");
    let statuses = stack
        .wait_for(&ids, WITHIN, |s| s == PayoutStatus::Succeeded)
        .await;
    assert!(
        statuses.iter().all(|s| *s == PayoutStatus::Succeeded),
        "{statuses:?}"
    );
    assert_clean_views(&client, &strings(&ids), &PAYEES).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    projection.stop().await;
    intake.stop().await;
    assert_clean_logs(from, &PAYEES, &tokens);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payout_refusals_errors_and_lost_answers_log_no_personal_data_or_secret() {
    let from = logs().len();
    let stack = Stack::start(StackOptions::default()).await;
    let tokens = issued_tokens(&stack).await;
    let (intake, client) = stack.start_intake().await;
    let (person, wallet) = (colombian(), tanzanian());

    // Refused by the providers (KillB REJECTED, Cashy FAIL): this also fetches the tokens and
    // Cashy's bank list the lost answers below would otherwise lose too.
    let refused = vec![
        payout(&client, "err-killb", "killb", "500013", &person).await,
        payout(&client, "err-cashy-co", "cashy-co", "150011", &person).await,
        payout(&client, "err-cashy-tz", "cashy-tz", "5011", &wallet).await,
    ];
    let statuses = stack
        .wait_for(&refused, WITHIN, |s| s == PayoutStatus::Failed)
        .await;
    assert!(
        statuses.iter().all(|s| *s == PayoutStatus::Failed),
        "{statuses:?}"
    );

    // Every answer lost: Cashy's payouts become outcome_unknown. KillB's balance is read before
    // each payout, so KillB loses only half of them, to get past it.
    set_faults(
        &stack,
        FaultSettings {
            lose_response: 1.0,
            ..FaultSettings::default()
        },
    );
    let lost = vec![
        payout(&client, "lost-cashy-co", "cashy-co", "160000", &person).await,
        payout(&client, "lost-cashy-tz", "cashy-tz", "6000", &wallet).await,
    ];
    assert!(
        wait_event(&stack, &lost, "payout.outcome_unknown", WITHIN).await,
        "lost answers make the outcome unknown"
    );
    set_faults(
        &stack,
        FaultSettings {
            lose_response: 0.5,
            ..FaultSettings::default()
        },
    );
    let mut killb = vec![];
    for i in 0..3 {
        let key = format!("lost-killb-{i}");
        killb.push(payout(&client, &key, "killb", &format!("60{i}000"), &person).await);
    }
    wait_event(
        &stack,
        &killb,
        "payout.outcome_unknown",
        Duration::from_secs(5),
    )
    .await;

    // Server errors: KillB's and Cashy's 5xx answers go into errors and reasons.
    set_faults(
        &stack,
        FaultSettings {
            error_5xx: 1.0,
            ..FaultSettings::default()
        },
    );
    let failing = vec![
        payout(&client, "5xx-cashy-tz", "cashy-tz", "7000", &wallet).await,
        payout(&client, "5xx-killb", "killb", "700000", &person).await,
    ];
    tokio::time::sleep(Duration::from_secs(2)).await;
    set_faults(&stack, FaultSettings::default());

    let settled: Vec<OrderId> = lost.iter().chain(&killb).chain(&failing).copied().collect();
    let statuses = stack
        .wait_for(&settled, WITHIN, |s| s == PayoutStatus::Succeeded)
        .await;
    assert!(
        statuses.iter().all(|s| *s == PayoutStatus::Succeeded),
        "{statuses:?}"
    );
    let all: Vec<OrderId> = refused.iter().chain(&settled).copied().collect();
    assert_clean_views(&client, &strings(&all), &PAYEES).await;
    intake.stop().await;
    assert_clean_logs(from, &PAYEES, &tokens);
}

const PAYER: [(&str, &str); 5] = [
    ("payer first name", "Joaquina"),
    ("payer last name", "Bettencourt"),
    ("payer email", "joaquina.b@example.com.br"),
    ("payer CPF", "39053344705"),
    ("payer phone", "988776655"),
];

async fn charge(client: &IntakeClient, key: &str, amount: &str, method: &str) -> OrderId {
    let body = json!({
        "idempotency_key": key, "provider": "a55", "amount": amount, "currency": "BRL",
        "installment_count": 1, "method": method,
        "payer": {"name": "Joaquina Bettencourt", "email": "joaquina.b@example.com.br",
                  "tax_id": "39053344705", "phone": "+5521988776655",
                  "address": {"street": "Rua Augusta", "address_number": "1508",
                              "complement": "Apto 71", "neighborhood": "Consolacao",
                              "city": "Sao Paulo", "state": "SP", "postal_code": "01304-001",
                              "country": "BR"}},
        "due_date": "2030-12-31", "description": "Order 77",
        "redirect_url": "https://shop.example.com/done"
    });
    order_id(&client.create_charge(body.to_string()).await)
}

async fn settled(stack: &Stack, id: OrderId) -> ChargeStatus {
    stack
        .wait_charge(id, WITHIN, |c| {
            c.status.is_terminal() && c.refund_requested.is_none()
        })
        .await
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charges_log_no_payer_data_or_secret() {
    let from = logs().len();
    let stack = Stack::start(StackOptions::default()).await;
    let tokens = issued_tokens(&stack).await;
    let (intake, client) = stack.start_intake().await;

    let card = charge(&client, "logs-card", "150.00", "credit_card").await;
    let pix = charge(&client, "logs-pix", "170.00", "pix").await;
    // Refused by A55: the card is declined, the PIX payer rejected by antifraud.
    let declined = charge(&client, "logs-declined", "211.00", "credit_card").await;
    let rejected = charge(&client, "logs-rejected", "213.00", "pix").await;
    assert_eq!(settled(&stack, card).await, ChargeStatus::Paid);
    assert_eq!(settled(&stack, pix).await, ChargeStatus::Paid);
    assert_eq!(settled(&stack, declined).await, ChargeStatus::Failed);
    assert_eq!(settled(&stack, rejected).await, ChargeStatus::Failed);

    // The creation's answer is lost (the token is cached by now); A55's webhook or a later read
    // resolves it once answers come through again.
    set_faults(
        &stack,
        FaultSettings {
            lose_response: 1.0,
            ..FaultSettings::default()
        },
    );
    let lost = charge(&client, "logs-lost", "180.00", "credit_card").await;
    stack
        .wait_charge(lost, Duration::from_secs(10), |c| c.attempt >= 1)
        .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    set_faults(&stack, FaultSettings::default());
    assert_eq!(settled(&stack, lost).await, ChargeStatus::Paid);

    let all = [card, pix, declined, rejected, lost];
    assert_clean_views(&client, &strings(&all), &PAYER).await;
    intake.stop().await;
    assert_clean_logs(from, &PAYER, &tokens);
}

const HOLDERS: [(&str, &str); 8] = [
    ("first name", "Leocadia"),
    ("last name", "Villarreal"),
    ("email", "leocadia.v@example.net"),
    ("phone", "3209876543"),
    ("account number", "55500012347"),
    ("account number", "55500012341"),
    ("document number", "1098765432"),
    ("document number", "1098765431"),
];

fn pse(key: &str, account_number: &str, document: &str) -> Value {
    json!({"idempotency_key": key, "type": "PSE", "data": {
        "first_name": "Leocadia", "last_name": "Villarreal", "email": "leocadia.v@example.net",
        "phone": "+573209876543", "country_code": "CO", "account_number": account_number,
        "bank_code": "0001", "account_type": "savings",
        "document": {"type": "NUIP", "number": document, "issued_country_code": "CO"}}})
}

/// Waits until intake's view of `id` has `status`.
async fn wait_status(client: &IntakeClient, id: &str, status: &str) {
    let deadline = Instant::now() + WITHIN;
    loop {
        let reply = client.get_order(id).await;
        if reply.str("status") == Some(status) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{id} never reached {status}: {reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beneficiary_accounts_log_no_holder_data_or_secret() {
    let from = logs().len();
    let mut stack = Stack::start(StackOptions::default()).await;
    stack.start_beneficiary_executor().await;
    let tokens = issued_tokens(&stack).await;
    let (intake, client) = stack.start_intake().await;

    let mut ids = vec![];
    for (key, account, document) in [
        ("logs-active", "55500012347", "1098765432"),
        // KillB rejects this account (its number ends in 1).
        ("logs-rejected", "55500012341", "1098765431"),
    ] {
        let reply = client
            .register_beneficiary(pse(key, account, document).to_string())
            .await;
        assert!(reply.ok, "{reply:?}");
        ids.push(reply.str("beneficiary_id").expect("an id").to_string());
    }
    wait_status(&client, &ids[0], "ACTIVE").await;
    wait_status(&client, &ids[1], "REJECTED").await;

    // Paid by id: the account's details reach KillB from the registration.
    let body = json!({"idempotency_key": "logs-pay-active", "provider": "killb",
        "amount": "150000", "currency": "COP", "external_id": "logs-pay-active",
        "beneficiary_id": ids[0]});
    let paid = order_id(&client.create_payout(body.to_string()).await);
    wait_status(&client, &paid.to_string(), "succeeded").await;

    ids.push(paid.to_string());
    assert_clean_views(&client, &ids, &HOLDERS).await;
    intake.stop().await;
    assert_clean_logs(from, &HOLDERS, &tokens);
}
