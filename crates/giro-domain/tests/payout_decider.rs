//! The payout decider, read as the spec: given these events, when this command, then these events.

mod common;

use common::*;
use giro_domain::ErrorCode;
use giro_domain::payout::{PayoutCommand as C, ReportedOutcome as O};

fn submitted(key: &str) -> Given {
    Given::new(key).submitted()
}

#[test]
fn happy_path_to_succeeded() {
    let mut g = submitted("k1");
    g.then(
        C::RecordReport(report("r1", "PAYING", O::InFlight)),
        &["payout.provider_status"],
        "processing",
    );
    g.then(
        C::RecordReport(report("r2", "SUCCESS", O::Succeeded)),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
    assert_eq!(
        g.events.iter().map(|e| e.version).collect::<Vec<_>>(),
        (1..=6).collect::<Vec<_>>()
    );
}

#[test]
fn duplicate_reports_append_nothing_and_stale_ones_change_nothing() {
    let mut g = submitted("k2");
    g.then(
        C::RecordReport(report("r1", "SUCCESS", O::Succeeded)),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
    g.then(
        C::RecordReport(report("r1", "SUCCESS", O::Succeeded)),
        &[],
        "succeeded",
    );
    g.then(
        C::RecordReport(report("r0", "PAYING", O::InFlight)),
        &["payout.provider_status"],
        "succeeded",
    );
}

#[test]
fn success_then_fail_is_a_reversal() {
    let mut g = submitted("k3");
    g.then(
        C::RecordReport(report("r1", "SUCCESS", O::Succeeded)),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
    g.then(
        C::RecordReport(report("r2", "FAIL", O::Failed)),
        &["payout.provider_status", "payout.reversed"],
        "reversed",
    );
    // A late repeat of the old SUCCESS does not undo the reversal.
    g.then(
        C::RecordReport(report("r1", "SUCCESS", O::Succeeded)),
        &[],
        "reversed",
    );
}

#[test]
fn fail_then_success_succeeds() {
    let mut g = submitted("k4");
    g.then(
        C::RecordReport(report("r1", "FAIL", O::Failed)),
        &["payout.provider_status", "payout.failed"],
        "failed",
    );
    g.then(
        C::RecordReport(report("r2", "SUCCESS", O::Succeeded)),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
}

#[test]
fn killb_refund_after_completion() {
    let mut g = submitted("k5");
    g.then(
        C::RecordReport(report("r1", "COMPLETED", O::Succeeded)),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
    g.then(
        C::RecordReport(report("r2", "REFUNDED", O::Refunded)),
        &["payout.provider_status", "payout.refunded"],
        "refunded",
    );
}

#[test]
fn unknown_provider_statuses_are_recorded_not_acted_on() {
    let mut g = submitted("k6");
    g.then(
        C::RecordReport(report("r1", "KYT_OUT_WHATEVER", O::Unknown)),
        &["payout.provider_status"],
        "submitted",
    );
}

#[test]
fn a_consequence_lost_to_a_crash_is_rederived_from_a_repeat() {
    let mut g = submitted("k7");
    // Simulate the crash: only the provider_status of the report was stored.
    let events = giro_domain::payout::decide(
        &g.state,
        &C::RecordReport(report("r1", "SUCCESS", O::Succeeded)),
        now(),
    )
    .unwrap();
    assert_eq!(events.len(), 2);
    let env = giro_domain::Envelope {
        id: giro_domain::EventId::new(),
        event: events[0].clone(),
        order_id: g.id,
        version: g.events.len() as u64 + 1,
        at: now(),
        meta: Default::default(),
    };
    g.state = giro_domain::payout::evolve(g.state.take(), &env);
    g.events.push(env);
    assert_eq!(g.status(), "submitted");
    g.then(
        C::RecordReport(report("r1", "SUCCESS", O::Succeeded)),
        &["payout.succeeded"],
        "succeeded",
    );
}

#[test]
fn retryable_failure_allows_a_new_attempt_with_a_new_handle() {
    let mut g = Given::new("k8");
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    let first = g.state.as_ref().unwrap().handle.clone();
    g.then(
        C::RecordSubmissionFailure {
            attempt: 1,
            code: "System_busy".into(),
            message: "busy".into(),
            retryable: true,
        },
        &["payout.submission_failed"],
        "requested",
    );
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    let second = g.state.as_ref().unwrap().handle.clone();
    assert_ne!(first, second);
    let handle: giro_domain::SubmissionHandle = second.unwrap().parse().unwrap();
    assert_eq!((handle.order_id, handle.attempt), (g.id, 2));
    g.then(
        C::RecordSubmissionFailure {
            attempt: 2,
            code: "Params_amount_error".into(),
            message: "bad".into(),
            retryable: false,
        },
        &["payout.submission_failed", "payout.failed"],
        "failed",
    );
}

#[test]
fn outcome_unknown_blocks_new_attempts_until_resolved() {
    let mut g = Given::new("k9");
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    g.then(
        C::RecordOutcomeUnknown {
            attempt: 1,
            reason: "timeout".into(),
        },
        &["payout.outcome_unknown"],
        "submitting",
    );
    assert!(g.state.as_ref().unwrap().outcome_unknown);
    assert_eq!(
        g.when(&C::StartSubmission).unwrap_err().code,
        ErrorCode::InvalidState
    );
    g.then(
        C::RecordReport(report("q1", "PROCESSING", O::InFlight)),
        &["payout.provider_status"],
        "processing",
    );
    assert!(!g.state.as_ref().unwrap().outcome_unknown);
}

#[test]
fn cancel_only_before_a_provider_has_it() {
    let mut g = Given::new("k10");
    g.then(
        C::Hold {
            reason: "insufficient balance".into(),
        },
        &["payout.held"],
        "held",
    );
    g.then(
        C::Cancel { reason: None },
        &["payout.cancelled"],
        "cancelled",
    );
    g.then(C::Cancel { reason: None }, &[], "cancelled");
    assert_eq!(
        g.when(&C::StartSubmission).unwrap_err().code,
        ErrorCode::InvalidState
    );

    let mut g = submitted("k11");
    assert_eq!(
        g.when(&C::Cancel { reason: None }).unwrap_err().code,
        ErrorCode::NotCancellable
    );
}

#[test]
fn same_key_same_body_is_a_repeat_other_body_a_conflict() {
    let mut g = Given::new("k12");
    assert_eq!(
        g.when(&C::Create(Box::new(create("k12")))).unwrap(),
        Vec::<&str>::new()
    );
    let mut other = create("k12");
    other.requested.fingerprint = "different".into();
    assert_eq!(
        g.when(&C::Create(Box::new(other))).unwrap_err().code,
        ErrorCode::IdempotencyConflict
    );
}

#[test]
fn commands_on_a_missing_payout_are_not_found() {
    let state = None;
    let err = giro_domain::payout::decide(&state, &C::Cancel { reason: None }, now()).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn events_round_trip_through_json_with_contract_names() {
    let g = submitted("k13");
    for env in &g.events {
        let json = serde_json::to_value(env).unwrap();
        for key in ["id", "type", "order_id", "version", "at", "data", "meta"] {
            assert!(json.get(key).is_some(), "{key} missing in {json}");
        }
        let back: giro_domain::Envelope<giro_domain::payout::PayoutEvent> =
            serde_json::from_value(json).unwrap();
        assert_eq!(&back, env);
    }
    let first = serde_json::to_value(&g.events[0]).unwrap();
    assert_eq!(first["type"], "payout.requested");
    assert_eq!(first["data"]["amount"], "500000");
    assert_eq!(first["data"]["currency"], "COP");
}

#[test]
fn masked_data_shows_no_full_personal_numbers() {
    let g = Given::new("k14");
    let masked = g.events[0].event.masked_data().to_string();
    for secret in [
        "123456789",
        "12345678",
        "3001234567",
        "maria@example.com",
        "Garcia",
    ] {
        assert!(!masked.contains(secret), "{secret} leaked in {masked}");
    }
    assert!(masked.contains("****6789"));
}

/// A report naming `attempt`, under `provider_ref`.
fn report_on(
    id: &str,
    raw: &str,
    outcome: O,
    attempt: u32,
    provider_ref: &str,
) -> giro_domain::payout::ProviderReport {
    let mut r = report(id, raw, outcome);
    r.attempt = Some(attempt);
    r.provider_ref = Some(provider_ref.into());
    r
}

fn unmatched(g: &Given) -> &giro_domain::payout::UnmatchedReport {
    match &g.events.last().unwrap().event {
        giro_domain::payout::PayoutEvent::ReportUnmatched(u) => u,
        other => panic!("expected payout.report_unmatched, got {other:?}"),
    }
}

#[test]
fn a_report_about_an_attempt_never_made_is_kept_apart_and_moves_nothing() {
    // Issue #17: a signed Cashy FAIL naming attempt 07 of a payout whose only attempt (01)
    // succeeded turned it `reversed`.
    let mut g = submitted("u1");
    g.then(
        C::RecordReport(report_on("r1", "SUCCESS", O::Succeeded, 1, "PAYOUT1")),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
    g.then(
        C::RecordReport(report_on("r7", "FAIL", O::Failed, 7, "PAYOUT7")),
        &["payout.report_unmatched"],
        "succeeded",
    );
    let u = unmatched(&g);
    assert_eq!(u.reason, giro_domain::payout::Unmatched::NeverMade);
    assert_eq!(u.current_attempt, 1);
    assert!(!u.possible_double_payment);
    // Delivered again: recorded once.
    g.then(
        C::RecordReport(report_on("r7", "FAIL", O::Failed, 7, "PAYOUT7")),
        &[],
        "succeeded",
    );
    assert_eq!(g.state.as_ref().unwrap().unmatched_reports, 1);
}

#[test]
fn a_success_on_a_replaced_attempt_is_a_possible_second_payment() {
    let mut g = Given::new("u2");
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    g.then(
        C::RecordSubmissionFailure {
            attempt: 1,
            code: "busy".into(),
            message: "try again".into(),
            retryable: true,
        },
        &["payout.submission_failed"],
        "requested",
    );
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    // A late success about attempt 1, which the provider had refused.
    g.then(
        C::RecordReport(report_on("late", "SUCCESS", O::Succeeded, 1, "PAYOUT-A1")),
        &["payout.report_unmatched"],
        "submitting",
    );
    let u = unmatched(&g);
    assert_eq!(u.reason, giro_domain::payout::Unmatched::Superseded);
    assert_eq!(u.current_attempt, 2);
    assert!(u.possible_double_payment);
    // The current attempt's own report still decides.
    g.then(
        C::RecordReport(report_on("now", "SUCCESS", O::Succeeded, 2, "PAYOUT-A2")),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
}

#[test]
fn a_report_under_another_reference_for_the_attempt_is_kept_apart() {
    let mut g = submitted("u3");
    g.then(
        C::RecordReport(report_on("other", "SUCCESS", O::Succeeded, 1, "PAYOUT2")),
        &["payout.report_unmatched"],
        "submitted",
    );
    let u = unmatched(&g);
    assert_eq!(u.reason, giro_domain::payout::Unmatched::OtherReference);
    assert!(u.possible_double_payment);
}

#[test]
fn an_amount_or_currency_other_than_the_order_s_is_a_discrepancy_recorded_once() {
    use giro_domain::payout::{DiscrepancyField, PayoutEvent, ReportedAmount};
    use rust_decimal::Decimal;
    let mut g = submitted("d1");
    let mut paying = report_on("r1", "PAYING", O::InFlight, 1, "PAYOUT1");
    paying.amount = Some(ReportedAmount {
        amount: Decimal::new(499_000, 0),
        currency: Some("USD".into()),
    });
    g.then(
        C::RecordReport(paying.clone()),
        &[
            "payout.provider_status",
            "payout.discrepancy",
            "payout.discrepancy",
        ],
        "processing",
    );
    let found: Vec<_> = g
        .events
        .iter()
        .filter_map(|e| match &e.event {
            PayoutEvent::Discrepancy(d) => Some((d.field, d.expected.clone(), d.reported.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (DiscrepancyField::Currency, "COP".into(), "USD".into()),
            (DiscrepancyField::Amount, "500000".into(), "499000".into()),
        ]
    );
    // The success that says the same again: the status follows the provider, the difference is
    // not recorded twice.
    let mut success = paying;
    success.report_id = "r2".into();
    success.raw_status = "SUCCESS".into();
    success.outcome = O::Succeeded;
    g.then(
        C::RecordReport(success),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
    // The same amount written another way is no difference.
    let mut g = submitted("d2");
    let mut exact = report_on("r1", "SUCCESS", O::Succeeded, 1, "PAYOUT1");
    exact.amount = Some(ReportedAmount {
        amount: Decimal::new(50_000_000, 2),
        currency: None,
    });
    g.then(
        C::RecordReport(exact),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
}

#[test]
fn a_statement_difference_is_recorded_once() {
    use giro_domain::payout::{Discrepancy, DiscrepancyField, DiscrepancySource};
    let mut g = submitted("d3");
    let d = Discrepancy {
        source: DiscrepancySource::Statement,
        reference: "statement 2026-12-06 line 4".into(),
        field: DiscrepancyField::Status,
        expected: "submitted".into(),
        reported: "FAIL".into(),
    };
    g.then(
        C::RecordDiscrepancy(d.clone()),
        &["payout.discrepancy"],
        "submitted",
    );
    g.then(C::RecordDiscrepancy(d), &[], "submitted");
}
