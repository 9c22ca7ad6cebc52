//! Charges agree with A55 (issue #17), end to end on the real stack: two charges are paid and one
//! refunded in full at the A55 sandbox; the sandbox's statement of the day (A55 documents none:
//! the sandbox's own, in the statement format) reconciles with Giro's charges to the cent and the
//! settlement report's totals are the statement's sums. A statement line altered is a difference
//! named with its kind, recorded as a `charge.discrepancy` (as `giro reconcile --statement`
//! records it) and listed as an exception.

use std::time::{Duration, Instant};

use giro_domain::OrderId;
use giro_domain::charge::{
    ChargeCommand, ChargeStatus, Discrepancy, DiscrepancyField, DiscrepancySource,
};
use giro_e2e::{Stack, StackOptions};
use giro_projection::test_support::TestSchema;
use giro_projection::{ProjectionConfig, ProjectionHandle};
use rust_decimal::Decimal;
use serde_json::Value;

const WITHIN: Duration = Duration::from_secs(60);
const PROVIDER: &str = "a55";

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

/// The sum of the amounts of the statement's lines with `status`.
fn amount_sum(statement: &str, status: &str) -> Decimal {
    statement
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[4] == status)
        .map(|f| f[5].parse::<Decimal>().unwrap())
        .sum()
}

/// Waits until the day's settlement lists every charge in its final status.
async fn settled(api: &str, day: &str, ids: &[(OrderId, &str)]) -> Value {
    let deadline = Instant::now() + WITHIN;
    loop {
        let report = get_json(&format!(
            "{api}/v1/settlement?provider={PROVIDER}&date={day}"
        ))
        .await;
        let orders = report["orders"].as_array().cloned().unwrap_or_default();
        let listed = ids.iter().all(|(id, status)| {
            orders
                .iter()
                .any(|o| o["order_id"] == id.to_string() && o["status"] == *status)
        });
        if listed && orders.len() == ids.len() {
            return report;
        }
        assert!(
            Instant::now() < deadline,
            "the projection did not catch up: {report}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_and_refunded_charges_reconcile_with_the_a55_statement_to_the_cent() {
    let stack = Stack::start(StackOptions::default()).await;
    let first = stack.create_charge("rec-ch-1", "150.00", "pix").await;
    let second = stack.create_charge("rec-ch-2", "130.00", "pix").await;
    let refunded = stack.create_charge("rec-ch-3", "120.00", "pix").await;
    for id in [first, second, refunded] {
        let c = stack
            .wait_charge(id, WITHIN, |c| c.status.is_terminal())
            .await;
        assert_eq!(c.status, ChargeStatus::Paid, "{c:?}");
    }
    stack
        .charge_command(
            refunded,
            ChargeCommand::Refund {
                amount: None,
                reason: Some("returned".into()),
            },
        )
        .await
        .unwrap();
    let c = stack
        .wait_charge(refunded, WITHIN, |c| c.status == ChargeStatus::Refunded)
        .await;
    assert_eq!(c.refunded, Decimal::new(12000, 2));

    let schema = TestSchema::new();
    let projection = start_projection(&stack, &schema).await;
    let api = format!("http://{}", projection.local_addr());
    let today = chrono::Utc::now().date_naive();
    let report = settled(
        &api,
        &today.to_string(),
        &[(first, "paid"), (second, "paid"), (refunded, "refunded")],
    )
    .await;

    // The sandbox's A55 statement of the day and Giro agree line by line.
    let sandbox = stack
        .sandbox
        .servers()
        .into_iter()
        .find(|(name, _)| *name == PROVIDER)
        .map(|(_, url)| url)
        .expect("the A55 simulator runs");
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
    assert_eq!(matched["agrees"], true, "{matched}\n{statement}");
    assert_eq!(matched["matched"], 3);

    // The settlement's totals are the statement's sums, to the cent.
    let dec = |v: &Value| {
        v.as_str()
            .unwrap_or_else(|| panic!("a decimal string, got {v}"))
            .parse::<Decimal>()
            .unwrap()
    };
    let brl = &report["totals"]["BRL"];
    assert_eq!(brl["collected"]["count"], 2, "{report}");
    assert_eq!(
        dec(&brl["collected"]["amount"]),
        amount_sum(&statement, "paid")
    );
    assert_eq!(dec(&brl["collected"]["amount"]), Decimal::new(280, 0));
    assert_eq!(brl["refunded"]["count"], 1);
    assert_eq!(
        dec(&brl["refunded"]["amount"]),
        amount_sum(&statement, "refunded")
    );
    assert_eq!(dec(&brl["refunded"]["amount"]), Decimal::new(120, 0));
    println!(
        "A55 statement of {today}: {} lines matched; collected {} BRL, refunded {} BRL",
        matched["lines"], brl["collected"]["amount"], brl["refunded"]["amount"]
    );

    // A line altered: the first charge collected a real less.
    let first_handle = giro_domain::SubmissionHandle {
        order_id: first,
        attempt: 1,
    }
    .to_string();
    let altered: String = statement
        .lines()
        .map(|l| {
            if l.contains(&first_handle) {
                l.replace(",150.00,", ",149.00,")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let r = reconcile(&api, &altered).await;
    assert_eq!(r["agrees"], false);
    let different = r["different"].as_array().unwrap();
    assert_eq!(different.len(), 1, "{r}");
    let d = &different[0];
    assert_eq!(d["order_id"], first.to_string());
    assert_eq!(d["kind"], "charge");
    assert_eq!(
        (d["field"].as_str(), d["giro"].as_str()),
        (Some("amount"), Some("150"))
    );
    assert_eq!(d["statement"], "149");

    // Recorded on the charge as `giro reconcile --statement` records it: once.
    let discrepancy = Discrepancy {
        source: DiscrepancySource::Statement,
        reference: d["reference"].as_str().unwrap().to_string(),
        field: DiscrepancyField::Amount,
        expected: "150".into(),
        reported: "149".into(),
    };
    for appended in [1, 0] {
        let n = stack
            .charge_command(first, ChargeCommand::RecordDiscrepancy(discrepancy.clone()))
            .await
            .unwrap();
        assert_eq!(n, appended);
    }
    let types = stack.charge_event_types(first).await;
    assert_eq!(
        types.iter().filter(|t| **t == "charge.discrepancy").count(),
        1,
        "{types:?}"
    );
    assert_eq!(stack.charge(first).await.status, ChargeStatus::Paid);
    let deadline = Instant::now() + WITHIN;
    let exceptions = loop {
        let v = get_json(&format!("{api}/v1/exceptions?kind=discrepancy")).await;
        if v["items"].as_array().is_some_and(|i| !i.is_empty()) {
            break v;
        }
        assert!(Instant::now() < deadline, "no exception: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let items = exceptions["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{exceptions}");
    assert_eq!(items[0]["order_id"], first.to_string());
    assert_eq!(items[0]["provider"], PROVIDER);
    let reason = items[0]["reason"].as_str().unwrap();
    assert!(reason.contains("149") && reason.contains("150"), "{reason}");
    projection.stop().await;
}
