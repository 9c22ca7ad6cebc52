//! `/v1/exceptions` (issue #18): every order that needs a person, opened and closed by the events
//! themselves or read from the orders, with the amount at risk per provider and the dead letters.

use std::time::Duration;

use async_nats::HeaderMap;
use giro_domain::payout::{
    Evidence, OperatorAction, OperatorCommand, PayoutCommand, ReportedOutcome, ResolvedOutcome,
};
use giro_eventlog::test_support::TestLog;
use giro_projection::StuckThresholds;
use giro_projection::test_support::TestSchema;
use serde_json::{Value, json};

use crate::common::*;

fn unknown(attempt: u32) -> PayoutCommand {
    PayoutCommand::RecordOutcomeUnknown {
        attempt,
        reason: "the provider did not answer within 30s".into(),
    }
}

fn refused(attempt: u32) -> [PayoutCommand; 2] {
    [
        PayoutCommand::StartSubmission,
        PayoutCommand::RecordSubmissionFailure {
            attempt,
            code: "busy".into(),
            message: "provider busy".into(),
            retryable: true,
        },
    ]
}

fn kinds_of(v: &Value, id: &impl ToString) -> Vec<String> {
    let id = id.to_string();
    let mut kinds: Vec<String> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["order_id"] == id.as_str())
        .map(|i| i["kind"].as_str().unwrap().to_string())
        .collect();
    kinds.sort();
    kinds
}

#[tokio::test]
async fn exceptions_open_and_close_with_the_events_and_add_up_per_provider() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    // Unknown outcome still open, and one the provider settled later.
    let open_unknown = payout(
        &log,
        "x-unknown",
        &[PayoutCommand::StartSubmission, unknown(1)],
    )
    .await;
    let settled = payout(
        &log,
        "x-settled",
        &[
            PayoutCommand::StartSubmission,
            unknown(1),
            report("r-settled", "PROCESSING", ReportedOutcome::InFlight, None),
        ],
    )
    .await;
    let held = payout(
        &log,
        "x-held",
        &[PayoutCommand::Hold {
            reason: "not enough funds".into(),
        }],
    )
    .await;
    let mut reversal = vec![PayoutCommand::StartSubmission];
    reversal.push(report("r-ok", "SUCCESS", ReportedOutcome::Succeeded, None));
    reversal.push(report(
        "r-back",
        "FAIL",
        ReportedOutcome::Failed,
        Some("bank returned it"),
    ));
    let reversed = payout(&log, "x-reversed", &reversal).await;
    // A reversal a person has looked at: their note closes it, in their name.
    reversal.push(PayoutCommand::Operator(OperatorCommand {
        by: "olga".into(),
        action: OperatorAction::Note {
            text: "the bank returned it; customer asked for a new account".into(),
        },
    }));
    let noted = payout(&log, "x-noted", &reversal).await;
    // Resolved by a person: `outcome_resolved` and the `succeeded` it decides land in one batch,
    // and the exception is closed by the first, in olga's name.
    let resolved_by_olga = payout(
        &log,
        "x-resolved",
        &[
            PayoutCommand::StartSubmission,
            unknown(1),
            PayoutCommand::Operator(OperatorCommand {
                by: "olga".into(),
                action: OperatorAction::Resolve {
                    reason: "the portal shows it paid".into(),
                    evidence: Evidence {
                        provider_ref: "CASHY-1".into(),
                        provider_status: "SUCCESS".into(),
                    },
                    outcome: ResolvedOutcome::Succeeded,
                },
            }),
        ],
    )
    .await;
    let mut refusals = Vec::new();
    for attempt in 1..=3 {
        refusals.extend(refused(attempt));
    }
    let refused_thrice = payout(&log, "x-refused", &refusals).await;
    let fine = payout(&log, "x-fine", &refused(1)).await;

    // A dead letter of the executor, about the unknown one.
    let js = async_nats::jetstream::new(log.client.clone());
    let mut headers = HeaderMap::new();
    headers.insert("Giro-Dead-Letter-Reason", "unreadable event");
    let original = format!("{}.evt.payout.{open_unknown}", log.config.prefix);
    headers.insert("Giro-Original-Subject", original.as_str());
    js.publish_with_headers(
        format!("{}.dlq.executor.cashy-co", log.config.prefix),
        headers,
        "{}".into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();

    let mut config = config(&log, &schema);
    config.stuck = StuckThresholds {
        submitting: Duration::ZERO,
        held: Duration::ZERO,
        ..StuckThresholds::default()
    };
    let handle = giro_projection::start(config, log.client.clone())
        .await
        .unwrap();
    caught_up(&log, &schema).await;

    let v = get_json(&handle, "/v1/exceptions").await;
    assert_eq!(v["state"], "open");
    assert_eq!(kinds_of(&v, &open_unknown), ["outcome_unknown"], "{v}");
    assert!(kinds_of(&v, &settled).is_empty(), "{v}");
    assert_eq!(kinds_of(&v, &held), ["held"], "{v}");
    assert_eq!(kinds_of(&v, &reversed), ["reversed"], "{v}");
    assert_eq!(kinds_of(&v, &refused_thrice), ["repeated_refusals"], "{v}");
    assert!(kinds_of(&v, &fine).is_empty(), "{v}");
    let item = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["order_id"] == open_unknown.to_string())
        .unwrap();
    assert_eq!(item["provider"], "cashy-co");
    assert_eq!(item["order_kind"], "payout");
    assert!(item["age_seconds"].as_i64().unwrap() >= 0, "{item}");
    assert!(
        item["reason"].as_str().unwrap().contains("attempt 1"),
        "{item}"
    );
    assert_eq!(v["by_kind"]["outcome_unknown"], 1, "{v}");
    assert_eq!(v["by_kind"]["repeated_refusals"], 1, "{v}");
    // Four orders at risk, each counted once.
    let totals = v["totals"].as_array().unwrap();
    assert_eq!(totals.len(), 1, "{v}");
    assert_eq!(totals[0]["orders"], 4, "{v}");
    assert_eq!(totals[0]["provider"], "cashy-co");
    let dead = v["dead_letters"].as_array().unwrap();
    assert_eq!(dead.len(), 1, "{v}");
    assert_eq!(dead[0]["component"], "executor");
    assert_eq!(dead[0]["source"], "cashy-co");
    assert_eq!(dead[0]["reason"], "unreadable event");
    assert_eq!(dead[0]["order_id"], open_unknown.to_string());

    // The settled unknown outcome is listed as resolved, with what settled it.
    let r = get_json(&handle, "/v1/exceptions?state=resolved").await;
    let items = r["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{r}");
    let of = |id: String| items.iter().find(|i| i["order_id"] == id.as_str()).unwrap();
    let unknown_closed = of(settled.to_string());
    assert_eq!(unknown_closed["resolution"], "payout.provider_status");
    assert!(unknown_closed["resolved_at"].is_string(), "{r}");
    assert!(unknown_closed["resolved_by"].is_null(), "{r}");
    let by_olga = of(noted.to_string());
    assert_eq!(
        (
            &by_olga["kind"],
            &by_olga["resolution"],
            &by_olga["resolved_by"]
        ),
        (
            &json!("reversed"),
            &json!("payout.note_added"),
            &json!("olga")
        ),
        "{r}"
    );
    assert!(kinds_of(&v, &noted).is_empty(), "{v}");
    let resolved = of(resolved_by_olga.to_string());
    assert_eq!(
        (&resolved["resolution"], &resolved["resolved_by"]),
        (&json!("payout.outcome_resolved"), &json!("olga")),
        "{r}"
    );
    assert!(kinds_of(&v, &resolved_by_olga).is_empty(), "{v}");

    // Filters.
    let only = get_json(&handle, &format!("/v1/exceptions?order_id={held}")).await;
    assert_eq!(only["items"].as_array().unwrap().len(), 1, "{only}");
    assert!(only["dead_letters"].as_array().unwrap().is_empty());
    let none = get_json(&handle, "/v1/exceptions?provider=killb").await;
    assert!(none["items"].as_array().unwrap().is_empty(), "{none}");
    assert!(
        none["dead_letters"].as_array().unwrap().is_empty(),
        "{none}"
    );
    for bad in [
        "/v1/exceptions?state=closed",
        "/v1/exceptions?order_id=nope",
        "/v1/exceptions?kind=stuck",
    ] {
        let (status, body) = get(&handle, bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body.contains(bad.split(['?', '=']).nth(1).unwrap()),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_unknown_outcome_waits_for_its_window_before_it_is_listed() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let id = payout(
        &log,
        "w-unknown",
        &[PayoutCommand::StartSubmission, unknown(1)],
    )
    .await;
    // The default window (the `submitting` threshold, 5 minutes) has not passed.
    let handle = start(&log, &schema).await;
    caught_up(&log, &schema).await;
    let v = get_json(&handle, "/v1/exceptions").await;
    assert!(kinds_of(&v, &id).is_empty(), "{v}");
}
