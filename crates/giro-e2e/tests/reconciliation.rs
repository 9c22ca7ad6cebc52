//! Money agrees with the provider (issue #17), end to end on the real stack: the Cashy sandbox pays
//! one payout 1 % short (scenario `…21`), charges its fee on every success and reverses one
//! payout (`…17`). The short payment is a `payout.discrepancy` and an exception; Giro's read
//! models and the sandbox's statement for the day then match line by line, to the cent, and the
//! settlement report's totals are the statement's sums. A statement that says otherwise is named
//! line by line.

use std::time::{Duration, Instant};

use giro_domain::OrderId;
use giro_domain::payout::PayoutStatus;
use giro_e2e::{Stack, StackOptions};
use giro_projection::test_support::TestSchema;
use giro_projection::{ProjectionConfig, ProjectionHandle};
use rust_decimal::Decimal;
use serde_json::Value;

const WITHIN: Duration = Duration::from_secs(60);
const PROVIDER: &str = "cashy-co";

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn get_json(url: &str) -> Value {
    let response = http().get(url).send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "GET {url}: {status} {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: {e}: {body}"))
}

/// Waits until the projection shows every order in its final status with the provider's figures.
async fn projected(api: &str, ids: &[(OrderId, &str)]) {
    let deadline = Instant::now() + WITHIN;
    let mut last = Value::Null;
    loop {
        let mut done = true;
        for (id, status) in ids {
            let response = http()
                .get(format!("{api}/v1/payouts/{id}"))
                .send()
                .await
                .unwrap();
            if !response.status().is_success() {
                last = Value::String(format!(
                    "{}: {}",
                    response.status(),
                    response.text().await.unwrap()
                ));
                done = false;
                break;
            }
            let v: Value = response.json().await.unwrap();
            done &= v["status"] == *status && !v["provider_status"].is_null();
            last = v;
        }
        if done {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the projection did not catch up: {last}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn start_projection(stack: &Stack, schema: &TestSchema) -> ProjectionHandle {
    stack
        .start_projection(
            schema,
            ProjectionConfig {
                batch_size: 50,
                linger: Duration::from_millis(5),
                ..ProjectionConfig::default()
            },
        )
        .await
}

async fn reconcile(api: &str, statement: &str) -> Value {
    let response = http()
        .post(format!("{api}/v1/reconcile"))
        .body(statement.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The sum of column `n` of the statement's lines with `status`.
fn column_sum(statement: &str, n: usize, status: &str) -> Decimal {
    statement
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[4] == status)
        .map(|f| f[n].parse::<Decimal>().unwrap_or_default())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_payment_a_fee_and_a_reversal_reconcile_to_the_cent() {
    let stack = Stack::start(StackOptions::default()).await;
    let paid = stack.create("rec-paid", PROVIDER, "150000").await;
    let short = stack.create("rec-short", PROVIDER, "150021").await;
    let reversed = stack.create("rec-reversed", PROVIDER, "150017").await;
    let statuses = stack
        .wait_for(&[paid, short, reversed], WITHIN, |s| s.is_terminal())
        .await;
    assert_eq!(
        statuses[..2],
        [PayoutStatus::Succeeded, PayoutStatus::Succeeded]
    );
    let reversal = stack
        .wait_for(&[reversed], WITHIN, |s| s == PayoutStatus::Reversed)
        .await;
    assert_eq!(reversal, [PayoutStatus::Reversed]);
    // The short payment is recorded against the order; the others are not.
    assert!(
        stack
            .event_types(short)
            .await
            .contains(&"payout.discrepancy")
    );
    assert!(
        !stack
            .event_types(paid)
            .await
            .contains(&"payout.discrepancy")
    );
    assert!(
        !stack
            .event_types(reversed)
            .await
            .contains(&"payout.discrepancy")
    );

    let schema = TestSchema::new();
    let projection = start_projection(&stack, &schema).await;
    let api = format!("http://{}", projection.local_addr());
    projected(
        &api,
        &[
            (paid, "succeeded"),
            (short, "succeeded"),
            (reversed, "reversed"),
        ],
    )
    .await;

    let view = get_json(&format!("{api}/v1/payouts/{short}")).await;
    let dec = |v: &Value| {
        v.as_str()
            .unwrap_or_else(|| panic!("a decimal string, got {v}"))
            .parse::<Decimal>()
            .unwrap()
    };
    assert_eq!(dec(&view["amount"]), Decimal::new(150_021, 0));
    assert_eq!(
        dec(&view["reported_amount"]),
        Decimal::new(148_520, 0),
        "1 % short, whole pesos"
    );
    assert_eq!(
        dec(&view["fee"]),
        Decimal::new(148_520, 2),
        "1 % of what was paid"
    );
    assert!(view["channel_ref"].is_string() && view["provider_completed_at"].is_string());

    // The short payment's difference, and the reversal (a success taken back) beside it.
    let exceptions = get_json(&format!("{api}/v1/exceptions")).await;
    let kinds: Vec<&str> = exceptions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    assert_eq!(kinds.len(), 2, "{exceptions}");
    assert!(kinds.contains(&"reversed"), "{exceptions}");
    let exceptions = get_json(&format!("{api}/v1/exceptions?kind=discrepancy")).await;
    let items = exceptions["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{exceptions}");
    assert_eq!(items[0]["order_id"], short.to_string());
    assert_eq!(items[0]["kind"], "discrepancy");
    let reason = items[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("148520") && reason.contains("150021"),
        "{reason}"
    );

    // The sandbox's statement of the day and Giro agree line by line.
    let today = chrono::Utc::now().date_naive();
    let sandbox = stack
        .sandbox
        .servers()
        .into_iter()
        .find(|(name, _)| PROVIDER.starts_with(name))
        .map(|(_, url)| url)
        .expect("the Cashy simulator runs");
    let statement = http()
        .get(format!(
            "{sandbox}/_sandbox/{PROVIDER}/statement?date={today}"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(statement.lines().count(), 4, "{statement}");
    let matched = reconcile(&api, &statement).await;
    assert_eq!(matched["agrees"], true, "{matched}");
    assert_eq!(matched["matched"], 3);
    println!(
        "statement of {today}: {} lines, all matched",
        matched["lines"]
    );

    // The settlement report's totals are the statement's sums, to the cent.
    let report = get_json(&format!(
        "{api}/v1/settlement?provider={PROVIDER}&date={today}"
    ))
    .await;
    let cop = &report["totals"]["COP"];
    assert_eq!(cop["paid"]["count"], 2);
    assert_eq!(
        dec(&cop["paid"]["amount"]),
        column_sum(&statement, 5, "SUCCESS")
    );
    assert_eq!(dec(&cop["paid"]["amount"]), Decimal::new(298_520, 0));
    assert_eq!(cop["reversed"]["count"], 1);
    assert_eq!(
        dec(&cop["reversed"]["amount"]),
        column_sum(&statement, 5, "FAIL")
    );
    assert_eq!(dec(&cop["fees"]), column_sum(&statement, 7, "SUCCESS"));
    assert_eq!(dec(&cop["fees"]), Decimal::new(298_520, 2));
    println!(
        "settlement {PROVIDER} {today}: paid {} COP, fees {} COP, reversed {} COP",
        cop["paid"]["amount"], cop["fees"], cop["reversed"]["amount"]
    );
    // The ledger's books say the same: what was paid and the fees kept (the reversal gave its
    // fee back, its FAIL naming none), and the pre-fund moved by exactly their sum.
    let books = get_json(&format!("{api}/v1/ledger/balances?provider={PROVIDER}")).await;
    let book = |name: &str| {
        let account = format!("{PROVIDER}:{name}");
        books["balances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["account"] == account.as_str() && b["currency"] == "COP")
            .map(|b| dec(&b["balance"]))
            .unwrap_or_else(|| panic!("no {account} in {books}"))
    };
    assert_eq!(book("fees"), dec(&cop["fees"]), "{books}");
    assert_eq!(book("paid_out"), dec(&cop["paid"]["amount"]), "{books}");
    assert_eq!(
        book("prefund"),
        -(dec(&cop["paid"]["amount"]) + dec(&cop["fees"])),
        "{books}"
    );

    // A statement that says otherwise is named line by line: another amount, a line Giro does not
    // know, a paid order left out.
    let mut lines: Vec<String> = statement.lines().map(str::to_string).collect();
    let paid_line = lines
        .iter()
        .position(|l| l.contains(",SUCCESS,150000"))
        .expect("the full payment's line");
    let removed = lines.remove(paid_line);
    let short_line = lines
        .iter()
        .position(|l| l.contains(",SUCCESS,148520"))
        .expect("the short payment's line");
    lines[short_line] = lines[short_line].replace(",148520", ",148000");
    let stranger = giro_domain::SubmissionHandle {
        order_id: OrderId::from_uuid(uuid::Uuid::new_v4()),
        attempt: 1,
    };
    lines.push(format!(
        "{today},{PROVIDER},{stranger},X-1,SUCCESS,1000,COP,10,,"
    ));
    let altered = reconcile(&api, &(lines.join("\n") + "\n")).await;
    assert_eq!(altered["agrees"], false);
    let different = altered["different"].as_array().unwrap();
    assert_eq!(different.len(), 1, "{altered}");
    assert_eq!(different[0]["order_id"], short.to_string());
    assert_eq!(different[0]["field"], "amount");
    assert_eq!(
        (
            different[0]["giro"].as_str(),
            different[0]["statement"].as_str()
        ),
        (Some("148520"), Some("148000"))
    );
    assert_eq!(
        altered["missing"][0]["order_id"],
        paid.to_string(),
        "{removed}"
    );
    assert_eq!(altered["extra"].as_array().unwrap().len(), 1);
    projection.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pre_funded_balance_read_for_a_payout_reaches_the_treasury_view() {
    let stack = Stack::start(StackOptions::default()).await;
    let id = stack.create("treasury-killb", "killb", "500000").await;
    let statuses = stack.wait_for(&[id], WITHIN, |s| s.is_terminal()).await;
    assert_eq!(statuses, [PayoutStatus::Succeeded]);
    let schema = TestSchema::new();
    let projection = stack
        .start_projection(
            &schema,
            ProjectionConfig {
                linger: Duration::from_millis(5),
                low_balance: giro_projection::treasury::parse_low_balance(
                    "killb:COP:999999999999999",
                )
                .unwrap(),
                ..ProjectionConfig::default()
            },
        )
        .await;
    let api = format!("http://{}", projection.local_addr());
    // The executor read the balance to reserve the payout and kept the reading.
    let deadline = Instant::now() + WITHIN;
    let account = loop {
        let t = get_json(&format!("{api}/v1/treasury")).await;
        let killb = t["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["provider"] == "killb" && a["currency"] == "COP")
            .cloned();
        if let Some(a) = killb.filter(|a| !a["balance"].is_null()) {
            break a;
        }
        assert!(Instant::now() < deadline, "no balance reading: {t}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let balance: Decimal = account["balance"].as_str().unwrap().parse().unwrap();
    assert!(balance > Decimal::ZERO, "{account}");
    assert_eq!(
        account["low"], true,
        "below the configured threshold: {account}"
    );
    let exceptions = get_json(&format!("{api}/v1/exceptions")).await;
    assert_eq!(
        exceptions["accounts"][0]["kind"], "low_balance",
        "{exceptions}"
    );
    let metrics = giro_telemetry::metrics::render();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("giro_provider_balance{") && l.contains("provider=\"killb\"")),
        "{metrics}"
    );
    println!("killb COP balance read for the payout: {balance}");
    // With no payout reserving, the executor's sweep reads the balance again (every claim
    // time-out: 3 s here), so the reading never goes stale while the executor runs.
    let first = account["balance_at"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let t = get_json(&format!("{api}/v1/treasury")).await;
        let at = t["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["provider"] == "killb")
            .and_then(|a| a["balance_at"].as_str().map(str::to_string));
        if at.as_deref().is_some_and(|at| at > first.as_str()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the balance was not read again: {t}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    projection.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_account_with_a_balance_api_is_read_from_the_start() {
    // No payout at all: the executors read each payout instance's balance when they start
    // (KillB's pre-fund, each Cashy merchant's getBalance), so treasury shows every account
    // before its first payout.
    let stack = Stack::start(StackOptions::default()).await;
    let schema = TestSchema::new();
    let projection = start_projection(&stack, &schema).await;
    let api = format!("http://{}", projection.local_addr());
    let wanted = [("killb", "COP"), ("cashy-co", "COP"), ("cashy-tz", "TZS")];
    let deadline = Instant::now() + WITHIN;
    let accounts = loop {
        let t = get_json(&format!("{api}/v1/treasury")).await;
        let read: Vec<Value> = wanted
            .iter()
            .filter_map(|(provider, currency)| {
                t["accounts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|a| {
                        a["provider"] == *provider
                            && a["currency"] == *currency
                            && a["balance"].is_string()
                    })
                    .cloned()
            })
            .collect();
        if read.len() == wanted.len() {
            break read;
        }
        assert!(Instant::now() < deadline, "not every account read: {t}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for a in &accounts {
        let balance: Decimal = a["balance"].as_str().unwrap().parse().unwrap();
        assert!(balance > Decimal::ZERO, "{a}");
        println!(
            "{} {} balance read at start: {balance}",
            a["provider"], a["currency"]
        );
    }
    let metrics = giro_telemetry::metrics::render();
    for (provider, currency) in wanted {
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("giro_provider_balance{")
                    && l.contains(&format!("provider=\"{provider}\""))
                    && l.contains(&format!("currency=\"{currency}\""))),
            "no gauge for {provider} {currency}: {metrics}"
        );
    }
    projection.stop().await;
}
