//! `giro_projection_stuck_orders`: the payouts past their status's stuck threshold, counted by
//! provider and status at each scrape, 0 for a status with none stuck (the series the
//! `GiroOrdersStuck` alert of ops/prometheus/alerts.yml watches).

use std::time::Duration;

use giro_domain::payout::{PayoutCommand, PayoutDecider, ReportedOutcome};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;

use crate::common::*;

fn stuck(metrics: &str, status: &str) -> i64 {
    let series = format!(
        "giro_projection_stuck_orders{{kind=\"payouts\",provider=\"cashy-co\",status=\"{status}\"}} "
    );
    let line = metrics
        .lines()
        .find(|l| l.starts_with(&series))
        .unwrap_or_else(|| panic!("no {series}in\n{metrics}"));
    line[series.len()..].trim().parse().unwrap()
}

#[tokio::test]
async fn stuck_payouts_are_counted_by_provider_and_status_at_each_scrape() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let mut config = config(&log, &schema);
    // Requested counts as stuck at once; submitting only after an hour (the default 5m would
    // do as well).
    config.stuck.requested = Duration::ZERO;
    config.stuck.submitting = Duration::from_secs(3_600);
    let handle = giro_projection::start(config, log.client.clone())
        .await
        .unwrap();
    let waiting = payout(&log, "stuck-waiting-1", &[]).await;
    payout(&log, "stuck-waiting-2", &[]).await;
    payout(&log, "stuck-submitting", &[PayoutCommand::StartSubmission]).await;
    let paid = [
        PayoutCommand::StartSubmission,
        report("ok", "SUCCESS", ReportedOutcome::Succeeded, None),
    ];
    payout(&log, "stuck-paid", &paid).await;
    caught_up(&log, &schema).await;

    let (status, metrics) = get(&handle, "/metrics").await;
    assert_eq!(status, 200, "{metrics}");
    assert_eq!(stuck(&metrics, "requested"), 2);
    assert_eq!(stuck(&metrics, "submitting"), 0, "within its threshold");
    for open in ["held", "submitted", "processing"] {
        assert_eq!(stuck(&metrics, open), 0, "{open}");
    }
    assert!(
        !metrics.contains("giro_projection_stuck_orders{kind=\"payouts\",provider=\"cashy-co\",status=\"succeeded\"}"),
        "a terminal status is never stuck: {metrics}"
    );

    // One of them moves on: the next scrape counts one, and the submitting one stays 0.
    log.log
        .execute::<PayoutDecider>(waiting, &PayoutCommand::StartSubmission, &meta(), false)
        .await
        .unwrap();
    caught_up(&log, &schema).await;
    let metrics = get(&handle, "/metrics").await.1;
    assert_eq!(stuck(&metrics, "requested"), 1);
    assert_eq!(stuck(&metrics, "submitting"), 0);
    handle.stop().await;
}
