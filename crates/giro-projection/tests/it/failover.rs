//! A payout that fails over (`payout.rerouted`) reads as at its new provider.

use giro_domain::payout::{PayoutCommand, PayoutDecider};
use giro_domain::routing::RouteDecision;
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn a_rerouted_payout_shows_its_new_provider() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = giro_projection::start(config(&log, &schema), log.client.clone())
        .await
        .unwrap();
    let (id, mut create) = create_payout(&payout_body("failover-1", "failover-1"));
    if let PayoutCommand::Create(c) = &mut create {
        c.requested.route = Some(RouteDecision {
            rule: "cop-bank-split".into(),
            candidates: ["cashy-co", "killb"]
                .map(|p| p.to_string().try_into().unwrap())
                .to_vec(),
        });
    }
    let refused = PayoutCommand::RecordSubmissionFailure {
        attempt: 1,
        code: "invalid_account".into(),
        message: "refused".into(),
        retryable: false,
    };
    for (cmd, create) in [
        (create, true),
        (PayoutCommand::StartSubmission, false),
        (refused, false),
    ] {
        log.log
            .execute::<PayoutDecider>(id, &cmd, &meta(), create)
            .await
            .unwrap();
    }
    caught_up(&log, &schema).await;
    let row = get_json(&handle, &format!("/v1/payouts/{id}")).await;
    assert_eq!(row["provider"], json!("killb"), "{row}");
    assert_eq!(row["status"], json!("requested"), "{row}");
    let (_, timeline) = get(&handle, &format!("/v1/payouts/{id}/events")).await;
    assert!(timeline.contains("payout.rerouted"), "{timeline}");
    handle.stop().await;
}
