//! Events stored by earlier versions, in the forms those versions wrote, are read as today's
//! event types: the log keeps working across the change and nothing rewrites a stream.

use giro_domain::charge::{ChargeDecider, ChargeEvent};
use giro_domain::payout::{PayoutDecider, PayoutEvent};
use giro_domain::{Decider, Envelope};
use serde_json::{Value, json};

const ORDER: &str = "0193c6e5-5b1c-7a8e-9f00-1234567890ab";

fn stored(kind: &str, version: u64, event_type: &str, data: Value) -> Value {
    json!({
        "id": format!("0193c6e5-0000-7000-8000-{version:012}"),
        "type": event_type,
        "data": data,
        "order_id": ORDER,
        "version": version,
        "at": "2026-12-01T10:00:00Z",
        "meta": {"correlation_id": ORDER},
        "kind": kind,
    })
}

fn read<E: serde::de::DeserializeOwned>(v: Value) -> Envelope<E>
where
    Envelope<E>: serde::de::DeserializeOwned,
{
    serde_json::from_value(v).expect("an old-form event reads")
}

fn handle(attempt: u32) -> String {
    giro_domain::SubmissionHandle {
        order_id: ORDER.parse().expect("order id"),
        attempt,
    }
    .to_string()
}

fn old_payout_log() -> Vec<Envelope<PayoutEvent>> {
    let requested = json!({
        "idempotency_key": "legacy-1", "fingerprint": "f", "provider": "cashy-co",
        "amount": "50000", "currency": "COP",
        "beneficiary": {"rail": "tz_mobile", "name": "Asha", "msisdn": "255712345678", "operator": "airtel"}
    });
    vec![
        stored("p", 1, "payout.requested", requested),
        stored(
            "p",
            2,
            "payout.submission_started",
            json!({"attempt": 1, "handle": handle(1)}),
        ),
        stored(
            "p",
            3,
            "payout.submission_failed",
            json!({
            "attempt": 1, "code": "System_busy",
            "message": "Cashy is not taking payouts now (System_busy) [come back after 60s]",
            "retryable": true}),
        ),
        stored(
            "p",
            4,
            "payout.submission_started",
            json!({"attempt": 2, "handle": handle(2)}),
        ),
        stored(
            "p",
            5,
            "payout.outcome_unknown",
            json!({"attempt": 2, "reason": "time-out"}),
        ),
        stored(
            "p",
            6,
            "payout.provider_status",
            json!({
            "source": "poll", "raw_status": "not_found", "outcome": "unknown",
            "report_id": format!("{}:not_found:1", handle(2)), "reason": "time-out again"}),
        ),
    ]
    .into_iter()
    .map(read)
    .collect()
}

#[test]
fn old_payout_markers_read_as_their_own_event_types() {
    let events = old_payout_log();
    match &events[2].event {
        PayoutEvent::ProviderWaitAnnounced(w) => {
            assert_eq!(w.code, "System_busy");
            assert_eq!(w.message, "Cashy is not taking payouts now (System_busy)");
            assert_eq!(w.wait_ms, Some(60_000));
        }
        other => panic!("expected a provider wait, got {other:?}"),
    }
    match &events[5].event {
        PayoutEvent::Resent(r) => assert_eq!((r.attempt, r.resend), (2, 1)),
        other => panic!("expected a resend, got {other:?}"),
    }
    let payout = PayoutDecider::fold(&events).expect("the old log rebuilds the payout");
    assert_eq!(payout.attempt, 2);
    assert_eq!(payout.attempts.deferred, 1);
    assert_eq!(payout.attempts.resends, 1);
    assert_eq!(payout.attempts.spent(payout.attempt), 2);
    assert_eq!(payout.attempts.unknown_reason.as_deref(), Some("time-out"));
    assert!(
        !payout.outcome_unknown,
        "the resend is in flight until its outcome is recorded"
    );
    let stored_again = serde_json::to_string(&events[2]).expect("serialises");
    assert!(!stored_again.contains("come back"), "{stored_again}");
}

#[test]
fn old_refund_reports_read_as_refund_attempts() {
    let uuid = "9b2f0c1e-aaaa-4bbb-8ccc-000000000001";
    let requested = json!({
        "idempotency_key": "legacy-c", "fingerprint": "f", "provider": "a55",
        "amount": "50.00", "currency": "BRL", "installment_count": 1, "method": "pix",
        "payer": {"name": "Ana", "email": "ana@example.com", "tax_id": "12345678909",
                  "phone": "+5511999999999",
                  "address": {"street": "Rua A", "address_number": "1", "complement": "", "neighborhood": "Centro",
                              "city": "SP", "state": "SP", "postal_code": "01000-000"}},
        "due_date": "2026-12-31", "description": "legacy"
    });
    let report = |v: u64, id: String, raw: &str, outcome: &str, reason: &str| {
        stored(
            "c",
            v,
            "charge.provider_status",
            json!({
            "source": "submit_response", "raw_status": raw, "outcome": outcome,
            "report_id": id, "charge_uuid": uuid, "reason": reason}),
        )
    };
    let log: Vec<Envelope<ChargeEvent>> = vec![
        stored("c", 1, "charge.requested", requested),
        stored(
            "c",
            2,
            "charge.submission_started",
            json!({"attempt": 1, "handle": handle(1)}),
        ),
        stored(
            "c",
            3,
            "charge.submitted",
            json!({"attempt": 1, "charge_uuid": uuid, "raw_status": "issued"}),
        ),
        report(4, format!("{uuid}:PAID"), "paid", "paid", "paid"),
        stored("c", 5, "charge.paid", json!({"raw_status": "paid"})),
        stored(
            "c",
            6,
            "charge.refund_requested",
            json!({"amount": "10.00"}),
        ),
        report(
            7,
            format!("{uuid}:refund:6:1:sent"),
            "refund_sent",
            "unknown",
            "",
        ),
        report(
            8,
            format!("{uuid}:refund:6:1:not_sent"),
            "refund_not_sent",
            "unknown",
            "A55 is busy [come back after 30s]",
        ),
        report(
            9,
            format!("{uuid}:refund:6:2:sent"),
            "refund_sent",
            "unknown",
            "",
        ),
        report(
            10,
            format!("{uuid}:refund:6:2:unknown"),
            "refund_unknown",
            "unknown",
            "time-out",
        ),
    ]
    .into_iter()
    .map(read)
    .collect();
    assert!(
        matches!(log[6].event, ChargeEvent::RefundAttemptStarted(ref e) if e.refund == 6 && e.attempt == 1)
    );
    match &log[7].event {
        ChargeEvent::RefundAttemptNotSent(e) => {
            assert_eq!(e.reason, "A55 is busy");
            assert_eq!(e.wait_ms, Some(30_000));
        }
        other => panic!("expected a refund attempt not sent, got {other:?}"),
    }
    let charge = ChargeDecider::fold(&log).expect("the old log rebuilds the charge");
    assert_eq!(charge.refund_attempt.refund, 6);
    assert_eq!(charge.refund_attempt.attempt, 2);
    assert_eq!(charge.refund_attempt.unknown.as_deref(), Some("time-out"));
    assert!(charge.refund_requested.is_some());

    let gave_up: Envelope<ChargeEvent> = read(report(
        11,
        format!("{uuid}:refund:6:unresolved"),
        "refund_unknown",
        "refund_failed",
        "check the charge at A55",
    ));
    match &gave_up.event {
        ChargeEvent::RefundFailed(f) => {
            assert_eq!((f.refund, f.code.as_str()), (6, "refund_unknown"));
        }
        other => panic!("expected a refund failure, got {other:?}"),
    }
    let mut all = log;
    all.push(gave_up);
    let charge = ChargeDecider::fold(&all).expect("rebuilds");
    assert!(charge.refund_requested.is_none(), "the refund is closed");
}

#[test]
fn todays_reports_are_left_alone() {
    let report: Envelope<PayoutEvent> = read(stored(
        "p",
        2,
        "payout.provider_status",
        json!({
        "source": "webhook", "raw_status": "SUCCESS", "outcome": "succeeded",
        "report_id": "CASHY1:SUCCESS"}),
    ));
    assert!(matches!(report.event, PayoutEvent::ProviderStatus(_)));
    let refused: Envelope<PayoutEvent> = read(stored(
        "p",
        2,
        "payout.submission_failed",
        json!({
        "attempt": 1, "code": "http_502", "message": "bad gateway", "retryable": true}),
    ));
    assert!(matches!(refused.event, PayoutEvent::SubmissionFailed(_)));
}
