//! A beneficiary's update and removal in the read model: the status the provider reported, the
//! changed fields merged into `data_masked` (masked), and the events in its timeline.

use giro_domain::beneficiary::{BeneficiaryCommand, BeneficiaryDecider, BeneficiaryStatus};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn updates_and_removals_reach_the_beneficiaries_read_model_masked() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = start(&log, &schema).await;
    let id = beneficiary(&log, "chg-benef", &["ACTIVE"]).await;
    let body = json!({"beneficiary_id": id, "data": {"account_number": "99887766554"}});
    let (_, changes, reason) =
        giro_domain::beneficiary::parse_update(body.to_string().as_bytes()).unwrap();
    for command in [
        BeneficiaryCommand::Update { changes, reason },
        BeneficiaryCommand::RecordUpdated(BeneficiaryStatus::Pending),
    ] {
        let done = log
            .log
            .execute::<BeneficiaryDecider>(id, &command, &meta(), false)
            .await
            .unwrap();
        assert_eq!(done.appended.len(), 1, "{command:?}");
    }
    caught_up(&log, &schema).await;
    let b = get_json(&handle, &format!("/v1/beneficiaries/{id}")).await;
    assert_eq!(b["status"], "PENDING", "{b}");
    assert_eq!(b["data_masked"]["account_number"], "****6554", "{b}");
    assert_eq!(b["data_masked"]["bank_code"], "0001", "the rest stays: {b}");
    let (_, text) = get(&handle, &format!("/v1/beneficiaries/{id}")).await;
    assert!(!text.contains("99887766554"), "{text}");

    for command in [
        BeneficiaryCommand::Remove { reason: None },
        BeneficiaryCommand::RecordRemoved,
    ] {
        log.log
            .execute::<BeneficiaryDecider>(id, &command, &meta(), false)
            .await
            .unwrap();
    }
    caught_up(&log, &schema).await;
    let b = get_json(&handle, &format!("/v1/beneficiaries/{id}")).await;
    assert_eq!(b["status"], "INACTIVE", "{b}");
    let (status, events) = get(&handle, &format!("/v1/beneficiaries/{id}/events")).await;
    assert_eq!(status, 200, "{events}");
    for kind in [
        "beneficiary.update_requested",
        "beneficiary.updated",
        "beneficiary.removal_requested",
        "beneficiary.removed",
    ] {
        assert!(events.contains(kind), "{kind} in the timeline: {events}");
    }
    assert!(!events.contains("99887766554"), "{events}");
    handle.stop().await;
}
