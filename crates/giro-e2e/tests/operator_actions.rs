//! Operator actions on the real stack (issue #18): intake verifies the operator's token, the
//! domain decides, the events name the token's subject, the executors carry on from them, and
//! every action, allowed or refused, lands in the audit view of the projection.

use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use giro_auth::Role;
use giro_auth::dev::{DevKeys, mint_with};
use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutEvent, PayoutStatus};
use giro_domain::{EventMeta, OrderId, OrderKind};
use giro_e2e::{Stack, StackOptions, TempDir, dev_verifier};
use giro_intake::{IntakeClient, Reply};
use giro_projection::ProjectionConfig;
use giro_projection::test_support::TestSchema;
use serde_json::{Value, json};

const WITHIN: Duration = Duration::from_secs(30);
const HOUR: Duration = Duration::from_secs(3_600);

async fn start_intake(stack: &Stack, keys: &DevKeys) -> (giro_intake::IntakeHandle, IntakeClient) {
    stack
        .start_intake_with(giro_intake::IntakeConfig {
            operators: Some(dev_verifier(keys)),
            ..giro_intake::IntakeConfig::default()
        })
        .await
}

fn code(reply: &Reply) -> Option<&'static str> {
    reply.code().map(|c| c.as_str())
}

fn events(reply: &Reply) -> Vec<&str> {
    reply.body["events"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Drives a payout whose executor is stopped as that executor would have: claimed, then
/// `then` (an outcome unknown, a refusal).
async fn as_executor(stack: &Stack, id: OrderId, then: PayoutCommand) {
    for command in [PayoutCommand::StartSubmission, then] {
        stack
            .log
            .log
            .execute::<PayoutDecider>(id, &command, &EventMeta::default(), false)
            .await
            .expect("the executor's step is stored");
    }
}

async fn wait_status(stack: &Stack, id: OrderId, want: PayoutStatus) {
    let got = stack.wait_for(&[id], WITHIN, |s| s == want).await;
    assert_eq!(got, [want], "{:?}", stack.event_types(id).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operator_action_is_decided_recorded_under_the_token_and_audited() {
    let dir = TempDir::new("giro-ops");
    let keys = DevKeys::ensure(&dir.0).expect("development keys");
    let alice = keys.mint("alice", &[Role::Operator], HOUR).unwrap();
    let victor = keys.mint("victor", &[Role::Viewer], HOUR).unwrap();
    let mut stack = Stack::start(StackOptions {
        sandbox: vec!["--killb-balance=1000".into()],
        ..StackOptions::default()
    })
    .await;
    let (intake, ops) = start_intake(&stack, &keys).await;
    let schema = TestSchema::new();
    let projection = stack
        .start_projection(
            &schema,
            ProjectionConfig {
                linger: Duration::from_millis(5),
                ..ProjectionConfig::default()
            },
        )
        .await;

    // Held for funds: released (the funds check runs again and holds it again), then cancelled.
    let held = stack.create("ops-held", "killb", "150000").await;
    wait_status(&stack, held, PayoutStatus::Held).await;
    let body = json!({"order_id": held.to_string(), "reason": "balance topped up"});
    let released = ops.operate("payout.release", &body, &alice).await;
    assert!(released.ok, "{released:?}");
    assert_eq!(events(&released), ["payout.released"]);
    assert_eq!(released.str("by"), Some("alice"));
    let body = json!({"order_id": held.to_string(), "reason": "customer withdrew it"});
    let cancelled = ops.operate("payout.cancel", &body, &alice).await;
    assert!(cancelled.ok, "{cancelled:?}");
    assert_eq!(stack.status(held).await, PayoutStatus::Cancelled);
    let again = ops.operate("payout.cancel", &body, &alice).await;
    assert_eq!(code(&again), Some("not_cancellable"), "on a terminal order");
    let recorded = stack.events(held).await;
    assert!(
        recorded
            .iter()
            .any(|e| matches!(e, PayoutEvent::Released(r) if r.by == "alice"))
    );
    assert!(
        recorded
            .iter()
            .any(|e| matches!(e, PayoutEvent::Cancelled(c) if c.by.as_deref() == Some("alice")))
    );

    // An outcome unknown (its executor crashed mid-call): no retry, resolved with evidence.
    let cashy = stack
        .providers
        .iter()
        .position(|(id, ..)| id.as_str() == "cashy-co")
        .expect("cashy-co");
    stack.kill_executor("cashy-co").await;
    let unknown = stack.create("ops-unknown", "cashy-co", "150000").await;
    let lost = PayoutCommand::RecordOutcomeUnknown {
        attempt: 1,
        reason: "the process died during the call".into(),
    };
    as_executor(&stack, unknown, lost).await;
    let because = json!({"order_id": unknown.to_string(), "reason": "try again"});
    let refused = ops.operate("payout.retry", &because, &alice).await;
    assert_eq!(
        code(&refused),
        Some("invalid_state"),
        "retry with an outcome unknown"
    );
    let no_evidence =
        json!({"order_id": unknown.to_string(), "reason": "seen", "outcome": "succeeded"});
    let refused = ops.operate("payout.resolve", &no_evidence, &alice).await;
    assert_eq!(code(&refused), Some("missing_field"));
    let resolve = json!({
        "order_id": unknown.to_string(), "reason": "the merchant portal shows it paid",
        "evidence": {"provider_ref": "CASHY-991", "provider_status": "SUCCESS"},
        "outcome": "succeeded",
    });
    let resolved = ops.operate("payout.resolve", &resolve, &alice).await;
    assert!(resolved.ok, "{resolved:?}");
    assert_eq!(
        events(&resolved),
        ["payout.outcome_resolved", "payout.succeeded"]
    );
    assert_eq!(resolved.str("status"), Some("succeeded"));
    let refused = ops.operate("payout.retry", &because, &alice).await;
    assert_eq!(
        code(&refused),
        Some("invalid_state"),
        "retry of a succeeded payout"
    );
    let note = json!({"order_id": unknown.to_string(), "text": "customer told"});
    assert!(ops.operate("payout.note", &note, &alice).await.ok);

    // Refused by the provider before it created anything: retried, and paid on attempt 2.
    let refused_first = stack.create("ops-retry", "cashy-co", "150000").await;
    let turned_away = PayoutCommand::RecordSubmissionFailure {
        attempt: 1,
        code: "account_closed".into(),
        message: "the beneficiary's account was closed".into(),
        retryable: false,
    };
    as_executor(&stack, refused_first, turned_away).await;
    assert_eq!(stack.status(refused_first).await, PayoutStatus::Failed);
    stack.start_executor(cashy).await;
    let body = json!({"order_id": refused_first.to_string(), "reason": "account reopened"});
    let retried = ops.operate("payout.retry", &body, &alice).await;
    assert!(retried.ok, "{retried:?}");
    assert_eq!(retried.str("status"), Some("requested"));
    wait_status(&stack, refused_first, PayoutStatus::Succeeded).await;
    let starts = stack
        .events(refused_first)
        .await
        .iter()
        .filter(|e| matches!(e, PayoutEvent::SubmissionStarted(_)))
        .count();
    assert_eq!(starts, 2, "a new attempt");

    // A dead letter of the executor, replayed onto its payout and removed from the DLQ stream.
    let dlq_subject = format!("{}.dlq.executor.cashy-co", stack.log.config.prefix);
    let mut headers = async_nats::HeaderMap::new();
    let original = stack.log.config.subject(OrderKind::Payout, refused_first);
    headers.insert("Giro-Original-Subject", original.as_str());
    headers.insert("Giro-Original-Sequence", "3");
    headers.insert("Giro-Dead-Letter-Reason", "the order's log was unreadable");
    let ack = stack
        .log
        .log
        .context()
        .publish_with_headers(dlq_subject, headers, "{}".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let replay = json!({"dead_letter": ack.sequence, "reason": "the log was repaired"});
    let replayed = ops.operate("dead_letter.replay", &replay, &alice).await;
    assert!(replayed.ok, "{replayed:?}");
    assert_eq!(events(&replayed), ["payout.dead_letter_replayed"]);
    let again = ops.operate("dead_letter.replay", &replay, &alice).await;
    assert_eq!(
        code(&again),
        Some("not_found"),
        "the dead letter left the DLQ stream"
    );

    // Tokens: none, forged, a viewer's.
    let missing = ops.send("cmd.ops.payout.note", note.to_string()).await;
    assert_eq!(code(&missing), Some("unauthorized"));
    let forged = mint_with(
        &SigningKey::from_bytes(&[9; 32]),
        "alice",
        &[Role::Operator],
        HOUR,
    );
    let refused = ops.operate("payout.note", &note, &forged.unwrap()).await;
    assert_eq!(code(&refused), Some("unauthorized"));
    let refused = ops.operate("payout.note", &note, &victor).await;
    assert_eq!(code(&refused), Some("forbidden"));

    // The audit view lists them all, newest first, allowed ones under the token's identity.
    let url = format!("http://{}/api/audit?limit=100", projection.local_addr());
    let deadline = Instant::now() + WITHIN;
    let rows = loop {
        let page: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        let rows = page["audit"].as_array().cloned().unwrap_or_default();
        if rows.len() >= 14 || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let seen: Vec<(String, String, String)> = rows
        .iter()
        .rev()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or("-").to_string();
            (text("action"), text("operator"), text("outcome"))
        })
        .collect();
    let row = |action: &str, who: &str, outcome: &str| {
        (action.to_string(), who.to_string(), outcome.to_string())
    };
    assert_eq!(
        seen,
        [
            row("payout.release", "alice", "allowed"),
            row("payout.cancel", "alice", "allowed"),
            row("payout.cancel", "alice", "refused"),
            row("payout.retry", "alice", "refused"),
            row("payout.resolve", "alice", "refused"),
            row("payout.resolve", "alice", "allowed"),
            row("payout.retry", "alice", "refused"),
            row("payout.note", "alice", "allowed"),
            row("payout.retry", "alice", "allowed"),
            row("dead_letter.replay", "alice", "allowed"),
            row("dead_letter.replay", "alice", "refused"),
            row("payout.note", "-", "refused"),
            row("payout.note", "-", "refused"),
            row("payout.note", "victor", "refused"),
        ]
    );
    let resolved_row = &rows[rows.len() - 6];
    assert_eq!(resolved_row["order_id"], json!(unknown.to_string()));
    assert_eq!(
        resolved_row["events"],
        json!(["payout.outcome_resolved", "payout.succeeded"])
    );
    let html = reqwest::get(format!("http://{}/audit", projection.local_addr()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("victor") && html.contains("forbidden"),
        "{html}"
    );

    projection.stop().await;
    intake.stop().await;
}
