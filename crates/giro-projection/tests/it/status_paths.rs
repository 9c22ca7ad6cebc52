//! Rows and timelines match the events for every payout status path, and for charges,
//! beneficiaries, event types this version does not know and messages that are not events.

use chrono::{DateTime, Utc};
use giro_domain::EventType;
use giro_domain::payout::{PayoutCommand, PayoutDecider, ReportedOutcome};
use giro_domain::{OrderId, payout};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use serde_json::{Value, json};

use crate::common::*;

fn start_submission() -> Vec<PayoutCommand> {
    vec![
        PayoutCommand::StartSubmission,
        PayoutCommand::RecordSubmitted {
            attempt: 1,
            provider_ref: Some("P-1".into()),
            raw_status: Some("ACCEPTED".into()),
        },
    ]
}

fn succeeded() -> Vec<PayoutCommand> {
    let mut c = start_submission();
    c.push(report("r1", "PAYING", ReportedOutcome::InFlight, None));
    c.push(report("r2", "SUCCESS", ReportedOutcome::Succeeded, None));
    c
}

fn failed_by_report() -> Vec<PayoutCommand> {
    let mut c = start_submission();
    c.push(report(
        "r1",
        "FAIL",
        ReportedOutcome::Failed,
        Some("account closed"),
    ));
    c
}

fn with(mut base: Vec<PayoutCommand>, more: PayoutCommand) -> Vec<PayoutCommand> {
    base.push(more);
    base
}

/// Each path, and the status it must end in.
fn paths() -> Vec<(&'static str, Vec<PayoutCommand>, &'static str)> {
    vec![
        ("requested", vec![], "requested"),
        (
            "cancelled",
            vec![PayoutCommand::Cancel {
                reason: Some("duplicate".into()),
            }],
            "cancelled",
        ),
        (
            "held",
            vec![PayoutCommand::Hold {
                reason: "waiting for funds".into(),
            }],
            "held",
        ),
        (
            "submitting",
            vec![PayoutCommand::StartSubmission],
            "submitting",
        ),
        ("submitted", start_submission(), "submitted"),
        (
            "processing",
            with(
                start_submission(),
                report("r1", "PAYING", ReportedOutcome::InFlight, None),
            ),
            "processing",
        ),
        ("succeeded", succeeded(), "succeeded"),
        ("failed", failed_by_report(), "failed"),
        (
            "rejected",
            vec![
                PayoutCommand::StartSubmission,
                PayoutCommand::RecordSubmissionFailure {
                    attempt: 1,
                    code: "invalid_account".into(),
                    message: "account does not exist".into(),
                    retryable: false,
                },
            ],
            "failed",
        ),
        (
            "given-up",
            vec![PayoutCommand::Fail {
                code: "held_too_long".into(),
                message: "no funds in 24h".into(),
            }],
            "failed",
        ),
        (
            "retried",
            vec![
                PayoutCommand::StartSubmission,
                PayoutCommand::RecordSubmissionFailure {
                    attempt: 1,
                    code: "busy".into(),
                    message: "provider busy".into(),
                    retryable: true,
                },
                PayoutCommand::StartSubmission,
                PayoutCommand::RecordOutcomeUnknown {
                    attempt: 2,
                    reason: "timeout".into(),
                },
            ],
            "submitting",
        ),
        (
            "reversed",
            with(
                succeeded(),
                report(
                    "r3",
                    "FAIL",
                    ReportedOutcome::Failed,
                    Some("returned by bank"),
                ),
            ),
            "reversed",
        ),
        (
            "failed-then-succeeded",
            with(
                failed_by_report(),
                report("r2", "SUCCESS", ReportedOutcome::Succeeded, None),
            ),
            "succeeded",
        ),
        (
            "refunded",
            with(
                succeeded(),
                report("r3", "REFUNDED", ReportedOutcome::Refunded, None),
            ),
            "refunded",
        ),
    ]
}

type Row = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
    String,
    String,
    Option<String>,
    String,
);

/// The row must be what folding the domain's `evolve` over the order's events gives.
async fn assert_row_matches_events(log: &TestLog, schema: &TestSchema, id: OrderId, status: &str) {
    let loaded = log.log.load::<PayoutDecider>(id).await.unwrap();
    let p = loaded.state.clone().unwrap();
    let row: Row = sqlx::query_as(
        "SELECT status, provider_ref, failure_code, failure_message, version, created_at, \
         updated_at, status_since, amount::text, currency, external_id, provider \
         FROM payouts WHERE order_id = $1",
    )
    .bind(id.as_uuid())
    .fetch_one(&schema.pool)
    .await
    .unwrap();
    let micros = |t: DateTime<Utc>| t.timestamp_micros();
    assert_eq!(row.0, status, "status of {id}");
    assert_eq!(row.0, p.status.as_str());
    assert_eq!(row.1, p.provider_ref);
    assert_eq!(row.2, p.failure.as_ref().map(|f| f.code.clone()));
    assert_eq!(row.3, p.failure.as_ref().map(|f| f.message.clone()));
    assert_eq!(row.4 as u64, p.version);
    assert_eq!(micros(row.5), micros(p.created_at));
    assert_eq!(micros(row.6), micros(p.updated_at));
    assert_eq!(micros(row.7), micros(p.status_since));
    assert_eq!(row.8, p.request.money.amount().to_string());
    assert_eq!(row.9, p.request.money.currency().code());
    assert_eq!(row.10, p.request.external_id);
    assert_eq!(row.11, p.request.provider.as_str());
    let timeline: Vec<(i64, String, DateTime<Utc>, Value)> = sqlx::query_as(
        "SELECT version, type, at, data FROM payout_events WHERE order_id = $1 ORDER BY version",
    )
    .bind(id.as_uuid())
    .fetch_all(&schema.pool)
    .await
    .unwrap();
    assert_eq!(timeline.len(), loaded.events.len(), "timeline of {id}");
    for ((version, event_type, at, data), env) in timeline.iter().zip(&loaded.events) {
        assert_eq!(*version as u64, env.version);
        assert_eq!(event_type, env.event.event_type());
        assert_eq!(micros(*at), micros(env.at));
        assert_eq!(data, &env.event.masked_data());
    }
}

#[tokio::test]
async fn every_payout_status_path_projects_rows_matching_the_events() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = start(&log, &schema).await;
    let mut ids = Vec::new();
    for (key, commands, status) in paths() {
        ids.push((payout(&log, key, &commands).await, status));
    }
    caught_up(&log, &schema).await;
    for (id, status) in &ids {
        assert_row_matches_events(&log, &schema, *id, status).await;
        let answer = get_json(&handle, &format!("/v1/payouts/{id}")).await;
        assert_eq!(answer["status"], *status);
        let events = get_json(&handle, &format!("/v1/payouts/{id}/events")).await;
        let loaded = log.log.load::<PayoutDecider>(*id).await.unwrap();
        assert_eq!(
            events["events"].as_array().unwrap().len(),
            loaded.events.len()
        );
    }
    let terminal: i64 =
        sqlx::query_scalar("SELECT count(*) FROM payouts WHERE terminal_at IS NOT NULL")
            .fetch_one(&schema.pool)
            .await
            .unwrap();
    let expected = ids
        .iter()
        .filter(|(_, s)| {
            payout::PayoutStatus::ALL
                .iter()
                .any(|st| st.as_str() == *s && st.is_terminal())
        })
        .count();
    assert_eq!(terminal as usize, expected);
    handle.stop().await;
}

async fn publish_raw(log: &TestLog, subject: String, body: Vec<u8>) {
    let js = async_nats::jetstream::new(log.client.clone());
    js.publish(subject, body.into())
        .await
        .unwrap()
        .await
        .unwrap();
}

#[tokio::test]
async fn charges_beneficiaries_and_unknown_events_are_projected_without_stopping() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = start(&log, &schema).await;
    let cancelled = charge(&log, "charge-cancelled", &[cancel_charge()]).await;
    let open = charge(&log, "charge-open", &[]).await;
    let active = beneficiary(&log, "benef-active", &["ACTIVE"]).await;
    // A charge event type a later version will add, and a message that is not an event at all.
    let future = json!({"id": uuid::Uuid::new_v4(), "type": "charge.installment_settled", "order_id": open,
        "version": 2, "at": Utc::now(), "meta": {"correlation_id": "x"},
        "data": {"paid_amount": "150.00", "payer": {"tax_id": "987.654.321-00"}}});
    publish_raw(
        &log,
        format!("{}.evt.charge.{open}", log.config.prefix),
        future.to_string().into_bytes(),
    )
    .await;
    publish_raw(
        &log,
        format!("{}.evt.payout.{}", log.config.prefix, uuid::Uuid::new_v4()),
        b"not json".to_vec(),
    )
    .await;
    let after = payout(&log, "after-the-unknown", &[]).await;
    caught_up(&log, &schema).await;

    let c = get_json(&handle, &format!("/v1/charges/{cancelled}")).await;
    assert_eq!(
        (c["status"].as_str(), c["version"].as_i64()),
        (Some("cancelled"), Some(2))
    );
    assert_eq!(c["payer_masked"]["name"], "Z*** P***");
    assert_eq!(
        (c["amount"].as_str(), c["installment_count"].as_i64()),
        (Some("150"), Some(3))
    );
    let o = get_json(&handle, &format!("/v1/charges/{open}")).await;
    assert_eq!(
        (o["status"].as_str(), o["version"].as_i64()),
        (Some("requested"), Some(1))
    );
    let timeline = get_json(&handle, &format!("/v1/charges/{open}/events")).await;
    let types: Vec<&str> = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["charge.requested", "charge.installment_settled"]);
    assert_eq!(timeline["events"][1]["data"]["payer"]["tax_id"], "****1-00");
    assert_eq!(timeline["events"][1]["data"]["paid_amount"], "150.00");

    let b = get_json(&handle, &format!("/v1/beneficiaries/{active}")).await;
    assert_eq!(
        (
            b["status"].as_str(),
            b["provider_ref"].as_str(),
            b["version"].as_i64()
        ),
        (Some("ACTIVE"), Some("KB-0"), Some(2))
    );
    assert_eq!(b["data_masked"]["account_number"], "****4332");
    let bt = get_json(&handle, &format!("/v1/beneficiaries/{active}/events")).await;
    assert_eq!(bt["events"].as_array().unwrap().len(), 2);

    assert_eq!(
        get_json(&handle, &format!("/v1/payouts/{after}")).await["status"],
        "requested"
    );
    let metrics = get(&handle, "/metrics").await.1;
    assert!(
        metrics.contains("giro_projection_events_unknown_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("giro_projection_events_unreadable_total 1"),
        "{metrics}"
    );
    handle.stop().await;
}

#[tokio::test]
async fn every_charge_status_path_projects_rows_matching_the_events() {
    use giro_domain::charge::{ChargeDecider, ChargeOutcome as O};
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = start(&log, &schema).await;
    let sub = charge_submitted();
    let then = |more: &[giro_domain::charge::ChargeCommand]| [sub.to_vec(), more.to_vec()].concat();
    let paths = [
        ("c-pending", then(&[]), "pending", "0"),
        (
            "c-paid",
            then(&[charge_report("p", "paid", O::Paid, None)]),
            "paid",
            "0",
        ),
        (
            "c-partial",
            then(&[
                charge_report("p", "paid", O::Paid, None),
                charge_report("r1", "refunded", O::Refunded, Some("100")),
            ]),
            "paid",
            "100",
        ),
        (
            "c-refunded",
            then(&[
                charge_report("p", "paid", O::Paid, None),
                charge_report("r1", "refunded", O::Refunded, None),
            ]),
            "refunded",
            "150",
        ),
        (
            "c-failed",
            then(&[charge_report("e", "error", O::Failed, None)]),
            "failed",
            "0",
        ),
        (
            "c-chargeback",
            then(&[
                charge_report("p", "paid", O::Paid, None),
                charge_report("cb", "chargeback", O::ChargebackLost, None),
            ]),
            "chargeback",
            "0",
        ),
        // A stale `pending` after `paid` is recorded and changes nothing.
        (
            "c-stale",
            then(&[
                charge_report("p", "paid", O::Paid, None),
                charge_report("old", "pending", O::Pending, None),
            ]),
            "paid",
            "0",
        ),
        ("c-cancelled", vec![cancel_charge()], "cancelled", "0"),
    ];
    let mut ids = Vec::new();
    for (key, commands, status, refunded) in &paths {
        ids.push((charge(&log, key, commands).await, *status, *refunded));
    }
    caught_up(&log, &schema).await;
    for (id, status, refunded) in ids {
        let state = log.log.load::<ChargeDecider>(id).await.unwrap();
        let c = state.state.as_ref().unwrap();
        assert_eq!(c.status.as_str(), status, "{id}: the aggregate disagrees");
        let row = get_json(&handle, &format!("/v1/charges/{id}")).await;
        assert_eq!(row["status"], status, "{id}: {row}");
        assert_eq!(row["version"].as_u64(), Some(c.version), "{id}");
        assert_eq!(row["refunded_amount"], refunded, "{id}: {row}");
        assert_eq!(
            row["provider_ref"].as_str(),
            c.charge_uuid.as_deref(),
            "{id}"
        );
        if status == "cancelled" {
            assert!(row["payment_url"].is_null());
        } else {
            assert_eq!(row["payment_url"], "https://pay.a55.example/checkout/1");
        }
        assert_eq!(
            row["terminal_at"].is_null(),
            !c.status.is_terminal(),
            "{id}: {row}"
        );
        if status == "failed" {
            assert!(row["failure_code"].is_string(), "{row}");
        }
        let timeline = get_json(&handle, &format!("/v1/charges/{id}/events")).await;
        let types: Vec<&str> = timeline["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        let stored: Vec<&str> = state.events.iter().map(|e| e.event.event_type()).collect();
        assert_eq!(types, stored, "{id}");
    }
    handle.stop().await;
}
