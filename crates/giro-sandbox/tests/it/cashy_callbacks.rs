//! Cashy's callback ladder: retried after 1, 2, 4, …, 512 (scaled) minutes until acknowledged in the
//! country's form, and never after the 10th retry.

use std::time::Duration;

use serde_json::Value;

use crate::cashy::{call, co_order, tz_order};
use crate::common::*;

async fn order_report(base: &str, provider: &str, mch: &str) -> Value {
    let orders = sandbox_get(
        base,
        &format!("/_sandbox/orders?provider={provider}&handle={mch}"),
    )
    .await;
    orders[0].clone()
}

#[tokio::test]
async fn unacknowledged_callbacks_follow_the_documented_ladder_and_stop_after_ten_retries() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let receiver = Receiver::start(500, "oops").await;
    let scale = fast_timing().time_scale;
    call(
        &base,
        "/api/payOut",
        CO_MERCHANT,
        CO_KEY,
        &co_order("LADDER-1", "500000", &receiver.url),
    )
    .await;

    let hits = receiver.wait_for(11, 90).await;
    let ladder_minutes = [1u64, 2, 4, 8, 16, 32, 64, 128, 256, 512];
    for (i, minutes) in ladder_minutes.iter().enumerate() {
        let gap = hits[i + 1].at - hits[i].at;
        let expected = Duration::from_secs_f64((*minutes * 60) as f64 * scale);
        assert!(
            gap >= expected.mul_f64(0.9),
            "retry {} came after {gap:?}, expected at least {expected:?}",
            i + 1
        );
    }
    assert!(
        hits.iter().all(|h| h.body == hits[0].body),
        "every retry carries the same signed body"
    );

    // Longer than the whole ladder again: nothing more arrives.
    tokio::time::sleep(Duration::from_secs_f64(1023.0 * 60.0 * scale * 0.5)).await;
    assert_eq!(
        receiver.hits().len(),
        11,
        "one attempt plus ten retries, then Cashy gives up"
    );
    let report = order_report(&base, "cashy-co", "LADDER-1").await;
    let attempts = report["callbacks"].as_array().unwrap();
    assert_eq!(attempts.len(), 11);
    assert!(
        attempts[..10]
            .iter()
            .all(|a| a["outcome"] == "failed" && a["http_status"] == 500)
    );
    assert_eq!(attempts[10]["outcome"], "abandoned");
    assert_eq!(attempts[10]["attempt"], 11);
    assert_eq!(attempts[0]["body"], "oops");
}

#[tokio::test]
async fn a_success_answer_is_not_retried() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    let receiver = Receiver::start(200, "SUCCESS").await;
    call(
        &base,
        "/api/payOut",
        CO_MERCHANT,
        CO_KEY,
        &co_order("ACK-1", "500000", &receiver.url),
    )
    .await;
    receiver.wait_for(1, 30).await;
    // The first retry would come after one scaled minute (6 ms); wait far longer.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.hits().len(), 1);
    let report = order_report(&base, "cashy-co", "ACK-1").await;
    assert_eq!(report["callbacks"][0]["outcome"], "acknowledged");
    assert_eq!(report["callbacks"][0]["http_status"], 200);
}

#[tokio::test]
async fn colombia_wants_the_body_success_and_tanzania_any_200_301_302() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    // Colombia: a JSON {"status":"SUCCESS"} is not the documented acknowledgement, so it is retried.
    let co = Receiver::start(200, r#"{"status":"SUCCESS"}"#).await;
    call(
        &base,
        "/api/payOut",
        CO_MERCHANT,
        CO_KEY,
        &co_order("FORM-CO", "500000", &co.url),
    )
    .await;
    co.wait_for(3, 30).await;
    co.answer_with(200, "SUCCESS");
    eventually(60, "CO acknowledgement", || async {
        let report = order_report(&base, "cashy-co", "FORM-CO").await;
        let attempts = report["callbacks"].as_array().cloned().unwrap_or_default();
        attempts
            .iter()
            .any(|a| a["outcome"] == "acknowledged")
            .then_some(())
    })
    .await;

    // Tanzania: a 302 with any body counts as received.
    let tz = Receiver::start(302, "").await;
    call(
        &base,
        "/api/payOut",
        TZ_MERCHANT,
        TZ_KEY,
        &tz_order("FORM-TZ", "60000", &tz.url),
    )
    .await;
    tz.wait_for(1, 30).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(tz.hits().len(), 1);
    let report = order_report(&base, "cashy-tz", "FORM-TZ").await;
    assert_eq!(report["callbacks"][0]["outcome"], "acknowledged");
}

#[tokio::test]
async fn an_unreachable_notify_url_is_retried_too() {
    let sandbox = start(config()).await;
    let base = sandbox.cashy_url().unwrap();
    // Nothing listens on port 9 (discard) on loopback.
    call(
        &base,
        "/api/payOut",
        CO_MERCHANT,
        CO_KEY,
        &co_order("DOWN-1", "500000", "http://127.0.0.1:9/cb"),
    )
    .await;
    eventually(30, "two failed attempts", || async {
        let report = order_report(&base, "cashy-co", "DOWN-1").await;
        let attempts = report["callbacks"].as_array().cloned().unwrap_or_default();
        (attempts.len() >= 2).then_some(attempts)
    })
    .await
    .iter()
    .for_each(|a| assert!(a["error"].is_string() && a["http_status"].is_null()));
}

#[tokio::test]
async fn callbacks_reach_a_mapped_name_without_dns() {
    // A name no DNS knows, mapped as `--callback-resolve merchant.giro.test=127.0.0.1` does.
    let config = config().resolve("merchant.giro.test", "127.0.0.1".parse().unwrap());
    let sandbox = start(config).await;
    let base = sandbox.cashy_url().unwrap();
    let receiver = Receiver::start(200, "SUCCESS").await;
    let url = receiver.url.replace("127.0.0.1", "merchant.giro.test");
    let created = call(
        &base,
        "/api/payOut",
        CO_MERCHANT,
        CO_KEY,
        &co_order("NAMED-1", "500000", &url),
    )
    .await;
    assert_eq!(created["code"], 200, "{created}");
    let hit = receiver.wait_for(1, 30).await.remove(0);
    assert_eq!(hit.json()["mchOrderNo"], "NAMED-1");
    let report = order_report(&base, "cashy-co", "NAMED-1").await;
    let callback = &report["callbacks"][0];
    assert_eq!(callback["outcome"], "acknowledged");
    assert!(
        callback["url"]
            .as_str()
            .unwrap()
            .starts_with("http://merchant.giro.test:")
    );
}

#[test]
fn callback_resolve_flag_and_the_local_public_url() {
    use std::net::IpAddr;

    use giro_sandbox::cli::SandboxArgs;

    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let defaults = SandboxArgs::automated(&[]).unwrap().config();
    assert_eq!(
        defaults.callback_resolve,
        [("giro.localhost".to_owned(), ip("127.0.0.1"))]
    );
    let flags = ["--callback-resolve=Giro.Localhost=127.0.0.2,merchant.giro.test=::1".to_owned()];
    let mut args = SandboxArgs::automated(&flags).unwrap();
    let mut map = args.config().callback_resolve;
    map.sort();
    assert_eq!(
        map,
        [
            ("giro.localhost".to_owned(), ip("127.0.0.2")),
            ("merchant.giro.test".to_owned(), ip("::1")),
        ]
    );
    for bad in [
        "nohost",
        "=127.0.0.1",
        "127.0.0.1=127.0.0.1",
        "giro.localhost=nowhere",
    ] {
        let flags = [format!("--callback-resolve={bad}")];
        assert!(SandboxArgs::automated(&flags).is_err(), "{bad}");
    }
    // `giro up`: the ingress on 0.0.0.0:8081 is called at giro.localhost:8081, on loopback.
    let public = args.call_back_locally("0.0.0.0:8081".parse().unwrap());
    assert_eq!(public, "http://giro.localhost:8081");
    assert!(
        args.config()
            .callback_resolve
            .contains(&("giro.localhost".to_owned(), ip("127.0.0.1")))
    );
}
