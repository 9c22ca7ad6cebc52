//! A55 charges end to end against the sandbox over real HTTP and a real NATS: the charge executor
//! creates charges under the attempt's handle, webhooks drive them to paid, failed, cancelled and
//! refunded, a lost creation answer is resolved without a second charge, and forged, stale,
//! replayed and duplicate webhooks append nothing.

use std::time::Duration;

use chrono::Utc;
use giro_domain::charge::{ChargeCommand, ChargeStatus};
use giro_domain::{OrderId, SubmissionHandle};
use giro_e2e::{Stack, StackOptions};
use giro_sandbox::FaultSettings;
use giro_sandbox::OrderFilter;
use giro_sandbox::a55::a55_signature;
use giro_sandbox::a55::defaults::WEBHOOK_SECRET as A55_WEBHOOK_SECRET;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const WITHIN: Duration = Duration::from_secs(30);

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn stack() -> Stack {
    Stack::start(StackOptions::default()).await
}

fn handle(id: OrderId, attempt: u32) -> String {
    SubmissionHandle {
        order_id: id,
        attempt,
    }
    .to_string()
}

/// The sandbox's orders for the charge's first attempt.
fn sandbox_orders(stack: &Stack, id: OrderId) -> Vec<giro_sandbox::OrderReport> {
    stack.sandbox.registry().orders(&OrderFilter {
        provider: Some("a55".into()),
        handle: Some(handle(id, 1)),
        ..OrderFilter::default()
    })
}

fn count(types: &[&str], wanted: &str) -> usize {
    types.iter().filter(|t| **t == wanted).count()
}

async fn settled(stack: &Stack, id: OrderId) -> giro_domain::charge::Charge {
    stack
        .wait_charge(id, WITHIN, |c| {
            c.status.is_terminal() && c.refund_requested.is_none()
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charges_reach_paid_failed_and_cancelled_through_webhooks() {
    let stack = stack().await;
    let paid = stack
        .create_charge("ch-paid", "150.00", "credit_card")
        .await;
    let failed = stack.create_charge("ch-error", "211.00", "pix").await;
    let cancelled = stack.create_charge("ch-cancel", "216.00", "boleto").await;

    let c = settled(&stack, paid).await;
    assert_eq!(c.status, ChargeStatus::Paid);
    assert!(
        c.payment
            .payment_url
            .as_deref()
            .is_some_and(|u| u.contains(c.charge_uuid.as_deref().unwrap())),
        "{:?}",
        c.payment
    );
    let types = stack.charge_event_types(paid).await;
    assert_eq!(count(&types, "charge.submission_started"), 1, "{types:?}");
    assert_eq!(count(&types, "charge.submitted"), 1, "{types:?}");
    assert_eq!(count(&types, "charge.confirmed"), 1, "{types:?}");
    assert_eq!(count(&types, "charge.paid"), 1, "{types:?}");

    let f = settled(&stack, failed).await;
    assert_eq!(f.status, ChargeStatus::Failed);
    assert!(
        f.failure
            .as_ref()
            .is_some_and(|x| x.message.contains("payment_declined")),
        "{:?}",
        f.failure
    );
    assert!(f.payment.pix.is_some(), "{:?}", f.payment);

    let x = settled(&stack, cancelled).await;
    assert_eq!(x.status, ChargeStatus::Cancelled);
    assert!(x.payment.boleto.is_some(), "{:?}", x.payment);

    // One charge at A55 per order, under the first attempt's handle.
    for id in [paid, failed, cancelled] {
        let orders = sandbox_orders(&stack, id);
        assert_eq!(orders.len(), 1, "{orders:?}");
        assert_eq!(orders[0].orders_for_handle, 1);
        stack.assert_gapless_charge(id).await;
    }
}

/// The events that decide a charge's outcome; their order is the charge's story.
const OUTCOMES: [&str; 4] = [
    "charge.paid",
    "charge.failed",
    "charge.cancelled",
    "charge.refunded",
];

/// Whether `wanted` occurs in `seen` in this order (other items may come between).
fn in_order(wanted: &[&str], seen: &[&str]) -> bool {
    let mut seen = seen.iter();
    wanted.iter().all(|w| seen.any(|s| s == w))
}

/// One row of the A55 table: the installment value (its last two whole digits pick the sandbox
/// scenario), the status the charge must end in, its outcome events in order, statuses A55's
/// charge passes through in order (the last is where it ends), and the failure reason A55 gives.
type Case = (
    &'static str,
    ChargeStatus,
    &'static [&'static str],
    &'static [&'static str],
    Option<&'static str>,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_a55_scenario_reaches_its_terminal_status() {
    use ChargeStatus as S;
    let stack = stack().await;
    let cases: [Case; 9] = [
        (
            "300.00",
            S::Paid,
            &["charge.paid"],
            &["issued", "pending", "confirmed", "paid"],
            None,
        ),
        (
            "311.00",
            S::Failed,
            &["charge.failed"],
            &["issued", "pending", "error"],
            Some("payment_declined"),
        ),
        (
            "312.00",
            S::Failed,
            &["charge.failed"],
            &["issued", "pending", "error"],
            Some("errors.unexpected"),
        ),
        (
            "313.00",
            S::Failed,
            &["charge.failed"],
            &["issued", "pending", "error"],
            Some("antifraud_rejected"),
        ),
        (
            "314.00",
            S::Refunded,
            &["charge.paid", "charge.refunded"],
            &["issued", "pending", "confirmed", "paid", "refunded"],
            None,
        ),
        (
            "315.00",
            S::Failed,
            &["charge.failed"],
            &["issued", "pending", "error"],
            Some("error_threeds_authentication"),
        ),
        (
            "316.00",
            S::Cancelled,
            &["charge.cancelled"],
            &["issued", "pending", "canceled"],
            None,
        ),
        (
            "317.00",
            S::Refunded,
            &["charge.paid", "charge.refunded"],
            &["issued", "pending", "confirmed", "paid", "refunded"],
            None,
        ),
        (
            "318.00",
            S::Paid,
            &["charge.paid"],
            &["issued", "pending", "confirmed", "paid"],
            None,
        ),
    ];
    let mut ids = vec![];
    for (i, (amount, ..)) in cases.iter().enumerate() {
        ids.push(
            stack
                .create_charge(&format!("ch-table-{i}"), amount, "pix")
                .await,
        );
    }
    // Paid is terminal but a provider-side refund may still follow: wait for the exact status.
    for ((amount, want, outcomes, history, reason), id) in cases.iter().zip(&ids) {
        let c = stack
            .wait_charge(*id, WITHIN, |c| {
                c.status == *want && c.refund_requested.is_none()
            })
            .await;
        let types = stack.charge_event_types(*id).await;
        assert_eq!(c.status, *want, "{amount}: {types:?}");
        assert_eq!(
            types.first(),
            Some(&"charge.requested"),
            "{amount}: {types:?}"
        );
        assert_eq!(
            count(&types, "charge.submission_started"),
            1,
            "{amount}: {types:?}"
        );
        assert_eq!(count(&types, "charge.submitted"), 1, "{amount}: {types:?}");
        let seen: Vec<&str> = types
            .iter()
            .copied()
            .filter(|t| OUTCOMES.contains(t))
            .collect();
        assert_eq!(&seen, outcomes, "{amount}: {types:?}");
        assert_eq!(types.last(), outcomes.last(), "{amount}: {types:?}");
        // Nobody asked Giro to cancel or refund: A55 did it on its own.
        assert_eq!(count(&types, "charge.cancel_requested"), 0, "{amount}");
        assert_eq!(count(&types, "charge.refund_requested"), 0, "{amount}");
        match reason {
            Some(reason) => {
                let failure = c.failure.as_ref().expect("a failure is recorded");
                assert!(
                    failure.message.contains(reason) || failure.code.contains(reason),
                    "{amount}: {failure:?}"
                );
            }
            None => assert!(c.failure.is_none(), "{amount}: {:?}", c.failure),
        }
        if *want == S::Refunded {
            assert_eq!(c.refunded, c.request.total(), "{amount}: {c:?}");
        }
        stack.assert_gapless_charge(*id).await;

        // One charge at A55, under the first attempt's handle, the one Giro names.
        let orders = sandbox_orders(&stack, *id);
        assert_eq!(orders.len(), 1, "{amount}: {orders:?}");
        let order = &orders[0];
        assert_eq!(order.submissions, 1, "{amount}: sent twice: {order:?}");
        assert_eq!(order.orders_for_handle, 1, "{amount}");
        assert_eq!(
            c.charge_uuid.as_deref(),
            Some(order.order.order_id.as_str()),
            "{amount}"
        );
        let statuses: Vec<&str> = order
            .order
            .history
            .iter()
            .map(|h| h.status.as_str())
            .collect();
        assert!(in_order(history, &statuses), "{amount}: {statuses:?}");
        assert_eq!(
            Some(&order.order.status.as_str()),
            history.last(),
            "{amount}: {statuses:?}"
        );
    }
    let summary = stack.sandbox.registry().summary();
    assert!(summary.exactly_once, "{summary:?}");
    assert_eq!(
        summary.providers.get("a55").map(|p| p.orders as usize),
        Some(cases.len()),
        "{summary:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_is_carried_out_at_a55() {
    let stack = stack().await;
    // `…19` stays pending at A55 until something happens to it.
    let id = stack.create_charge("ch-stuck", "219.00", "pix").await;
    let c = stack
        .wait_charge(id, WITHIN, |c| {
            c.status == ChargeStatus::Pending && c.submitted_attempt == Some(1)
        })
        .await;
    assert_eq!(c.status, ChargeStatus::Pending);
    let appended = stack
        .charge_command(
            id,
            ChargeCommand::Cancel {
                reason: Some("order withdrawn".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(appended, 1);
    let c = settled(&stack, id).await;
    assert_eq!(c.status, ChargeStatus::Cancelled);
    let orders = sandbox_orders(&stack, id);
    assert_eq!(orders[0].order.status, "canceled", "{orders:?}");
    let types = stack.charge_event_types(id).await;
    assert_eq!(count(&types, "charge.cancelled"), 1, "{types:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_and_full_refunds_are_carried_out_at_a55() {
    let stack = stack().await;
    let partial = stack.create_charge("ch-rf-part", "150.00", "pix").await;
    let full = stack.create_charge("ch-rf-full", "120.00", "pix").await;
    for id in [partial, full] {
        assert_eq!(settled(&stack, id).await.status, ChargeStatus::Paid);
    }
    // More than was charged is refused before A55 is asked.
    let too_much = stack
        .charge_command(
            partial,
            ChargeCommand::Refund {
                amount: Some(Decimal::new(15001, 2)),
                reason: None,
            },
        )
        .await;
    assert!(too_much.is_err(), "{too_much:?}");
    stack
        .charge_command(
            partial,
            ChargeCommand::Refund {
                amount: Some(Decimal::new(5000, 2)),
                reason: Some("one item returned".into()),
            },
        )
        .await
        .unwrap();
    stack
        .charge_command(
            full,
            ChargeCommand::Refund {
                amount: None,
                reason: None,
            },
        )
        .await
        .unwrap();
    let p = stack
        .wait_charge(partial, WITHIN, |c| c.refunded > Decimal::ZERO)
        .await;
    assert_eq!(p.status, ChargeStatus::Paid);
    assert_eq!(p.refunded, Decimal::new(5000, 2));
    assert_eq!(p.refundable(), Decimal::new(10000, 2));
    let f = stack
        .wait_charge(full, WITHIN, |c| c.status == ChargeStatus::Refunded)
        .await;
    assert_eq!(f.status, ChargeStatus::Refunded);
    assert_eq!(f.refunded, Decimal::new(12000, 2));
    // A55's refund webhooks (same identity as the refund's answer) append nothing more.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for id in [partial, full] {
        let types = stack.charge_event_types(id).await;
        assert_eq!(count(&types, "charge.refunded"), 1, "{types:?}");
        assert_eq!(sandbox_orders(&stack, id)[0].order.status, "refunded");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_creation_answer_is_resolved_without_a_second_charge() {
    let stack = stack().await;
    // A first charge warms the token cache, so only the creation below is faulted.
    let warm = stack.create_charge("ch-warm", "150.00", "pix").await;
    assert_eq!(settled(&stack, warm).await.status, ChargeStatus::Paid);

    stack
        .sandbox
        .faults()
        .set(FaultSettings {
            lose_response: 1.0,
            ..FaultSettings::default()
        })
        .unwrap();
    // `…19` stays pending, so the charge's payment page must be read back from A55.
    let id = stack
        .create_charge("ch-lost", "219.00", "credit_card")
        .await;
    let deadline = std::time::Instant::now() + WITHIN;
    while sandbox_orders(&stack, id).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let the lost answer be noticed, then let A55 answer again.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stack
        .sandbox
        .faults()
        .set(FaultSettings::default())
        .unwrap();

    // The webhook named the charge; the executor read it back (payment page included).
    let c = stack
        .wait_charge(id, WITHIN, |c| c.submitted_attempt == Some(1))
        .await;
    assert_eq!(c.status, ChargeStatus::Pending);
    assert_eq!(c.attempt, 1, "a new attempt was made");
    assert!(c.payment.payment_url.is_some(), "{:?}", c.payment);
    let types = stack.charge_event_types(id).await;
    assert_eq!(count(&types, "charge.submission_started"), 1, "{types:?}");
    // Unknown unless the webhook came before the lost answer was noticed.
    assert!(count(&types, "charge.outcome_unknown") <= 1, "{types:?}");
    assert_eq!(count(&types, "charge.submitted"), 1, "{types:?}");
    let orders = sandbox_orders(&stack, id);
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0].submissions, 1, "sent twice: {orders:?}");
    assert_eq!(orders[0].orders_for_handle, 1);
    assert!(stack.sandbox.registry().summary().at_most_once);
}

async fn post_a55(stack: &Stack, body: &[u8], headers: &[(&str, String)]) -> u16 {
    let mut request = http()
        .post(format!("{}/webhooks/a55", stack.ingress.url()))
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap().status().as_u16()
}

fn signed(secret: &str, at: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        ("X-Webhook-Timestamp", at.to_string()),
        ("X-Webhook-Signature", a55_signature(secret, at, body)),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_stale_replayed_and_duplicate_webhooks_append_nothing() {
    let stack = stack().await;
    let id = stack.create_charge("ch-hooks", "150.00", "pix").await;
    let c = settled(&stack, id).await;
    assert_eq!(c.status, ChargeStatus::Paid);
    let uuid = c.charge_uuid.clone().unwrap();
    let before = stack.charge_event_types(id).await.len();

    // What a (fake) refund webhook would say for this charge.
    let refunded = json!({"charge_uuid": uuid, "status": "refunded", "currency": "BRL",
                          "local_currency": 150.0, "reference_external_id": handle(id, 1)})
    .to_string()
    .into_bytes();
    let now = Utc::now().timestamp();
    // Forged: wrong secret, signature of another body, missing headers, half the headers.
    assert_eq!(
        post_a55(&stack, &refunded, &signed("not-the-secret", now, &refunded)).await,
        401
    );
    assert_eq!(
        post_a55(&stack, &refunded, &signed(A55_WEBHOOK_SECRET, now, b"{}")).await,
        401
    );
    assert_eq!(post_a55(&stack, &refunded, &[]).await, 401);
    assert_eq!(
        post_a55(
            &stack,
            &refunded,
            &signed(A55_WEBHOOK_SECRET, now, &refunded)[1..]
        )
        .await,
        401
    );
    // Stale (a replay of a captured webhook) and far-future timestamps.
    assert_eq!(
        post_a55(
            &stack,
            &refunded,
            &signed(A55_WEBHOOK_SECRET, now - 301, &refunded)
        )
        .await,
        401
    );
    assert_eq!(
        post_a55(
            &stack,
            &refunded,
            &signed(A55_WEBHOOK_SECRET, now + 3600, &refunded)
        )
        .await,
        401
    );
    // Malformed but correctly signed.
    assert_eq!(
        post_a55(&stack, b"[1,2", &signed(A55_WEBHOOK_SECRET, now, b"[1,2")).await,
        400
    );
    assert_eq!(stack.charge_event_types(id).await.len(), before);

    // A fresh, correctly signed repeat of what A55 already said: answered, nothing appended.
    let paid =
        json!({"charge_uuid": uuid, "status": "paid", "reference_external_id": handle(id, 1)})
            .to_string()
            .into_bytes();
    for _ in 0..2 {
        assert_eq!(
            post_a55(&stack, &paid, &signed(A55_WEBHOOK_SECRET, now, &paid)).await,
            200
        );
    }
    assert_eq!(stack.charge_event_types(id).await.len(), before);

    // A genuine new report is stored once, however often it is delivered.
    for _ in 0..3 {
        assert_eq!(
            post_a55(
                &stack,
                &refunded,
                &signed(A55_WEBHOOK_SECRET, now, &refunded)
            )
            .await,
            200
        );
    }
    let types = stack.charge_event_types(id).await;
    assert_eq!(types.len(), before + 2, "{types:?}");
    assert_eq!(count(&types, "charge.refunded"), 1);
    assert_eq!(stack.charge(id).await.status, ChargeStatus::Refunded);

    // A charge Giro does not know: answered, kept on the dead-letter subject.
    let stranger = json!({"charge_uuid": "c-unknown", "status": "paid",
                          "reference_external_id": "shop-order-42"})
    .to_string()
    .into_bytes();
    assert_eq!(
        post_a55(
            &stack,
            &stranger,
            &signed(A55_WEBHOOK_SECRET, now, &stranger)
        )
        .await,
        200
    );
    let js = async_nats::jetstream::new(stack.log.client.clone());
    let dlq = js
        .get_stream(stack.log.config.dead_letter_stream())
        .await
        .unwrap();
    let letter = dlq
        .direct_get_last_for_subject(format!("{}.dlq.ingress.a55", stack.log.config.prefix))
        .await
        .unwrap();
    assert_eq!(&letter.payload[..], &stranger[..]);

    let metrics = http()
        .get(format!("{}/metrics", stack.ingress.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for result in ["forged", "stale", "duplicate", "malformed", "unknown_order"] {
        assert!(
            metrics.contains(&format!("provider=\"a55\",result=\"{result}\""))
                || metrics.contains(&format!("result=\"{result}\",provider=\"a55\"")),
            "{result}: {metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_legacy_webhooks_count_only_as_confirmed_by_a55() {
    let stack = Stack::start(StackOptions {
        sandbox: vec!["--a55-legacy-webhooks".into()],
        ..StackOptions::default()
    })
    .await;
    let id = stack.create_charge("ch-legacy", "150.00", "pix").await;
    let c = settled(&stack, id).await;
    assert_eq!(c.status, ChargeStatus::Paid);
    let before = stack.charge_event_types(id).await.len();
    // An unsigned claim that contradicts A55 is recorded as what A55 says: nothing new.
    let lie = json!({"charge_uuid": c.charge_uuid, "status": "refunded",
                     "transaction_reference": "TR1"})
    .to_string()
    .into_bytes();
    assert_eq!(post_a55(&stack, &lie, &[]).await, 200);
    assert_eq!(stack.charge_event_types(id).await.len(), before);
    assert_eq!(stack.charge(id).await.status, ChargeStatus::Paid);
    // An unsigned webhook about a charge A55 does not have is refused.
    let unknown: Value = json!({"charge_uuid": "00000000-0000-0000-0000-000000000000",
                                "status": "paid", "transaction_reference": "TR2"});
    assert_eq!(
        post_a55(&stack, unknown.to_string().as_bytes(), &[]).await,
        401
    );
}
