//! The A55 simulator's statement (`GET /_sandbox/a55/statement?date=`): A55 documents none, so the
//! sandbox exports the one format the other simulators use, one line per charge settled that day.

use chrono::{DateTime, TimeZone, Utc};
use giro_sandbox::{Clock, STATEMENT_HEADER, Sandbox};
use serde_json::{Value, json};

use crate::a55::{CHARGE, charge, post, statuses_for, token};
use crate::common::*;

const DAY: &str = "2030-05-17";

#[tokio::test]
async fn a55_lists_settled_charges_by_the_reference_giro_sent() {
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2030, 5, 17, 10, 0, 0)
        .single()
        .expect("a valid instant");
    let sandbox: Sandbox = Sandbox::start_with_clock(config(), Clock::starting_at(start))
        .await
        .expect("sandbox starts");
    let base = sandbox.a55_url().unwrap();
    let token = token(&base).await;
    let receiver = Receiver::start(200, "ok").await;
    let mut uuids = Vec::new();
    // 100 is paid, 111 fails, 119 stays pending.
    for (reference, value) in [
        ("paid", 100),
        ("refund", 100),
        ("fail", 111),
        ("stuck", 119),
    ] {
        let mut body = charge("pix", "BRL", json!(value), &receiver.url);
        body["reference_external_id"] = json!(format!("REF-{reference}"));
        let created: Value = post(&base, &token, CHARGE, &body)
            .await
            .json()
            .await
            .unwrap();
        uuids.push(created["charge_uuid"].as_str().unwrap().to_owned());
    }
    statuses_for(&receiver, &uuids[0], "paid").await;
    statuses_for(&receiver, &uuids[1], "paid").await;
    statuses_for(&receiver, &uuids[2], "error").await;
    let refund = format!("{CHARGE}{}/refund/{WALLET}/", uuids[1]);
    assert_eq!(post(&base, &token, &refund, &json!({})).await.status(), 200);

    let answer = client()
        .get(format!("{base}/_sandbox/a55/statement?date={DAY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let csv = answer.text().await.unwrap();
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some(STATEMENT_HEADER), "{csv}");
    let rows: Vec<Vec<&str>> = rows.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "the pending charge is not on it: {csv}");
    let settled = [
        ("paid", "paid", "100.00"),
        ("refund", "refunded", "100.00"),
        ("fail", "error", "111.00"),
    ];
    for (uuid, (reference, status, amount)) in uuids.iter().zip(settled) {
        let wanted = format!("REF-{reference}");
        let row = rows
            .iter()
            .find(|r| r[2] == wanted)
            .unwrap_or_else(|| panic!("no line for {wanted}: {csv}"));
        assert_eq!(
            row[..8],
            [
                DAY,
                "a55",
                wanted.as_str(),
                uuid.as_str(),
                status,
                amount,
                "BRL",
                ""
            ],
            "{csv}"
        );
        assert!(row[8].starts_with(DAY), "{row:?}");
        assert!(
            row[9].starts_with("TR"),
            "the transaction reference: {row:?}"
        );
    }
    let before = client()
        .get(format!("{base}/_sandbox/a55/statement?date=2030-05-16"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(before, format!("{STATEMENT_HEADER}\n"));
}
