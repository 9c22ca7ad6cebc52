//! The webhook ingress: forged, stale, oversized and malformed callbacks are refused and append
//! nothing; a callback about another provider instance's order is refused; repeats append
//! nothing; stale and reordered reports change no state and leave one terminal event; unknown
//! orders are dead-lettered; verified callbacks are stored before the provider is answered, in
//! each provider's success form.

use std::time::Duration;

use chrono::Utc;
use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutEvent, PayoutStatus};
use giro_domain::{EventMeta, OrderId, SubmissionHandle};
use giro_e2e::{Stack, StackOptions};
use giro_executor::Timings;
use giro_sandbox::a55::a55_signature;
use giro_sandbox::a55::defaults::WEBHOOK_SECRET as A55_WEBHOOK_SECRET;
use giro_sandbox::cashy::cashy_sign;
use giro_sandbox::cashy::defaults::{CO_KEY, CO_MERCHANT, TZ_KEY, TZ_MERCHANT};
use giro_sandbox::killb::defaults::WEBHOOK_SECRET as KILLB_SECRET;
use giro_sandbox::killb::{KillbSignature, killb_signature};
use proptest::prelude::*;
use serde_json::json;

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A stack whose executors never poll (callbacks alone must drive orders) and never start:
/// tests post callbacks themselves.
async fn quiet_stack() -> Stack {
    let timings = Timings {
        poll_after: Duration::from_secs(3600),
        poll_max: Duration::from_secs(3600),
        ..StackOptions::default().timings
    };
    Stack::start(StackOptions {
        executors: 0,
        timings,
        ..StackOptions::default()
    })
    .await
}

fn cashy_callback(handle: &str, status: &str, desc: Option<&str>) -> Vec<u8> {
    cashy_callback_of(CO_MERCHANT, "150000.00", handle, status, desc)
}

fn cashy_callback_of(
    merchant: &str,
    amount: &str,
    handle: &str,
    status: &str,
    desc: Option<&str>,
) -> Vec<u8> {
    let mut body = json!({
        "amount": amount, "fee": 5150, "mchOrderNo": handle, "merchantId": merchant,
        "nonceStr": "1733103774518", "orderNo": format!("PAYOUT{handle}"), "orderStatus": status,
        "payType": "11", "completionTime": "2024-12-02 08:42:54"
    });
    if let Some(d) = desc {
        body["resultDesc"] = json!(d);
    }
    body.to_string().into_bytes()
}

async fn post_cashy(stack: &Stack, merchant: &str, key: &str, body: Vec<u8>) -> (u16, String) {
    let sign = cashy_sign(&body, key);
    let r = http()
        .post(format!("{}/webhooks/cashy", stack.ingress.url()))
        .header("MerchantId", merchant)
        .header("Sign", sign)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Creates a payout and claims its first attempt, as an executor would; returns it and its handle.
async fn submitted(stack: &Stack, key: &str, provider: &str, amount: &str) -> (OrderId, String) {
    let id = stack.create(key, provider, amount).await;
    stack
        .log
        .log
        .execute::<PayoutDecider>(
            id,
            &PayoutCommand::StartSubmission,
            &EventMeta::default(),
            false,
        )
        .await
        .unwrap();
    let handle = SubmissionHandle {
        order_id: id,
        attempt: 1,
    }
    .to_string();
    (id, handle)
}

fn killb_webhook(status: &str, external: &str) -> Vec<u8> {
    json!({"id": format!("wh-{status}"), "event": "PAYOUT", "action": "UPDATE", "attempts": 1,
           "createdAt": "2024-01-15T10:30:00.000Z", "updatedAt": "2024-01-15T10:30:00.000Z",
           "data": {"id": "payout-abc123", "amount": 500000, "currency": "COP", "status": status,
                    "externalId": external, "createdAt": "2024-01-15T10:30:00.000Z",
                    "updatedAt": "2024-01-15T10:31:00.000Z"}})
    .to_string()
    .into_bytes()
}

async fn post_killb(stack: &Stack, body: Vec<u8>, signature: String) -> u16 {
    http()
        .post(format!("{}/webhooks/killb", stack.ingress.url()))
        .header("x-signature-sha256", signature)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn post_killb_signed(stack: &Stack, body: Vec<u8>) -> u16 {
    let signature = killb_signature(KillbSignature::HmacSha256, KILLB_SECRET, &body);
    post_killb(stack, body, signature).await
}

async fn post_a55_signed(stack: &Stack, body: Vec<u8>) -> u16 {
    let at = Utc::now().timestamp();
    // Signed over the body, whatever its size: only the size is wrong with an oversized one.
    let signature = a55_signature(A55_WEBHOOK_SECRET, at, &body);
    http()
        .post(format!("{}/webhooks/a55", stack.ingress.url()))
        .header("X-Webhook-Timestamp", at.to_string())
        .header("X-Webhook-Signature", signature)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn metrics(stack: &Stack) -> String {
    http()
        .get(format!("{}/metrics", stack.ingress.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of one sample of the ingress's callbacks counter, 0 when absent.
fn callbacks(metrics: &str, provider: &str, result: &str) -> u64 {
    let wanted =
        format!("giro_ingress_callbacks_total{{provider=\"{provider}\",result=\"{result}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&wanted))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Whether the ingress kept any dead letter for `provider`.
async fn dead_lettered(stack: &Stack, provider: &str) -> bool {
    let js = async_nats::jetstream::new(stack.log.client.clone());
    let dlq = js
        .get_stream(stack.log.config.dead_letter_stream())
        .await
        .unwrap();
    let subject = format!("{}.dlq.ingress.{provider}", stack.log.config.prefix);
    dlq.direct_get_last_for_subject(subject).await.is_ok()
}

fn count(types: &[&str], wanted: &str) -> usize {
    types.iter().filter(|t| **t == wanted).count()
}

/// Terminal events of a payout: exactly one is wanted whatever the delivery order.
fn terminal(types: &[&str]) -> usize {
    types
        .iter()
        .filter(|t| {
            matches!(
                **t,
                "payout.succeeded"
                    | "payout.failed"
                    | "payout.cancelled"
                    | "payout.reversed"
                    | "payout.refunded"
            )
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_callbacks_are_stored_once_and_forgeries_append_nothing() {
    let stack = quiet_stack().await;
    let (id, handle) = submitted(&stack, "cb-1", "cashy-co", "150000").await;
    let events_before = stack.event_types(id).await.len();

    // Forged: wrong key, unknown merchant, another merchant's key, no signature; then oversized
    // and malformed.
    let good = cashy_callback(&handle, "SUCCESS", None);
    assert_eq!(
        post_cashy(&stack, CO_MERCHANT, "wrong-key", good.clone())
            .await
            .0,
        401
    );
    assert_eq!(
        post_cashy(&stack, "999999", CO_KEY, good.clone()).await.0,
        401
    );
    assert_eq!(
        post_cashy(&stack, TZ_MERCHANT, CO_KEY, good.clone())
            .await
            .0,
        401
    );
    let unsigned = http()
        .post(format!("{}/webhooks/cashy", stack.ingress.url()))
        .header("MerchantId", CO_MERCHANT)
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    assert_eq!(
        post_cashy(&stack, CO_MERCHANT, CO_KEY, vec![b'{'; 70 * 1024])
            .await
            .0,
        413
    );
    assert_eq!(
        post_cashy(&stack, CO_MERCHANT, CO_KEY, b"{\"orderStatus\": 5".to_vec())
            .await
            .0,
        400
    );
    assert_eq!(
        stack.event_types(id).await.len(),
        events_before,
        "a refused callback appended something"
    );

    // Verified: stored, answered in Colombia's form; repeats append nothing.
    assert_eq!(
        post_cashy(&stack, CO_MERCHANT, CO_KEY, good.clone()).await,
        (200, "SUCCESS".to_string())
    );
    assert_eq!(
        post_cashy(&stack, CO_MERCHANT, CO_KEY, good.clone()).await,
        (200, "SUCCESS".to_string())
    );
    let types = stack.event_types(id).await;
    assert_eq!(count(&types, "payout.succeeded"), 1, "{types:?}");
    assert_eq!(stack.status(id).await, PayoutStatus::Succeeded);

    // A stale in-flight report (PAYING after SUCCESS) is recorded, and changes nothing.
    let before = types.len();
    assert_eq!(
        post_cashy(
            &stack,
            CO_MERCHANT,
            CO_KEY,
            cashy_callback(&handle, "PAYING", None),
        )
        .await,
        (200, "SUCCESS".to_string())
    );
    let order = stack.log.log.load::<PayoutDecider>(id).await.unwrap();
    assert_eq!(order.events.len(), before + 1, "{types:?}");
    match &order.events.last().unwrap().event {
        PayoutEvent::ProviderStatus(report) => assert_eq!(report.raw_status, "PAYING"),
        other => panic!("the stale report appended {other:?}"),
    }
    assert_eq!(stack.status(id).await, PayoutStatus::Succeeded);

    // The reversal is first-class.
    post_cashy(
        &stack,
        CO_MERCHANT,
        CO_KEY,
        cashy_callback(&handle, "FAIL", Some("PAYMENT_OFFSET")),
    )
    .await;
    assert_eq!(stack.status(id).await, PayoutStatus::Reversed);
    let types = stack.event_types(id).await;
    assert_eq!(count(&types, "payout.succeeded"), 1, "{types:?}");
    assert_eq!(count(&types, "payout.reversed"), 1, "{types:?}");
    stack.assert_gapless(id).await;

    // Metrics count what happened.
    let metrics = metrics(&stack).await;
    assert_eq!(callbacks(&metrics, "cashy", "forged"), 4, "{metrics}");
    assert_eq!(callbacks(&metrics, "cashy", "oversized"), 1, "{metrics}");
    assert_eq!(callbacks(&metrics, "cashy-co", "malformed"), 1, "{metrics}");
    assert_eq!(callbacks(&metrics, "cashy-co", "duplicate"), 1, "{metrics}");
    assert_eq!(callbacks(&metrics, "cashy-co", "stored"), 3, "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tanzania_is_answered_in_its_own_success_form() {
    let stack = quiet_stack().await;
    let (id, handle) = submitted(&stack, "tz-1", "cashy-tz", "5000").await;
    let success = cashy_callback_of(TZ_MERCHANT, "5000", &handle, "SUCCESS", None);
    for _ in 0..2 {
        assert_eq!(
            post_cashy(&stack, TZ_MERCHANT, TZ_KEY, success.clone()).await,
            (200, r#"{"status":"SUCCESS"}"#.to_string())
        );
    }
    assert_eq!(stack.status(id).await, PayoutStatus::Succeeded);
    let types = stack.event_types(id).await;
    assert_eq!(count(&types, "payout.provider_status"), 1, "{types:?}");
    assert_eq!(terminal(&types), 1, "{types:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_may_only_report_on_its_own_provider_instances_orders() {
    let stack = quiet_stack().await;
    let (co, co_handle) = submitted(&stack, "own-co", "cashy-co", "150000").await;
    let (kb, kb_handle) = submitted(&stack, "own-kb", "killb", "500000").await;
    let co_before = stack.event_types(co).await;
    let kb_before = stack.event_types(kb).await;

    // Cashy Tanzania's merchant, correctly signed, names a Colombian order.
    let tz_about_co = cashy_callback_of(TZ_MERCHANT, "150000", &co_handle, "SUCCESS", None);
    assert_eq!(
        post_cashy(&stack, TZ_MERCHANT, TZ_KEY, tz_about_co).await.0,
        401
    );
    // KillB, correctly signed, names the Cashy order; Cashy Colombia names the KillB order.
    assert_eq!(
        post_killb_signed(&stack, killb_webhook("COMPLETED", &co_handle)).await,
        401
    );
    let co_about_kb = cashy_callback(&kb_handle, "SUCCESS", None);
    assert_eq!(
        post_cashy(&stack, CO_MERCHANT, CO_KEY, co_about_kb).await.0,
        401
    );
    assert_eq!(stack.event_types(co).await, co_before);
    assert_eq!(stack.event_types(kb).await, kb_before);
    for provider in ["killb", "cashy-co", "cashy-tz"] {
        assert!(!dead_lettered(&stack, provider).await, "{provider}");
    }
    let metrics = metrics(&stack).await;
    for provider in ["killb", "cashy-co", "cashy-tz"] {
        assert_eq!(
            callbacks(&metrics, provider, "wrong_provider"),
            1,
            "{provider}: {metrics}"
        );
    }

    // Each instance's own report is taken.
    let own = cashy_callback(&co_handle, "SUCCESS", None);
    assert_eq!(
        post_cashy(&stack, CO_MERCHANT, CO_KEY, own).await,
        (200, "SUCCESS".to_string())
    );
    assert_eq!(
        post_killb_signed(&stack, killb_webhook("COMPLETED", &kb_handle)).await,
        200
    );
    assert_eq!(stack.status(co).await, PayoutStatus::Succeeded);
    assert_eq!(stack.status(kb).await, PayoutStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killb_webhooks_in_both_signature_readings_and_unknown_orders_dead_lettered() {
    let stack = quiet_stack().await;
    let (id, handle) = submitted(&stack, "kb-1", "killb", "500000").await;
    let before = stack.event_types(id).await;
    let processing = killb_webhook("PROCESSING", &handle);
    let sig_a = killb_signature(KillbSignature::HmacSha256, KILLB_SECRET, &processing);
    // Forged: a wrong signature, another body's, another secret's, none.
    assert_eq!(
        post_killb(&stack, processing.clone(), "00".repeat(32)).await,
        401
    );
    let other = killb_signature(KillbSignature::HmacSha256, KILLB_SECRET, b"{}");
    assert_eq!(post_killb(&stack, processing.clone(), other).await, 401);
    let wrong = killb_signature(KillbSignature::Sha256Underscore, "not-it", &processing);
    assert_eq!(post_killb(&stack, processing.clone(), wrong).await, 401);
    let unsigned = http()
        .post(format!("{}/webhooks/killb", stack.ingress.url()))
        .body(processing.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    assert_eq!(stack.event_types(id).await, before, "a forgery appended");

    assert_eq!(post_killb(&stack, processing.clone(), sig_a).await, 200);
    assert_eq!(stack.status(id).await, PayoutStatus::Processing);
    let completed = killb_webhook("COMPLETED", &handle);
    let sig_b = killb_signature(KillbSignature::Sha256Underscore, KILLB_SECRET, &completed);
    assert_eq!(post_killb(&stack, completed, sig_b).await, 200);
    assert_eq!(stack.status(id).await, PayoutStatus::Succeeded);

    // A callback for an order Giro does not know: kept on the dead-letter subject, answered 200.
    let stranger = killb_webhook("COMPLETED", "payout-2024-001");
    assert_eq!(post_killb_signed(&stack, stranger.clone()).await, 200);
    let js = async_nats::jetstream::new(stack.log.client.clone());
    let dlq = js
        .get_stream(stack.log.config.dead_letter_stream())
        .await
        .unwrap();
    let letter = dlq
        .direct_get_last_for_subject(format!("{}.dlq.ingress.killb", stack.log.config.prefix))
        .await
        .unwrap();
    assert_eq!(&letter.payload[..], &stranger[..]);
    assert!(
        letter
            .headers
            .get(giro_ingress::DEAD_LETTER_REASON_HEADER)
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killb_duplicates_and_reorderings_leave_exactly_one_terminal_event() {
    let stack = quiet_stack().await;
    // Duplicates: every report delivered three times.
    let (dup, dup_handle) = submitted(&stack, "kb-dup", "killb", "500000").await;
    for status in ["PROCESSING", "COMPLETED"] {
        for _ in 0..3 {
            let body = killb_webhook(status, &dup_handle);
            assert_eq!(post_killb_signed(&stack, body).await, 200);
        }
    }
    let types = stack.event_types(dup).await;
    assert_eq!(count(&types, "payout.provider_status"), 2, "{types:?}");
    assert_eq!(terminal(&types), 1, "{types:?}");
    assert_eq!(count(&types, "payout.succeeded"), 1, "{types:?}");

    // Reordered: COMPLETED arrives before PROCESSING, then COMPLETED again.
    let (late, late_handle) = submitted(&stack, "kb-late", "killb", "500000").await;
    for status in ["COMPLETED", "PROCESSING", "COMPLETED"] {
        let body = killb_webhook(status, &late_handle);
        assert_eq!(post_killb_signed(&stack, body).await, 200);
    }
    assert_eq!(stack.status(late).await, PayoutStatus::Succeeded);
    let types = stack.event_types(late).await;
    assert_eq!(count(&types, "payout.provider_status"), 2, "{types:?}");
    assert_eq!(terminal(&types), 1, "{types:?}");
    assert!(
        types.ends_with(&["payout.provider_status"]),
        "the late PROCESSING is recorded last and changes nothing: {types:?}"
    );
    for id in [dup, late] {
        stack.assert_gapless(id).await;
    }
    let metrics = metrics(&stack).await;
    assert_eq!(callbacks(&metrics, "killb", "duplicate"), 5, "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_callbacks_on_every_route_append_nothing() {
    let stack = quiet_stack().await;
    let (payout, handle) = submitted(&stack, "bad-kb", "killb", "500000").await;
    let charge = stack.create_charge("bad-a55", "150.00", "pix").await;
    let payout_before = stack.event_types(payout).await;
    let charge_before = stack.charge_event_types(charge).await;
    let charge_handle = SubmissionHandle {
        order_id: charge,
        attempt: 1,
    }
    .to_string();

    // Oversized, though correctly signed and otherwise well formed (padding after the JSON).
    let mut big_killb = killb_webhook("COMPLETED", &handle);
    big_killb.resize(70 * 1024, b' ');
    assert_eq!(post_killb_signed(&stack, big_killb).await, 413);
    let mut big_a55 = json!({"charge_uuid": "c-1", "status": "paid",
                             "reference_external_id": charge_handle})
    .to_string()
    .into_bytes();
    big_a55.resize(70 * 1024, b' ');
    assert_eq!(post_a55_signed(&stack, big_a55).await, 413);

    // Malformed, correctly signed: not JSON, JSON of the wrong shape, a payout without a status.
    for body in [
        b"{\"event\": \"PAYOUT\", \"data\": ".to_vec(),
        b"[1,2,3]".to_vec(),
        json!({"id": "wh-1", "event": "PAYOUT", "data": {"externalId": handle}})
            .to_string()
            .into_bytes(),
    ] {
        assert_eq!(post_killb_signed(&stack, body).await, 400);
    }
    for body in [
        b"[1,2".to_vec(),
        b"\"paid\"".to_vec(),
        json!({"status": "paid", "reference_external_id": charge_handle})
            .to_string()
            .into_bytes(),
    ] {
        assert_eq!(post_a55_signed(&stack, body).await, 400);
    }

    assert_eq!(stack.event_types(payout).await, payout_before);
    assert_eq!(stack.charge_event_types(charge).await, charge_before);
    for provider in ["killb", "a55"] {
        assert!(!dead_lettered(&stack, provider).await, "{provider}");
    }
    let metrics = metrics(&stack).await;
    for (provider, result, n) in [
        ("killb", "oversized", 1),
        ("a55", "oversized", 1),
        ("killb", "malformed", 3),
        ("a55", "malformed", 3),
    ] {
        assert_eq!(
            callbacks(&metrics, provider, result),
            n,
            "{provider} {result}: {metrics}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bytes_and_headers_never_panic_the_parsers_and_verifiers(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        header in ".{0,80}",
    ) {
        use giro_providers::{cashy, killb};
        let _ = killb::sign::verify_signature("secret", &body, &header);
        let _ = cashy::verify_sign(&body, "key", &header);
        if let Ok(envelope) = killb::wire::WebhookEnvelope::parse(&body) {
            let _ = envelope.payout().map(|p| p.report(giro_domain::payout::ReportSource::Webhook));
        }
        if let Ok(callback) = cashy::wire::Callback::parse(&body) {
            let _ = callback.report();
        }
        let _ = header.parse::<SubmissionHandle>();

        // A55: arbitrary signature and timestamp headers (text or raw bytes) are refused or
        // accepted, never a panic; a valid signature over arbitrary bytes parses or is malformed.
        use giro_providers::a55;
        use reqwest::header::{HeaderMap, HeaderValue};
        let now = chrono::Utc::now();
        let mut headers = HeaderMap::new();
        let raw = HeaderValue::from_bytes(&body[..body.len().min(40)]);
        for value in [HeaderValue::from_str(&header), raw].into_iter().flatten() {
            headers.insert("X-Webhook-Signature", value.clone());
            headers.insert("X-Webhook-Timestamp", value);
            prop_assert!(a55::webhook::verify_signed("secret", &headers, &body, now).is_err());
        }
        let at = now.timestamp();
        let mut signed = HeaderMap::new();
        signed.insert("X-Webhook-Timestamp", HeaderValue::from(at));
        let signature = giro_sandbox::a55::a55_signature("secret", at, &body);
        signed.insert("X-Webhook-Signature", HeaderValue::from_str(&signature).unwrap());
        match a55::webhook::verify_signed("secret", &signed, &body, now) {
            Ok(Some(v)) => {
                let _ = v.handle.map(|h| h.parse::<SubmissionHandle>());
            }
            Ok(None) => prop_assert!(false, "signed webhook taken for unsigned"),
            Err(r) => prop_assert_eq!(r.result, "malformed"),
        }
        if let Ok(legacy) = a55::wire::LegacyWebhook::parse(&body) {
            let _ = a55::A55Status::parse(&legacy.status);
        }
    }
}
