//! Every payout provider instance against its sandbox, through executors and the webhook ingress,
//! reaches every terminal status the providers document, reversals and KillB refunds included; a
//! payout withdrawn before any provider has it is cancelled and never sent; poison events are
//! dead-lettered and counted while payouts go on.

use std::time::{Duration, Instant};

use async_nats::jetstream;
use chrono::Utc;
use giro_domain::payout::{Cancelled, Payout, PayoutCommand, PayoutDecider, PayoutEvent};
use giro_domain::payout::{PayoutStatus as S, PayoutStatus};
use giro_domain::{Envelope, ErrorCode, EventId, EventMeta, OrderId, SubmissionHandle};
use giro_e2e::{Stack, StackOptions, payout_providers};
use giro_eventlog::ExecuteError;
use giro_sandbox::OrderReport;
use giro_sandbox::killb::defaults::ACCOUNT as KILLB_ACCOUNT;
use rust_decimal::Decimal;
use serde_json::json;

const WITHIN: Duration = Duration::from_secs(60);

/// The events that decide a payout's outcome; their order is the payout's story.
const OUTCOMES: [&str; 5] = [
    "payout.succeeded",
    "payout.failed",
    "payout.reversed",
    "payout.refunded",
    "payout.cancelled",
];

/// One row of a provider's table: the amount (its last two digits pick the sandbox scenario,
/// crates/giro-sandbox/README.md), the status the payout must end in, its outcome events in order,
/// statuses the provider's order must pass through in order (the last is where it ends), and for
/// a failure or reversal the failure's code (the provider's status) and a fragment of its message.
struct Case {
    amount: &'static str,
    want: PayoutStatus,
    outcomes: &'static [&'static str],
    history: &'static [&'static str],
    failure: Option<(&'static str, &'static str)>,
}

const fn case(
    amount: &'static str,
    want: PayoutStatus,
    outcomes: &'static [&'static str],
    history: &'static [&'static str],
    failure: Option<(&'static str, &'static str)>,
) -> Case {
    Case {
        amount,
        want,
        outcomes,
        history,
        failure,
    }
}

const SUCCEEDED: &[&str] = &["payout.succeeded"];
const FAILED: &[&str] = &["payout.failed"];
const REFUNDED: &[&str] = &["payout.succeeded", "payout.refunded"];
const REVERSED: &[&str] = &["payout.succeeded", "payout.reversed"];
const FAILED_THEN_SUCCEEDED: &[&str] = &["payout.failed", "payout.succeeded"];

const KILLB: [Case; 9] = [
    case("500000", S::Succeeded, SUCCEEDED, &["COMPLETED"], None),
    case(
        "500011",
        S::Failed,
        FAILED,
        &["FAILED"],
        Some(("FAILED", "invalid beneficiary data")),
    ),
    case(
        "500012",
        S::Failed,
        FAILED,
        &["ERROR"],
        Some(("ERROR", "KillB internal error")),
    ),
    case(
        "500013",
        S::Failed,
        FAILED,
        &["REJECTED"],
        Some(("REJECTED", "rejected by KillB compliance")),
    ),
    case(
        "500014",
        S::Refunded,
        REFUNDED,
        &["COMPLETED", "REFUNDED"],
        None,
    ),
    case(
        "500015",
        S::Succeeded,
        SUCCEEDED,
        &["REVIEW_NEEDED", "COMPLETED"],
        None,
    ),
    case("500016", S::Succeeded, SUCCEEDED, &["COMPLETED"], None),
    case(
        "500017",
        S::Refunded,
        REFUNDED,
        &["COMPLETED", "REFUNDED"],
        None,
    ),
    case("500018", S::Succeeded, SUCCEEDED, &["COMPLETED"], None),
];

/// Cashy's table, the same in both countries, for amounts ending in 00 and 11 to 18.
fn cashy_cases(amounts: [&'static str; 9]) -> [Case; 9] {
    let [a00, a11, a12, a13, a14, a15, a16, a17, a18] = amounts;
    let fail = |amount, reason| case(amount, S::Failed, FAILED, &["FAIL"], Some(("FAIL", reason)));
    [
        case(a00, S::Succeeded, SUCCEEDED, &["PAYING", "SUCCESS"], None),
        fail(a11, "ACCOUNT NOT EXITS"),
        fail(a12, "GATEWAY_TIMEOUT"),
        fail(a13, "AMOUNT_ERROR"),
        fail(a14, "ACCOUNT_AND_MNO_NOT_MATCH"),
        fail(a15, "PAYMENT_OFFSET"),
        case(
            a16,
            S::Failed,
            FAILED,
            &["CANCEL"],
            Some(("CANCEL", "ORDER_CANCELLED")),
        ),
        case(
            a17,
            S::Reversed,
            REVERSED,
            &["SUCCESS", "FAIL"],
            Some(("FAIL", "PAYMENT_OFFSET")),
        ),
        case(
            a18,
            S::Succeeded,
            FAILED_THEN_SUCCEEDED,
            &["FAIL", "SUCCESS"],
            None,
        ),
    ]
}

fn handle(id: OrderId, attempt: u32) -> String {
    SubmissionHandle {
        order_id: id,
        attempt,
    }
    .to_string()
}

/// Every order `provider`'s sandbox holds for the payout, whatever the attempt.
fn sandbox_orders(stack: &Stack, provider: &str, id: OrderId) -> Vec<OrderReport> {
    stack.sandbox_orders(provider, id)
}

async fn payout(stack: &Stack, id: OrderId) -> Payout {
    stack
        .log
        .log
        .load::<PayoutDecider>(id)
        .await
        .expect("order loads")
        .state
        .expect("order exists")
}

fn count(types: &[&str], wanted: &str) -> usize {
    types.iter().filter(|t| **t == wanted).count()
}

/// Whether `wanted` occurs in `seen` in this order (other items may come between).
fn in_order(wanted: &[&str], seen: &[&str]) -> bool {
    let mut seen = seen.iter();
    wanted.iter().all(|w| seen.any(|s| s == w))
}

/// Waits until every payout is in exactly its expected status (a reversal moves a terminal
/// payout on, so "terminal" is not enough), or `within` passes.
async fn wait_exact(
    stack: &Stack,
    ids: &[OrderId],
    expected: &[PayoutStatus],
    within: Duration,
) -> Vec<PayoutStatus> {
    let deadline = Instant::now() + within;
    loop {
        let mut statuses = Vec::with_capacity(ids.len());
        for id in ids {
            statuses.push(stack.status(*id).await);
        }
        if statuses == expected || Instant::now() > deadline {
            return statuses;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs `provider`'s table end to end and checks each payout, its log and the provider's order.
async fn every_terminal_status(provider: &str, cases: &[Case], reports_fee: bool) {
    let stack = Stack::start(StackOptions::default()).await;
    let mut ids = vec![];
    for (i, c) in cases.iter().enumerate() {
        ids.push(
            stack
                .create(&format!("{provider}-e2e-{i}"), provider, c.amount)
                .await,
        );
    }
    let expected: Vec<PayoutStatus> = cases.iter().map(|c| c.want).collect();
    let statuses = wait_exact(&stack, &ids, &expected, WITHIN).await;
    for ((c, id), got) in cases.iter().zip(&ids).zip(&statuses) {
        let what = format!("{provider} {}", c.amount);
        let types = stack.event_types(*id).await;
        assert_eq!(*got, c.want, "{what}: {types:?}");
        // Created once, claimed once, sent once: no fault asked for anything more.
        assert_eq!(
            types.first(),
            Some(&"payout.requested"),
            "{what}: {types:?}"
        );
        assert_eq!(
            count(&types, "payout.submission_started"),
            1,
            "{what}: {types:?}"
        );
        assert_eq!(count(&types, "payout.submitted"), 1, "{what}: {types:?}");
        assert!(
            in_order(
                &[
                    "payout.submission_started",
                    "payout.submitted",
                    "payout.provider_status"
                ],
                &types
            ),
            "{what}: {types:?}"
        );
        // The outcome events tell the payout's story, and the last one is the log's last word.
        let outcomes: Vec<&str> = types
            .iter()
            .copied()
            .filter(|t| OUTCOMES.contains(t))
            .collect();
        assert_eq!(outcomes, c.outcomes, "{what}: {types:?}");
        assert_eq!(types.last(), c.outcomes.last(), "{what}: {types:?}");
        stack.assert_gapless(*id).await;

        let p = payout(&stack, *id).await;
        match c.failure {
            Some((code, reason)) => {
                let failure = p.failure.as_ref().expect("a failure is recorded");
                assert_eq!(failure.code, code, "{what}: {failure:?}");
                assert!(failure.message.contains(reason), "{what}: {failure:?}");
            }
            None if c.want == S::Succeeded && reports_fee => {
                assert!(p.fee.is_some_and(|f| f > Decimal::ZERO), "{what}: {p:?}");
            }
            None => {}
        }

        // One order at the provider, under the first attempt's handle, that went where the
        // scenario says and is the one the payout names.
        let orders = sandbox_orders(&stack, provider, *id);
        assert_eq!(orders.len(), 1, "{what}: {orders:?}");
        let order = &orders[0];
        assert_eq!(order.order.handle, handle(*id, 1), "{what}");
        assert_eq!(order.submissions, 1, "{what}: sent twice: {order:?}");
        assert_eq!(order.orders_for_handle, 1, "{what}");
        assert_eq!(
            p.provider_ref.as_deref(),
            Some(order.order.order_id.as_str()),
            "{what}"
        );
        let history: Vec<&str> = order
            .order
            .history
            .iter()
            .map(|h| h.status.as_str())
            .collect();
        assert!(in_order(c.history, &history), "{what}: {history:?}");
        assert_eq!(
            Some(&order.order.status.as_str()),
            c.history.last(),
            "{what}: {history:?}"
        );
    }
    let summary = stack.sandbox.registry().summary();
    assert!(summary.exactly_once, "{summary:?}");
    assert_eq!(
        summary.providers.get(provider).map(|p| p.orders as usize),
        Some(cases.len()),
        "{summary:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killb_reaches_every_terminal_status() {
    every_terminal_status("killb", &KILLB, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cashy_co_reaches_every_terminal_status() {
    let cases = cashy_cases([
        "150000", "150011", "150012", "150013", "150014", "150015", "150016", "150017", "150018",
    ]);
    every_terminal_status("cashy-co", &cases, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cashy_tz_reaches_every_terminal_status() {
    let cases = cashy_cases([
        "5000", "5011", "5012", "5013", "5014", "5015", "5016", "5017", "5018",
    ]);
    every_terminal_status("cashy-tz", &cases, true).await;
}

fn amount(provider: &str) -> &'static str {
    if provider == "cashy-tz" {
        "5000"
    } else {
        "150000"
    }
}

async fn cancel(stack: &Stack, id: OrderId) -> Result<usize, ExecuteError> {
    stack
        .log
        .log
        .execute::<PayoutDecider>(
            id,
            &PayoutCommand::Cancel {
                reason: Some("withdrawn by the customer".into()),
            },
            &EventMeta::default(),
            false,
        )
        .await
        .map(|done| done.appended.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_cancelled_before_submission_never_reaches_its_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // KillB's pre-fund covers one 150,000 payout and not two; no executor runs yet.
    let mut stack = Stack::start(StackOptions {
        executors: 0,
        sandbox: vec!["--killb-balance=200000".into()],
        ..StackOptions::default()
    })
    .await;
    let mut cancelled = vec![];
    for provider in payout_providers() {
        let id = stack
            .create(&format!("cancel-{provider}"), provider, amount(provider))
            .await;
        assert_eq!(cancel(&stack, id).await.expect("cancellable"), 1);
        // Cancelling again is answered and appends nothing.
        assert_eq!(cancel(&stack, id).await.expect("repeat answered"), 0);
        cancelled.push((provider, id, &["payout.requested", "payout.cancelled"][..]));
    }
    for i in 0..stack.providers.len() {
        stack.start_executor(i).await;
    }

    // A KillB payout the balance does not cover waits in `held`; it can still be cancelled.
    let big = stack.create("held-big", "killb", "300000").await;
    let held = stack.wait_for(&[big], WITHIN, |s| s == S::Held).await;
    assert_eq!(held, vec![S::Held], "{:?}", stack.event_types(big).await);
    assert_eq!(cancel(&stack, big).await.expect("held is cancellable"), 1);
    cancelled.push((
        "killb",
        big,
        &["payout.requested", "payout.held", "payout.cancelled"][..],
    ));

    // Funds arrive; ordinary payouts go through, so the executors ran all along.
    let url = format!(
        "{}/_sandbox/killb/balances/{KILLB_ACCOUNT}/topup",
        stack.sandbox.killb_url().expect("killb")
    );
    let topped = reqwest::Client::new()
        .post(url)
        .json(&json!({"amount": "1000000"}))
        .send()
        .await
        .expect("top-up");
    assert!(topped.status().is_success(), "{topped:?}");
    let mut paid = vec![];
    for provider in payout_providers() {
        paid.push(
            stack
                .create(
                    &format!("after-cancel-{provider}"),
                    provider,
                    amount(provider),
                )
                .await,
        );
    }
    let statuses = stack.wait_for(&paid, WITHIN, |s| s.is_terminal()).await;
    assert_eq!(statuses, vec![S::Succeeded; paid.len()]);

    // A payout a provider has can no longer be cancelled, and nothing is appended.
    for id in &paid {
        let before = stack.event_types(*id).await.len();
        match cancel(&stack, *id).await {
            Err(ExecuteError::Rejected(r)) => assert_eq!(r.code, ErrorCode::NotCancellable),
            other => panic!("cancelled a submitted payout: {other:?}"),
        }
        assert_eq!(stack.event_types(*id).await.len(), before);
    }

    // The cancelled ones stayed cancelled and were never sent anywhere.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (provider, id, path) in &cancelled {
        let types = stack.event_types(*id).await;
        assert_eq!(stack.status(*id).await, S::Cancelled, "{types:?}");
        assert_eq!(&types, path, "{provider}");
        assert!(
            sandbox_orders(&stack, provider, *id).is_empty(),
            "{provider}"
        );
        assert!(
            stack
                .sandbox
                .registry()
                .handles(Some(provider))
                .iter()
                .all(|h| !h
                    .handle
                    .parse::<SubmissionHandle>()
                    .is_ok_and(|h| h.order_id == *id)),
            "{provider}: the provider was asked"
        );
        stack.assert_gapless(*id).await;
        let p = payout(&stack, *id).await;
        assert_eq!(p.attempt, 0, "{provider}");
    }
    let summary = stack.sandbox.registry().summary();
    assert!(summary.exactly_once, "{summary:?}");
    assert_eq!(summary.orders as usize, paid.len(), "{summary:?}");
}

/// The executors' dead-letter count for `provider` in the process-wide metrics.
fn dead_letters_metric(provider: &str) -> f64 {
    let series =
        format!(r#"giro_dead_letters_total{{component="executor",provider="{provider}"}}"#);
    giro_telemetry::metrics::render()
        .lines()
        .find_map(|line| line.strip_prefix(series.as_str()))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Publishes `payload` on `subject` as if appended for `provider` (first on its subject).
async fn publish(js: &jetstream::Context, subject: String, provider: &str, payload: Vec<u8>) {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(giro_eventlog::PROVIDER_HEADER, provider);
    headers.insert("Nats-Expected-Last-Subject-Sequence", "0");
    js.publish_with_headers(subject, headers, payload.into())
        .await
        .expect("published")
        .await
        .expect("stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_events_are_dead_lettered_and_counted_while_payouts_go_on() {
    let stack = Stack::start(StackOptions::default()).await;
    // The consumers are up and working before the poison arrives.
    let mut warm = vec![];
    for provider in payout_providers() {
        warm.push(
            stack
                .create(&format!("warm-{provider}"), provider, amount(provider))
                .await,
        );
    }
    let statuses = stack.wait_for(&warm, WITHIN, |s| s.is_terminal()).await;
    assert_eq!(statuses, vec![S::Succeeded; warm.len()]);

    let before_total = giro_executor::dlq::dead_lettered();
    let before: Vec<f64> = payout_providers()
        .into_iter()
        .map(dead_letters_metric)
        .collect();
    let prefix = stack.log.config.prefix.clone();
    let js = jetstream::new(stack.log.client.clone());
    // Three kinds of poison per provider: an unreadable event, a subject naming no order, and a
    // well-formed event of a payout that was never requested.
    let kinds = 3;
    for provider in payout_providers() {
        let unreadable = OrderId::from_uuid(uuid::Uuid::new_v4());
        publish(
            &js,
            format!("{prefix}.evt.payout.{unreadable}"),
            provider,
            b"{not json".to_vec(),
        )
        .await;
        publish(
            &js,
            format!("{prefix}.evt.payout.not-an-order-{provider}"),
            provider,
            b"{}".to_vec(),
        )
        .await;
        let orphan = OrderId::from_uuid(uuid::Uuid::new_v4());
        let envelope = Envelope {
            id: EventId::new(),
            event: PayoutEvent::Cancelled(Cancelled {
                reason: None,
                by: None,
            }),
            order_id: orphan,
            version: 1,
            at: Utc::now(),
            meta: EventMeta::default(),
        };
        publish(
            &js,
            format!("{prefix}.evt.payout.{orphan}"),
            provider,
            serde_json::to_vec(&envelope).expect("encodes"),
        )
        .await;
    }
    let wanted = before_total + (kinds * payout_providers().len()) as u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while giro_executor::dlq::dead_lettered() < wanted {
        assert!(
            Instant::now() < deadline,
            "dead-lettered {} of {}",
            giro_executor::dlq::dead_lettered() - before_total,
            wanted - before_total
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Each provider's executor counted its own three, once each.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(giro_executor::dlq::dead_lettered(), wanted);
    for (provider, before) in payout_providers().iter().zip(&before) {
        assert_eq!(
            dead_letters_metric(provider) - before,
            kinds as f64,
            "{provider}: {}",
            giro_telemetry::metrics::render()
        );
    }

    // Every letter is kept with its reason and where it came from, under its provider.
    let dlq = js
        .get_stream(stack.log.config.dead_letter_stream())
        .await
        .expect("dead-letter stream");
    let mut letters: Vec<(String, String, String)> = vec![];
    for sequence in 1..=(kinds * payout_providers().len()) as u64 {
        let letter = dlq.get_raw_message(sequence).await.expect("a dead letter");
        let header = |name: &str| {
            letter
                .headers
                .get(name)
                .map(|v| v.as_str().to_string())
                .unwrap_or_default()
        };
        letters.push((
            letter.subject.to_string(),
            header("Giro-Dead-Letter-Reason"),
            header("Giro-Original-Subject"),
        ));
    }
    assert!(
        dlq.get_raw_message((kinds * payout_providers().len()) as u64 + 1)
            .await
            .is_err(),
        "more dead letters than poison events"
    );
    for provider in payout_providers() {
        let mine: Vec<_> = letters
            .iter()
            .filter(|(subject, _, _)| *subject == format!("{prefix}.dlq.executor.{provider}"))
            .collect();
        assert_eq!(mine.len(), kinds, "{provider}: {letters:#?}");
        for reason in [
            "unreadable",
            "subject does not end in an order id",
            "no payout.requested",
        ] {
            assert!(
                mine.iter().any(|(_, r, _)| r.contains(reason)),
                "{provider}: no letter for {reason:?}: {mine:#?}"
            );
        }
        assert!(
            mine.iter()
                .all(|(_, _, original)| original.starts_with(&format!("{prefix}.evt.payout."))),
            "{provider}: {mine:#?}"
        );
    }

    // The consumers kept going: new payouts complete at every provider.
    let mut after = vec![];
    for provider in payout_providers() {
        after.push(
            stack
                .create(
                    &format!("after-poison-{provider}"),
                    provider,
                    amount(provider),
                )
                .await,
        );
    }
    let statuses = stack.wait_for(&after, WITHIN, |s| s.is_terminal()).await;
    assert_eq!(statuses, vec![S::Succeeded; after.len()]);
    for id in warm.iter().chain(&after) {
        stack.assert_gapless(*id).await;
    }
    assert_eq!(giro_executor::dlq::dead_lettered(), wanted);
}
