//! The webhook ingress: forged, stale, oversized and malformed callbacks are refused and append
//! nothing; repeats append nothing; unknown orders are dead-lettered; verified callbacks are
//! stored before the provider is answered.

use std::time::Duration;

use giro_domain::SubmissionHandle;
use giro_domain::payout::PayoutStatus;
use giro_e2e::{CO_KEY, CO_MERCHANT, KILLB_SECRET, Stack, StackOptions, TZ_MERCHANT};
use giro_executor::Timings;
use giro_sandbox::cashy::cashy_sign;
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
    let mut body = json!({
        "amount": "150000.00", "fee": 5150, "mchOrderNo": handle, "merchantId": CO_MERCHANT,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_callbacks_are_stored_once_and_forgeries_append_nothing() {
    let stack = quiet_stack().await;
    let id = stack.create("cb-1", "cashy-co", "150000").await;
    let handle = SubmissionHandle {
        order_id: id,
        attempt: 1,
    }
    .to_string();
    // The order was submitted (as an executor would have done).
    stack
        .log
        .log
        .execute::<giro_domain::payout::PayoutDecider>(
            id,
            &giro_domain::payout::PayoutCommand::StartSubmission,
            &Default::default(),
            false,
        )
        .await
        .unwrap();
    let events_before = stack.event_types(id).await.len();

    // Forged: wrong key, unknown merchant, no signature, oversized, malformed.
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
    assert_eq!(
        types.iter().filter(|t| **t == "payout.succeeded").count(),
        1,
        "{types:?}"
    );
    assert_eq!(stack.status(id).await, PayoutStatus::Succeeded);
    // A stale in-flight report is recorded but changes nothing; the reversal is first-class.
    post_cashy(
        &stack,
        CO_MERCHANT,
        CO_KEY,
        cashy_callback(&handle, "PAYING", None),
    )
    .await;
    assert_eq!(stack.status(id).await, PayoutStatus::Succeeded);
    post_cashy(
        &stack,
        CO_MERCHANT,
        CO_KEY,
        cashy_callback(&handle, "FAIL", Some("PAYMENT_OFFSET")),
    )
    .await;
    assert_eq!(stack.status(id).await, PayoutStatus::Reversed);
    stack.assert_gapless(id).await;

    // Metrics count what happened.
    let metrics = http()
        .get(format!("{}/metrics", stack.ingress.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("result=\"forged\""), "{metrics}");
    assert!(metrics.contains("result=\"duplicate\""), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killb_webhooks_in_both_signature_readings_and_unknown_orders_dead_lettered() {
    let stack = quiet_stack().await;
    let id = stack.create("kb-1", "killb", "500000").await;
    stack
        .log
        .log
        .execute::<giro_domain::payout::PayoutDecider>(
            id,
            &giro_domain::payout::PayoutCommand::StartSubmission,
            &Default::default(),
            false,
        )
        .await
        .unwrap();
    let handle = SubmissionHandle {
        order_id: id,
        attempt: 1,
    }
    .to_string();
    let webhook = |status: &str, external: &str| {
        json!({"id": format!("wh-{status}"), "event": "PAYOUT", "action": "UPDATE", "attempts": 1,
               "createdAt": "2024-01-15T10:30:00.000Z", "updatedAt": "2024-01-15T10:30:00.000Z",
               "data": {"id": "payout-abc123", "amount": 500000, "currency": "COP", "status": status,
                        "externalId": external, "createdAt": "2024-01-15T10:30:00.000Z",
                        "updatedAt": "2024-01-15T10:31:00.000Z"}})
        .to_string()
        .into_bytes()
    };
    let post = |body: Vec<u8>, signature: String| {
        let url = format!("{}/webhooks/killb", stack.ingress.url());
        async move {
            http()
                .post(url)
                .header("x-signature-sha256", signature)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let processing = webhook("PROCESSING", &handle);
    let sig_a = killb_signature(KillbSignature::HmacSha256, KILLB_SECRET, &processing);
    assert_eq!(post(processing.clone(), "00".repeat(32)).await, 401);
    assert_eq!(post(processing.clone(), sig_a).await, 200);
    assert_eq!(stack.status(id).await, PayoutStatus::Processing);
    let completed = webhook("COMPLETED", &handle);
    let sig_b = killb_signature(KillbSignature::Sha256Underscore, KILLB_SECRET, &completed);
    assert_eq!(post(completed, sig_b).await, 200);
    assert_eq!(stack.status(id).await, PayoutStatus::Succeeded);

    // A callback for an order Giro does not know: kept on the dead-letter subject, answered 200.
    let stranger = webhook("COMPLETED", "payout-2024-001");
    let sig = killb_signature(KillbSignature::HmacSha256, KILLB_SECRET, &stranger);
    assert_eq!(post(stranger.clone(), sig).await, 200);
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
    assert!(letter.headers.get("Giro-Dead-Letter-Reason").is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bytes_and_headers_never_panic_the_parsers_and_verifiers(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        header in ".{0,80}",
    ) {
        use giro_executor::providers::{cashy, killb};
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
        use giro_executor::providers::a55;
        use reqwest::header::{HeaderMap, HeaderValue};
        let now = chrono::Utc::now();
        let mut headers = HeaderMap::new();
        let raw = HeaderValue::from_bytes(&body[..body.len().min(40)]);
        for value in [HeaderValue::from_str(&header), raw].into_iter().flatten() {
            headers.insert("X-Webhook-Signature", value.clone());
            headers.insert("X-Webhook-Timestamp", value);
            prop_assert!(giro_ingress::a55::verify_signed("secret", &headers, &body, now).is_err());
        }
        let at = now.timestamp();
        let mut signed = HeaderMap::new();
        signed.insert("X-Webhook-Timestamp", HeaderValue::from(at));
        let signature = giro_sandbox::a55::a55_signature("secret", at, &body);
        signed.insert("X-Webhook-Signature", HeaderValue::from_str(&signature).unwrap());
        match giro_ingress::a55::verify_signed("secret", &signed, &body, now) {
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
