//! Scheduled payouts in the read models: `scheduled` with their `execute_at` until they become
//! due, listed by status, and counted stuck only once they are late past their own time.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use giro_domain::payout::{PayoutCommand, PayoutDecider};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use serde_json::json;

use crate::common::*;

fn stuck_scheduled(metrics: &str) -> i64 {
    let series = "giro_projection_stuck_orders{kind=\"payouts\",provider=\"cashy-co\",status=\"scheduled\"} ";
    let line = metrics
        .lines()
        .find(|l| l.starts_with(series))
        .unwrap_or_else(|| panic!("no {series}in\n{metrics}"));
    line[series.len()..].trim().parse().unwrap()
}

#[tokio::test]
async fn a_scheduled_payout_reads_scheduled_with_its_time_and_is_stuck_only_once_late() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let mut config = config(&log, &schema);
    config.stuck.scheduled = Duration::from_secs(1);
    let handle = giro_projection::start(config, log.client.clone())
        .await
        .unwrap();
    let at = Utc::now() + chrono::TimeDelta::seconds(2);
    let mut body = payout_body("scheduled-1", "scheduled-1");
    let sent = at.to_rfc3339_opts(SecondsFormat::Micros, true);
    body["execute_at"] = json!(sent);
    let (id, create) = create_payout(&body);
    log.log
        .execute::<PayoutDecider>(id, &create, &meta(), true)
        .await
        .unwrap();
    caught_up(&log, &schema).await;

    let listed = get_json(&handle, "/v1/payouts?status=scheduled").await;
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["order_id"], json!(id.to_string()));
    let shown: chrono::DateTime<Utc> =
        serde_json::from_value(items[0]["execute_at"].clone()).expect("execute_at");
    assert_eq!(shown.to_rfc3339_opts(SecondsFormat::Micros, true), sent);
    let metrics = get(&handle, "/metrics").await.1;
    assert_eq!(stuck_scheduled(&metrics), 0, "not due yet");

    // Its time passes with nobody to make it due: late past the threshold, it is stuck.
    tokio::time::sleep(
        (at - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(1_500),
    )
    .await;
    let metrics = get(&handle, "/metrics").await.1;
    assert_eq!(stuck_scheduled(&metrics), 1, "late");

    log.log
        .execute::<PayoutDecider>(id, &PayoutCommand::Wake, &meta(), false)
        .await
        .unwrap();
    caught_up(&log, &schema).await;
    let row = get_json(&handle, &format!("/v1/payouts/{id}")).await;
    assert_eq!(row["status"], json!("requested"), "{row}");
    assert_eq!(row["execute_at"], items[0]["execute_at"], "{row}");
    let metrics = get(&handle, "/metrics").await.1;
    assert_eq!(stuck_scheduled(&metrics), 0);
    let (status, timeline) = get(&handle, &format!("/v1/payouts/{id}/events")).await;
    assert_eq!(status, 200, "{timeline}");
    let requested = timeline
        .find("payout.requested")
        .expect("requested in the timeline");
    let due = timeline
        .find("payout.became_due")
        .expect("became_due in the timeline");
    assert!(requested < due, "{timeline}");
    handle.stop().await;
}
