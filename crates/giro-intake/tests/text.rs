//! Names and references never carry control or bidirectional formatting characters to a
//! provider (#20): a payout or charge whose field holds one (as a raw escape in the JSON text or
//! the character itself) is refused naming the field, and nothing is stored; the same order with
//! a clean name is then accepted.

use crate::common;

use common::*;
use giro_eventlog::test_support::TestLog;
use giro_intake::Reply;

#[track_caller]
fn refused(r: &Reply, field: &str, what: &str) {
    assert!(!r.ok, "{what}: accepted: {r:?}");
    let e = r.error.as_ref().unwrap_or_else(|| panic!("{what}: {r:?}"));
    assert_eq!(
        (e.code.as_str(), e.field.as_deref()),
        ("invalid_field", Some(field)),
        "{what}: {r:?}"
    );
}

#[tokio::test]
async fn control_and_bidi_characters_in_names_are_refused_naming_the_field() {
    let t = TestLog::new().await;
    let nats = connect().await;
    let intake = start_intake(nats.clone(), &t.config).await;
    let client = client_for(&t, nats);
    let body = payout("text-1").to_string();
    for (field, from, to) in [
        ("beneficiary.first_name", "\"Maria\"", "\"Ma\\u0000ria\""),
        (
            "beneficiary.last_name",
            "\"Garcia\"",
            "\"Gar\\u001b[2Jcia\"",
        ),
        ("beneficiary.first_name", "\"Maria\"", "\"\u{202E}airaM\""),
        (
            "external_id",
            "\"payout-2024-001\"",
            "\"payout\\u2066-001\"",
        ),
        ("beneficiary.last_name", "\"Garcia\"", "\"Gar\\ncia\""),
    ] {
        assert!(body.contains(from), "{body}");
        let r = client
            .create_payout(body.replacen(from, to, 1).into_bytes())
            .await;
        refused(&r, field, to);
    }
    // Nothing was stored under the key: the clean order is created now.
    let r = client.create_payout(body.into_bytes()).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(
        r.body.get("duplicate"),
        Some(&serde_json::json!(false)),
        "{r:?}"
    );
    intake.stop().await;
}
