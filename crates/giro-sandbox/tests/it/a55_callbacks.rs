//! A55's webhook ladder: attempts at 0, 1 m, 5 m, 30 m, 2 h, 6 h and 24 h (scaled) while the receiver
//! answers 5xx, and nothing after the 7th attempt.

use std::time::Duration;

use giro_sandbox::a55::a55_signature;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::a55::{CHARGE, charge, post, token, with_card};
use crate::common::*;

/// Fast enough to run the whole 32.6-hour ladder in under 5 s, slow enough that its steps stay
/// measurable: one documented minute is 2.4 ms, 24 hours 3.46 s.
const SCALE: f64 = 0.000_04;

#[tokio::test]
async fn failing_webhooks_follow_the_documented_ladder_and_stop_after_the_seventh_attempt() {
    let mut config = config();
    config.timing.time_scale = SCALE;
    let sandbox = start(config).await;
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let receiver = Receiver::start(503, "busy").await;
    // A card ending in 2 is declined at once: exactly one webhook (status error), so every hit
    // below is an attempt of the same delivery.
    let body = with_card(
        charge("credit_card", "BRL", json!(100), &receiver.url),
        "4000000000000002",
    );
    let sent = Instant::now();
    let created: Value = post(&base, &token, CHARGE, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["status"], "error");
    let uuid = created["charge_uuid"].as_str().unwrap().to_owned();

    let hits = receiver.wait_for(7, 60).await;
    assert!(
        hits[0].at - sent < Duration::from_secs(2),
        "the first attempt is immediate, came after {:?}",
        hits[0].at - sent
    );
    let ladder_minutes = [1u64, 5, 30, 2 * 60, 6 * 60, 24 * 60];
    for (i, minutes) in ladder_minutes.iter().enumerate() {
        let gap = hits[i + 1].at - hits[i].at;
        let expected = Duration::from_secs_f64((*minutes * 60) as f64 * SCALE);
        // The upper bound is loose (scheduling on a loaded CI machine), yet still catches a step
        // that waits too long, e.g. the 2 h and 6 h steps swapped for their successors.
        let latest = expected.mul_f64(1.5) + Duration::from_millis(250);
        assert!(
            gap >= expected.mul_f64(0.9) && gap <= latest,
            "attempt {} came {gap:?} after the previous one, expected {expected:?} (at most {latest:?})",
            i + 2
        );
    }
    for hit in &hits {
        assert_eq!(
            hit.body, hits[0].body,
            "every attempt carries the same charge"
        );
        assert_eq!(hit.json()["charge_uuid"], uuid.as_str());
        let timestamp: i64 = hit.header("x-webhook-timestamp").parse().unwrap();
        assert_eq!(
            hit.header("x-webhook-signature"),
            a55_signature(A55_WEBHOOK_SECRET, timestamp, &hit.body),
            "each attempt is signed afresh"
        );
    }

    let report = eventually(10, "the delivery to be abandoned", || async {
        let report = sandbox_get(&base, &format!("/_sandbox/orders/a55/{uuid}")).await;
        let attempts = report["callbacks"].as_array().cloned().unwrap_or_default();
        attempts
            .iter()
            .any(|a| a["outcome"] == "abandoned")
            .then_some(attempts)
    })
    .await;
    assert_eq!(report.len(), 7, "{report:?}");
    assert!(
        report
            .iter()
            .all(|a| a["delivery"] == report[0]["delivery"])
    );
    for (n, attempt) in report.iter().enumerate() {
        assert_eq!(attempt["attempt"], n + 1);
        assert_eq!(attempt["http_status"], 503);
        assert_eq!(attempt["announces"], "error");
        assert_eq!(attempt["body"], "busy");
    }
    assert!(report[..6].iter().all(|a| a["outcome"] == "failed"));
    assert_eq!(report[6]["outcome"], "abandoned");

    // The delivery is over: a while later there is still no 8th attempt.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        receiver.hits().len(),
        7,
        "seven attempts, then A55 gives up"
    );
}
