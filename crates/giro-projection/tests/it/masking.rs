//! No full account, document or phone number, e-mail address or name appears in any row of any
//! read-model table or in any answer of the API, dashboard or metrics.

use giro_domain::payout::{PayoutCommand, ReportedOutcome};
use giro_eventlog::test_support::TestLog;
use giro_projection::test_support::TestSchema;

use crate::common::*;

fn assert_no_raw_pii(what: &str, text: &str) {
    for raw in RAW_PII {
        assert!(!text.contains(raw), "{raw:?} appears in {what}: {text}");
    }
}

#[tokio::test]
async fn no_personal_data_in_any_row_or_answer() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let handle = start(&log, &schema).await;
    let paid = payout(
        &log,
        "pii-paid",
        &[
            PayoutCommand::StartSubmission,
            report("p1", "SUCCESS", ReportedOutcome::Succeeded, None),
        ],
    )
    .await;
    let open = payout(&log, "pii-open", &[]).await;
    let charge_id = charge(&log, "pii-charge", &[cancel_charge()]).await;
    let benef = beneficiary(&log, "pii-benef", &["ACTIVE"]).await;
    caught_up(&log, &schema).await;

    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
    )
    .bind(&schema.name)
    .fetch_all(&schema.pool)
    .await
    .unwrap();
    assert!(tables.len() >= 8, "{tables:?}");
    let mut rows_seen = 0;
    for table in &tables {
        let sql = format!("SELECT t::text FROM \"{}\".\"{table}\" t", schema.name);
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&schema.pool)
            .await
            .unwrap();
        for row in rows {
            assert_no_raw_pii(&format!("a row of {table}"), &row);
            rows_seen += 1;
        }
    }
    assert!(rows_seen > 10);

    let paths = [
        "/".to_string(),
        format!("/payouts/{paid}"),
        format!("/payouts/{open}"),
        "/v1/payouts".to_string(),
        format!("/v1/payouts/{paid}"),
        format!("/v1/payouts/{paid}/events"),
        format!("/v1/payouts/{open}/events"),
        "/v1/charges".to_string(),
        format!("/v1/charges/{charge_id}"),
        format!("/v1/charges/{charge_id}/events"),
        "/v1/beneficiaries".to_string(),
        format!("/v1/beneficiaries/{benef}"),
        format!("/v1/beneficiaries/{benef}/events"),
        "/v1/stats".to_string(),
        "/metrics".to_string(),
    ];
    for path in &paths {
        let (status, body) = get(&handle, path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_no_raw_pii(path, &body);
    }
    // The masked forms are there: the data is shown, only masked.
    let p = get_json(&handle, &format!("/v1/payouts/{paid}")).await;
    let b = &p["beneficiary_masked"];
    assert_eq!(
        (
            b["account_number"].as_str(),
            b["phone"].as_str(),
            b["first_name"].as_str()
        ),
        (Some("****3561"), Some("****6543"), Some("W***"))
    );
    assert_eq!(b["document"]["number"], "****6354");
    assert_eq!(b["email"], "w***@example.org");
    handle.stop().await;
}
