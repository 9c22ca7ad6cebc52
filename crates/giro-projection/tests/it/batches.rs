//! Payout batches in the read models: a row per batch with its declared totals, and its items'
//! counts and amounts by status added up from their payouts; `open` while any item is in flight,
//! `completed` once all are final, `cancelled` once its cancellation was asked for.

use giro_domain::OrderId;
use giro_domain::batch::{BatchCommand, PayoutBatchDecider, parse_create, part};
use giro_domain::payout::{CreatePayout, PayoutCommand, PayoutDecider, ReportedOutcome};
use giro_domain::provider::Catalog;
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use serde_json::{Value, json};

use crate::common::*;

/// Creates a batch of `n` payouts of 250,000 COP as intake does; returns its id and its items.
pub async fn batch(log: &TestLog, key: &str, n: usize) -> (OrderId, Vec<OrderId>) {
    let items: Vec<Value> = (0..n)
        .map(|i| payout_body(&format!("{key}-{i}"), &format!("{key}-{i}")))
        .collect();
    let body = json!({"idempotency_key": key, "items": items});
    let draft = parse_create(body.to_string().as_bytes()).unwrap();
    let commands: Vec<CreatePayout> = draft
        .items
        .iter()
        .map(|(_, d)| d.clone().into_command(&Catalog::default(), None).unwrap())
        .collect();
    let created = draft.created(part(0, &commands).unwrap());
    log.log
        .execute::<PayoutBatchDecider>(
            draft.batch_id,
            &BatchCommand::Create(Box::new(created)),
            &meta(),
            true,
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for c in commands {
        let id = c.order_id;
        let create = PayoutCommand::Create(Box::new(c));
        log.log
            .execute::<PayoutDecider>(id, &create, &meta(), true)
            .await
            .unwrap();
        ids.push(id);
    }
    (draft.batch_id, ids)
}

async fn run(log: &TestLog, id: OrderId, commands: &[PayoutCommand]) {
    for command in commands {
        log.log
            .execute::<PayoutDecider>(id, command, &meta(), false)
            .await
            .unwrap();
    }
}

fn to_provider() -> Vec<PayoutCommand> {
    vec![
        PayoutCommand::StartSubmission,
        PayoutCommand::RecordSubmitted {
            attempt: 1,
            provider_ref: Some("P-1".into()),
            raw_status: Some("PROCESSING".into()),
        },
    ]
}

fn finished(outcome: ReportedOutcome, raw: &str) -> Vec<PayoutCommand> {
    let mut steps = to_provider();
    steps.push(report(&format!("r-{raw}"), raw, outcome, None));
    steps
}

#[tokio::test]
async fn a_batch_adds_up_its_items_and_completes_when_all_are_final() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = giro_projection::start(config(&log, &schema), log.client.clone())
        .await
        .unwrap();
    let (id, items) = batch(&log, "payroll-1", 3).await;
    run(
        &log,
        items[0],
        &finished(ReportedOutcome::Succeeded, "SUCCESS"),
    )
    .await;
    run(&log, items[1], &finished(ReportedOutcome::Failed, "FAIL")).await;
    run(&log, items[2], &to_provider()).await;
    caught_up(&log, &schema).await;
    let row = get_json(&handle, &format!("/v1/batches/{id}")).await;
    assert_eq!(row["status"], "open", "{row}");
    assert_eq!(row["totals"], json!({"COP": "750000"}), "{row}");
    assert_eq!(
        (&row["succeeded"], &row["failed"], &row["in_flight"]),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(row["amounts"]["COP"]["succeeded"], "250000", "{row}");

    run(
        &log,
        items[2],
        &[report(
            "r-late",
            "SUCCESS",
            ReportedOutcome::Succeeded,
            None,
        )],
    )
    .await;
    caught_up(&log, &schema).await;
    let row = get_json(&handle, &format!("/v1/batches/{id}")).await;
    assert_eq!(row["status"], "completed", "{row}");
    assert_eq!(row["counts"], json!({"succeeded": 2, "failed": 1}), "{row}");
    assert!(row["completed_at"].is_string(), "{row}");
    let listed = get_json(&handle, "/v1/batches?status=completed").await;
    assert_eq!(
        listed["items"][0]["batch_id"],
        json!(id.to_string()),
        "{listed}"
    );
    let payout = get_json(&handle, &format!("/v1/payouts/{}", items[0])).await;
    assert_eq!(payout["status"], "succeeded", "{payout}");
    handle.stop().await;
}

#[tokio::test]
async fn a_cancelled_batch_reads_cancelled_with_what_it_cancelled() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = giro_projection::start(config(&log, &schema), log.client.clone())
        .await
        .unwrap();
    let (id, items) = batch(&log, "payroll-2", 2).await;
    run(&log, items[0], &to_provider()).await;
    log.log
        .execute::<PayoutBatchDecider>(id, &BatchCommand::Cancel { reason: None }, &meta(), false)
        .await
        .unwrap();
    run(&log, items[1], &[PayoutCommand::Cancel { reason: None }]).await;
    caught_up(&log, &schema).await;
    let row = get_json(&handle, &format!("/v1/batches/{id}")).await;
    assert_eq!(row["status"], "cancelled", "{row}");
    assert_eq!(
        (&row["cancelled"], &row["in_flight"]),
        (&json!(1), &json!(1)),
        "{row}"
    );
    handle.stop().await;
}

#[tokio::test]
async fn batches_are_listed_a_page_at_a_time_newest_first() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = giro_projection::start(config(&log, &schema), log.client.clone())
        .await
        .unwrap();
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(batch(&log, &format!("paged-{n}"), 1).await.0);
    }
    caught_up(&log, &schema).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            None => "/v1/batches?limit=2".to_string(),
            Some(c) => format!("/v1/batches?limit=2&cursor={c}"),
        };
        let page = get_json(&handle, &path).await;
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2, "{page}");
        seen.extend(
            items
                .iter()
                .map(|b| b["batch_id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 10, "the pages never end: {seen:?}");
    }
    assert_eq!(pages, 3, "{seen:?}");
    // Every batch once, in the order one page reads (newest first: creation, then id).
    let mut expected: Vec<String> = created.iter().map(ToString::to_string).collect();
    let mut sorted_seen = seen.clone();
    sorted_seen.sort();
    expected.sort();
    assert_eq!(sorted_seen, expected, "each batch listed exactly once");
    let listed = get_json(&handle, "/v1/batches?limit=5").await;
    let all: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["batch_id"].as_str().unwrap())
        .collect();
    assert_eq!(all, seen, "paging reads the same order as one page");
    assert!(listed["next_cursor"].is_null(), "{listed}");
    handle.stop().await;
}
