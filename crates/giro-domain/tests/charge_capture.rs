//! Capturing an authorised charge, read as the spec: given these events, when this command, then
//! these events.

mod charge_common;

use charge_common::*;
use giro_domain::ErrorCode;
use giro_domain::charge::{ChargeCommand as C, ChargeEvent, ChargeOutcome as O};

fn authorized(key: &str) -> Given {
    let mut g = Given::new(key);
    g.then(
        C::StartSubmission,
        &["charge.submission_started"],
        "submitting",
    );
    g.then(
        C::RecordSubmitted(submitted(1)),
        &["charge.submitted"],
        "pending",
    );
    g.then(
        C::RecordReport(report("pre_captured", O::Authorized)),
        &["charge.provider_status", "charge.authorized"],
        "authorized",
    );
    g
}

fn capture(amount: Option<&str>) -> C {
    C::Capture {
        amount: amount.map(dec),
        reason: Some("order shipped".into()),
    }
}

fn confirmed_at(amount: &str) -> giro_domain::charge::ChargeReport {
    let mut r = report("confirmed", O::Confirmed);
    r.amount = Some(dec(amount));
    r
}

#[test]
fn a_full_capture_is_claimed_once_and_confirmed_by_the_provider() {
    let mut g = authorized("cap-full");
    g.then(capture(None), &["charge.capture_requested"], "authorized");
    // The same request again is a repeat; another is refused while one is pending.
    g.then(capture(None), &[], "authorized");
    assert_eq!(
        g.refused(capture(Some("10.00"))).code,
        ErrorCode::InvalidState
    );
    g.then(
        C::StartCaptureAttempt { attempt: 1 },
        &["charge.capture_attempt_started"],
        "authorized",
    );
    g.then(C::StartCaptureAttempt { attempt: 1 }, &[], "authorized");
    assert_eq!(
        g.refused(C::StartCaptureAttempt { attempt: 3 }).code,
        ErrorCode::InvalidState
    );
    g.then(
        C::RecordReport(confirmed_at("450.00")),
        &["charge.provider_status", "charge.captured"],
        "confirmed",
    );
    let c = g.charge();
    assert_eq!(c.captured, Some(dec("450.00")));
    assert!(c.capture_requested.is_none());
    // The webhook of the same status is a repeat; settling follows.
    g.then(C::RecordReport(confirmed_at("450.00")), &[], "confirmed");
    g.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
    // Captured already: a capture is refused as a reply.
    let refused = g.refused(capture(None));
    assert_eq!(refused.code, ErrorCode::InvalidState);
    assert!(refused.message.contains("already captured"), "{refused:?}");
}

#[test]
fn a_partial_capture_charges_and_refunds_only_what_was_captured() {
    let mut g = authorized("cap-part");
    g.then(
        capture(Some("300.00")),
        &["charge.capture_requested"],
        "authorized",
    );
    g.then(
        C::StartCaptureAttempt { attempt: 1 },
        &["charge.capture_attempt_started"],
        "authorized",
    );
    // The provider reports the captured amount: no discrepancy, no amount mismatch.
    g.then(
        C::RecordReport(confirmed_at("300.00")),
        &["charge.provider_status", "charge.captured"],
        "confirmed",
    );
    let captured = g.events.iter().find_map(|e| match &e.event {
        ChargeEvent::Captured(c) => Some(c.clone()),
        _ => None,
    });
    assert_eq!(captured.map(|c| c.amount), Some(dec("300.00")));
    let mut paid = report("paid", O::Paid);
    paid.amount = Some(dec("300.00"));
    g.then(
        C::RecordReport(paid),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
    assert_eq!(g.charge().refundable(), dec("300.00"));
    assert_eq!(
        g.refused(C::Refund {
            amount: Some(dec("300.01")),
            reason: None
        })
        .code,
        ErrorCode::AmountOutOfRange
    );
}

#[test]
fn a_capture_beyond_the_authorisation_or_of_a_charge_not_authorised_is_refused() {
    let mut g = authorized("cap-bad");
    for (amount, code) in [
        ("450.01", ErrorCode::AmountOutOfRange),
        ("0", ErrorCode::AmountOutOfRange),
        ("10.001", ErrorCode::InvalidAmountPrecision),
    ] {
        let r = g.refused(capture(Some(amount)));
        assert_eq!(r.code, code, "{amount}: {r:?}");
    }
    // A pending charge (not authorised) cannot be captured.
    let mut p = Given::new("cap-pending");
    p.then(
        C::StartSubmission,
        &["charge.submission_started"],
        "submitting",
    );
    let r = p.refused(capture(None));
    assert_eq!(r.code, ErrorCode::InvalidState);
    assert!(r.message.contains("only an authorized charge"), "{r:?}");
    // Cancelled: refused too.
    g.then(
        C::Cancel { reason: None },
        &["charge.cancel_requested"],
        "authorized",
    );
    assert_eq!(g.refused(capture(None)).code, ErrorCode::InvalidState);
    g.then(
        C::RecordReport(report("canceled", O::Cancelled)),
        &["charge.provider_status", "charge.cancelled"],
        "cancelled",
    );
    assert_eq!(g.refused(capture(None)).code, ErrorCode::InvalidState);
}

#[test]
fn a_refused_capture_leaves_the_charge_authorised_and_a_new_one_may_be_asked() {
    let mut g = authorized("cap-fail");
    g.then(capture(None), &["charge.capture_requested"], "authorized");
    // No cancellation while a capture is under way.
    assert_eq!(
        g.refused(C::Cancel { reason: None }).code,
        ErrorCode::NotCancellable
    );
    g.then(
        C::StartCaptureAttempt { attempt: 1 },
        &["charge.capture_attempt_started"],
        "authorized",
    );
    g.then(
        C::FailCapture {
            code: "capture_refused".into(),
            reason: "errors.charge.not_capturable".into(),
        },
        &["charge.capture_failed"],
        "authorized",
    );
    assert!(g.charge().capture_requested.is_none());
    g.then(
        C::FailCapture {
            code: "capture_refused".into(),
            reason: "again".into(),
        },
        &[],
        "authorized",
    );
    g.then(
        capture(Some("100.00")),
        &["charge.capture_requested"],
        "authorized",
    );
    assert_eq!(g.charge().capture_attempt.attempt, 0);
}

#[test]
fn a_confirmation_at_another_amount_than_the_capture_is_a_mismatch_not_a_capture() {
    let mut g = authorized("cap-mismatch");
    g.then(
        capture(Some("300.00")),
        &["charge.capture_requested"],
        "authorized",
    );
    g.then(
        C::RecordReport(confirmed_at("450.00")),
        &[
            "charge.provider_status",
            "charge.discrepancy",
            "charge.failed",
        ],
        "failed",
    );
    assert!(g.charge().captured.is_none());
}
