//! The charge decider, read as the spec: given these events, when this command, then these events.

mod charge_common;

use charge_common::*;
use giro_domain::ErrorCode;
use giro_domain::charge::{
    ChargeCommand as C, ChargeEvent, ChargeOutcome as O, ChargeStatus, Dispute, Reported,
};

fn submitting(key: &str) -> Given {
    let mut g = Given::new(key);
    g.then(
        C::StartSubmission,
        &["charge.submission_started"],
        "submitting",
    );
    g
}

fn pending(key: &str) -> Given {
    let mut g = submitting(key);
    g.then(
        C::RecordSubmitted(submitted(1)),
        &["charge.submitted"],
        "pending",
    );
    g
}

fn paid(key: &str) -> Given {
    let mut g = pending(key);
    g.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
    g
}

fn refund(amount: Option<&str>) -> C {
    C::Refund {
        amount: amount.map(dec),
        reason: Some("customer asked".into()),
    }
}

#[test]
fn submission_hands_the_charge_to_the_provider_under_the_attempts_handle() {
    let mut g = submitting("s1");
    let c = g.charge();
    assert_eq!((c.attempt, c.outcome_unknown), (1, false));
    let handle = c.handle.clone().unwrap();
    let parsed: giro_domain::SubmissionHandle = handle.parse().unwrap();
    assert_eq!((parsed.order_id, parsed.attempt), (g.id, 1));
    // A second claim while the first stands is refused.
    assert_eq!(g.refused(C::StartSubmission).code, ErrorCode::InvalidState);
    g.then(
        C::RecordSubmitted(submitted(1)),
        &["charge.submitted"],
        "pending",
    );
    let c = g.charge();
    assert_eq!(c.charge_uuid.as_deref(), Some(UUID));
    assert!(c.payment.payment_url.is_some());
    // Recording it again is a repeat; another attempt's submission is refused.
    g.then(C::RecordSubmitted(submitted(1)), &[], "pending");
    assert_eq!(
        g.refused(C::RecordSubmitted(submitted(2))).code,
        ErrorCode::InvalidState
    );
}

#[test]
fn happy_path_issued_pending_confirmed_paid() {
    let mut g = pending("h1");
    g.then(
        C::RecordReport(report("issued", O::Pending)),
        &["charge.provider_status"],
        "pending",
    );
    g.then(
        C::RecordReport(report("pending", O::Pending)),
        &["charge.provider_status"],
        "pending",
    );
    g.then(
        C::RecordReport(report("confirmed", O::Confirmed)),
        &["charge.provider_status", "charge.confirmed"],
        "confirmed",
    );
    g.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
    let versions: Vec<u64> = g.events.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=versions.len() as u64).collect::<Vec<_>>());
}

#[test]
fn an_authorised_only_card_goes_through_authorized() {
    let mut g = pending("auth");
    g.then(
        C::RecordReport(report("pre_captured", O::Authorized)),
        &["charge.provider_status", "charge.authorized"],
        "authorized",
    );
    g.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
}

#[test]
fn an_unknown_outcome_waits_for_the_provider_and_never_claims_again() {
    let mut g = submitting("u1");
    g.then(
        C::RecordOutcomeUnknown {
            attempt: 1,
            reason: "answer lost".into(),
        },
        &["charge.outcome_unknown"],
        "submitting",
    );
    assert!(g.charge().outcome_unknown);
    // Recorded once; never a new attempt while unknown.
    g.then(
        C::RecordOutcomeUnknown {
            attempt: 1,
            reason: "again".into(),
        },
        &[],
        "submitting",
    );
    assert_eq!(g.refused(C::StartSubmission).code, ErrorCode::InvalidState);
    // The webhook names the charge: it exists; the attempt is resolved.
    g.then(
        C::RecordReport(report("issued", O::Pending)),
        &["charge.provider_status"],
        "pending",
    );
    let c = g.charge();
    assert!(!c.outcome_unknown);
    assert_eq!(c.charge_uuid.as_deref(), Some(UUID));
    // The executor may still record the submission (payment details) read from the provider.
    g.then(
        C::RecordSubmitted(submitted(1)),
        &["charge.submitted"],
        "pending",
    );
    assert!(g.charge().payment.payment_url.is_some());
    // An unknown outcome of a resolved attempt is refused.
    assert_eq!(
        g.refused(C::RecordOutcomeUnknown {
            attempt: 1,
            reason: "late".into()
        })
        .code,
        ErrorCode::InvalidState
    );
}

#[test]
fn an_unknown_outcome_resolved_by_a_final_report() {
    let mut g = submitting("u2");
    g.when(&C::RecordOutcomeUnknown {
        attempt: 1,
        reason: "timeout".into(),
    })
    .unwrap();
    g.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
    assert!(!g.charge().outcome_unknown);
}

#[test]
fn an_unknown_outcome_of_another_attempt_is_refused() {
    let mut g = submitting("u3");
    assert_eq!(
        g.refused(C::RecordOutcomeUnknown {
            attempt: 2,
            reason: "x".into()
        })
        .code,
        ErrorCode::InvalidState
    );
}

#[test]
fn an_error_fails_the_charge_and_a_late_paid_still_counts() {
    let mut g = pending("e1");
    let mut error = report("error", O::Failed);
    error.reason = Some("payment_declined: Payment declined".into());
    g.then(
        C::RecordReport(error),
        &["charge.provider_status", "charge.failed"],
        "failed",
    );
    let failure = g.charge().failure.clone().unwrap();
    assert_eq!(failure.code, "error");
    assert!(failure.message.contains("payment_declined"));
    // Cancel and refund make no sense any more.
    assert_eq!(
        g.refused(C::Cancel { reason: None }).code,
        ErrorCode::NotCancellable
    );
    assert_eq!(g.refused(refund(None)).code, ErrorCode::InvalidState);
    // A late `paid` after `error` is the one documented way out.
    g.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
}

#[test]
fn retryable_refusals_go_back_to_requested_and_the_next_attempt_has_a_new_handle() {
    let mut g = submitting("r1");
    let first = g.charge().handle.clone();
    g.then(
        C::RecordSubmissionFailure {
            attempt: 1,
            code: "errors.unexpected".into(),
            message: "retry".into(),
            retryable: true,
        },
        &["charge.submission_failed"],
        "requested",
    );
    g.then(
        C::StartSubmission,
        &["charge.submission_started"],
        "submitting",
    );
    assert_eq!(g.charge().attempt, 2);
    assert_ne!(g.charge().handle, first);
    // A failure of the old attempt is refused.
    assert_eq!(
        g.refused(C::RecordSubmissionFailure {
            attempt: 1,
            code: "x".into(),
            message: "y".into(),
            retryable: true
        })
        .code,
        ErrorCode::InvalidState
    );
}

#[test]
fn a_final_refusal_fails_the_charge() {
    let mut g = submitting("r2");
    g.then(
        C::RecordSubmissionFailure {
            attempt: 1,
            code: "INVALID_TYPE_CHARGE".into(),
            message: "bad method".into(),
            retryable: false,
        },
        &["charge.submission_failed", "charge.failed"],
        "failed",
    );
    assert_eq!(
        g.charge().failure.as_ref().unwrap().code,
        "INVALID_TYPE_CHARGE"
    );
}

#[test]
fn giving_up_fails_only_a_charge_no_provider_has() {
    let mut g = Given::new("f1");
    g.then(
        C::Fail {
            code: "attempts_exhausted".into(),
            message: "gave up".into(),
        },
        &["charge.failed"],
        "failed",
    );
    g.then(
        C::Fail {
            code: "attempts_exhausted".into(),
            message: "gave up".into(),
        },
        &[],
        "failed",
    );
    let mut at_provider = pending("f2");
    assert_eq!(
        at_provider
            .refused(C::Fail {
                code: "x".into(),
                message: "y".into()
            })
            .code,
        ErrorCode::InvalidState
    );
}

#[test]
fn cancel_before_the_provider_is_immediate() {
    let mut g = Given::new("c1");
    g.then(
        C::Cancel {
            reason: Some("changed mind".into()),
        },
        &["charge.cancelled"],
        "cancelled",
    );
    g.then(C::Cancel { reason: None }, &[], "cancelled");
    assert_eq!(g.refused(C::StartSubmission).code, ErrorCode::InvalidState);
    // A late report cannot bring it back.
    g.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.provider_status"],
        "cancelled",
    );
}

#[test]
fn cancel_at_the_provider_is_asked_of_it_and_completed_by_its_report() {
    let mut g = pending("c2");
    g.then(
        C::Cancel {
            reason: Some("out of stock".into()),
        },
        &["charge.cancel_requested"],
        "pending",
    );
    g.then(C::Cancel { reason: None }, &[], "pending");
    g.then(
        C::RecordReport(report("canceled", O::Cancelled)),
        &["charge.provider_status", "charge.cancelled"],
        "cancelled",
    );
    let cancelled = g.events.last().unwrap();
    assert_eq!(
        cancelled.event,
        ChargeEvent::Cancelled(giro_domain::charge::ChargeCancelled {
            reason: Some("out of stock".into())
        })
    );
    assert!(g.charge().cancel_requested.is_none());
}

#[test]
fn cancel_during_submission_completes_when_the_attempt_certainly_failed() {
    let mut g = submitting("c3");
    g.then(
        C::Cancel { reason: None },
        &["charge.cancel_requested"],
        "submitting",
    );
    g.then(
        C::RecordSubmissionFailure {
            attempt: 1,
            code: "errors.throttled".into(),
            message: "429".into(),
            retryable: true,
        },
        &["charge.submission_failed", "charge.cancelled"],
        "cancelled",
    );
}

#[test]
fn a_pending_cancellation_blocks_new_attempts() {
    let mut g = submitting("c4");
    g.when(&C::Cancel { reason: None }).unwrap();
    assert_eq!(g.refused(C::StartSubmission).code, ErrorCode::InvalidState);
}

#[test]
fn a_paid_charge_is_not_cancellable_but_refundable() {
    let mut g = paid("c5");
    let r = g.refused(C::Cancel { reason: None });
    assert_eq!(r.code, ErrorCode::NotCancellable);
    assert!(r.message.contains("refunded"), "{r}");
    // A cancellation the provider refused because the charge got paid meanwhile: paid wins.
    let mut raced = pending("c6");
    raced.when(&C::Cancel { reason: None }).unwrap();
    raced.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
}

#[test]
fn partial_then_full_refunds() {
    let mut g = paid("rf1");
    assert_eq!(g.charge().refundable(), dec("450.00"));
    g.then(refund(Some("100.00")), &["charge.refund_requested"], "paid");
    // The same request again is a repeat; another one while it runs is refused.
    g.then(refund(Some("100.00")), &[], "paid");
    assert_eq!(
        g.refused(refund(Some("50.00"))).code,
        ErrorCode::InvalidState
    );
    g.then(
        C::RecordReport(report("refunded", O::Refunded)),
        &["charge.provider_status", "charge.refunded"],
        "paid",
    );
    let c = g.charge();
    assert_eq!((c.refunded, c.refundable()), (dec("100.00"), dec("350.00")));
    assert!(c.refund_requested.is_none());
    // The rest, without an amount.
    g.then(refund(None), &["charge.refund_requested"], "paid");
    let mut second = report("refunded", O::Refunded);
    second.report_id = format!("{UUID}:REFUNDED:2");
    g.then(
        C::RecordReport(second),
        &["charge.provider_status", "charge.refunded"],
        "refunded",
    );
    let c = g.charge();
    assert_eq!((c.refunded, c.refundable()), (dec("450.00"), dec("0")));
    match &g.events.last().unwrap().event {
        ChargeEvent::Refunded(r) => {
            assert_eq!((r.amount, r.remaining), (dec("350.00"), dec("0")))
        }
        other => panic!("{other:?}"),
    }
    // Done: asking the rest again is a repeat, an amount is refused.
    g.then(refund(None), &[], "refunded");
    assert_eq!(
        g.refused(refund(Some("1.00"))).code,
        ErrorCode::AmountOutOfRange
    );
}

#[test]
fn a_refund_bigger_than_what_is_refundable_is_refused() {
    let mut g = paid("rf2");
    let r = g.refused(refund(Some("450.01")));
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::AmountOutOfRange, Some("amount"))
    );
    assert!(r.message.contains("450"), "{r}");
    g.when(&refund(Some("400.00"))).unwrap();
    g.when(&C::RecordReport(report("refunded", O::Refunded)))
        .unwrap();
    let r = g.refused(refund(Some("50.01")));
    assert_eq!(r.code, ErrorCode::AmountOutOfRange);
    // Precision is the currency's.
    assert_eq!(
        g.refused(refund(Some("1.001"))).code,
        ErrorCode::InvalidAmountPrecision
    );
    // What the provider reports is never more than was charged.
    g.when(&refund(Some("50.00"))).unwrap();
    let mut huge = report("refunded", O::Refunded);
    huge.report_id = "r-huge".into();
    huge.amount = Some(dec("9999"));
    g.when(&C::RecordReport(huge)).unwrap();
    assert_eq!(g.status(), "refunded");
    assert_eq!(g.charge().refunded, dec("450.00"));
}

#[test]
fn only_paid_charges_are_refunded() {
    let mut g = pending("rf3");
    assert_eq!(g.refused(refund(None)).code, ErrorCode::InvalidState);
    let mut requested = Given::new("rf4");
    assert_eq!(
        requested.refused(refund(None)).code,
        ErrorCode::InvalidState
    );
}

#[test]
fn a_refund_error_ends_the_refund_and_keeps_the_charge_paid() {
    let mut g = paid("rf5");
    g.when(&refund(Some("10.00"))).unwrap();
    g.then(
        C::RecordReport(report("refund_error", O::RefundFailed)),
        &["charge.provider_status"],
        "paid",
    );
    assert!(g.charge().refund_requested.is_none());
    // A new refund may be asked.
    g.then(refund(Some("20.00")), &["charge.refund_requested"], "paid");
}

#[test]
fn a_provider_side_refund_without_a_request_refunds_the_rest() {
    let mut g = paid("rf6");
    g.then(
        C::RecordReport(report("refunded", O::Refunded)),
        &["charge.provider_status", "charge.refunded"],
        "refunded",
    );
    assert_eq!(g.charge().refunded, dec("450.00"));
    // Refunded is never left.
    let mut late = report("paid", O::Paid);
    late.report_id = "late-paid".into();
    g.then(
        C::RecordReport(late),
        &["charge.provider_status"],
        "refunded",
    );
}

#[test]
fn chargeback_lost() {
    let mut g = paid("cb1");
    g.then(
        C::RecordReport(report("chargeback_requested", O::ChargebackOpened)),
        &["charge.provider_status", "charge.chargeback_opened"],
        "chargeback",
    );
    assert_eq!(g.charge().dispute, Some(Dispute::Open));
    g.then(
        C::RecordReport(report("pre_chargeback_resolution", O::ChargebackOpened)),
        &["charge.provider_status"],
        "chargeback",
    );
    g.then(
        C::RecordReport(report("chargeback", O::ChargebackLost)),
        &["charge.provider_status", "charge.chargeback_lost"],
        "chargeback",
    );
    assert_eq!(g.charge().dispute, Some(Dispute::Lost));
    // `chargeback_refunded` says the same: recorded, no second loss.
    g.then(
        C::RecordReport(report("chargeback_refunded", O::ChargebackLost)),
        &["charge.provider_status"],
        "chargeback",
    );
    assert_eq!(g.refused(refund(None)).code, ErrorCode::InvalidState);
}

#[test]
fn chargeback_won_returns_the_charge_to_paid() {
    let mut g = paid("cb2");
    g.when(&C::RecordReport(report(
        "chargeback_requested",
        O::ChargebackOpened,
    )))
    .unwrap();
    g.then(
        C::RecordReport(report("chargeback_reversed", O::ChargebackWon)),
        &["charge.provider_status", "charge.chargeback_won"],
        "paid",
    );
    assert_eq!(g.charge().dispute, Some(Dispute::Won));
    // Still refundable afterwards.
    g.then(refund(Some("1.00")), &["charge.refund_requested"], "paid");
}

#[test]
fn a_dispute_lost_at_once_and_a_won_report_without_a_dispute() {
    let mut g = paid("cb3");
    g.then(
        C::RecordReport(report("chargeback_reversed", O::ChargebackWon)),
        &["charge.provider_status"],
        "paid",
    );
    g.then(
        C::RecordReport(report("chargeback", O::ChargebackLost)),
        &["charge.provider_status", "charge.chargeback_lost"],
        "chargeback",
    );
    // A dispute before anything was collected is recorded, not acted on.
    let mut early = Given::new("cb4");
    early.then(
        C::RecordReport(report("chargeback", O::ChargebackLost)),
        &["charge.provider_status"],
        "requested",
    );
}

#[test]
fn duplicate_reports_append_nothing_and_stale_ones_change_nothing() {
    let mut g = paid("d1");
    g.then(C::RecordReport(report("paid", O::Paid)), &[], "paid");
    g.then(
        C::RecordReport(report("confirmed", O::Confirmed)),
        &["charge.provider_status"],
        "paid",
    );
    g.then(
        C::RecordReport(report("pending", O::Pending)),
        &["charge.provider_status"],
        "paid",
    );
    g.then(C::RecordReport(report("pending", O::Pending)), &[], "paid");
    let mut late_error = report("error", O::Failed);
    late_error.reason = Some("stale".into());
    g.then(
        C::RecordReport(late_error),
        &["charge.provider_status"],
        "paid",
    );
    assert!(g.charge().failure.is_none());
}

#[test]
fn out_of_order_reports_settle_on_the_latest_state() {
    let mut g = pending("o1");
    g.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
    g.then(
        C::RecordReport(report("confirmed", O::Confirmed)),
        &["charge.provider_status"],
        "paid",
    );
}

#[test]
fn unknown_statuses_are_recorded_not_acted_on() {
    let mut g = pending("x1");
    g.then(
        C::RecordReport(report("authorised_by_moon", O::Unknown)),
        &["charge.provider_status"],
        "pending",
    );
    let last = g.events.last().unwrap();
    match &last.event {
        ChargeEvent::ProviderStatus(r) => assert_eq!(r.raw_status, "authorised_by_moon"),
        other => panic!("{other:?}"),
    }
    // Nor does an unknown status resolve an unknown outcome.
    let mut u = submitting("x2");
    u.when(&C::RecordOutcomeUnknown {
        attempt: 1,
        reason: "lost".into(),
    })
    .unwrap();
    u.then(
        C::RecordReport(report("weird", O::Unknown)),
        &["charge.provider_status"],
        "submitting",
    );
    assert!(u.charge().outcome_unknown);
}

#[test]
fn a_consequence_lost_to_a_crash_is_derived_again_once() {
    let mut g = pending("k1");
    // The report was stored, the process died before its consequence.
    g.store(ChargeEvent::ProviderStatus(report("paid", O::Paid)));
    assert_eq!(g.status(), "pending");
    g.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.paid"],
        "paid",
    );
    g.then(C::RecordReport(report("paid", O::Paid)), &[], "paid");
    // Only the newest decisive report re-derives: an older one repeating changes nothing.
    let mut h = paid("k2");
    h.when(&refund(Some("10.00"))).unwrap();
    h.store(ChargeEvent::ProviderStatus(report("refunded", O::Refunded)));
    h.then(C::RecordReport(report("paid", O::Paid)), &[], "paid");
    h.then(
        C::RecordReport(report("refunded", O::Refunded)),
        &["charge.refunded"],
        "paid",
    );
    h.then(
        C::RecordReport(report("refunded", O::Refunded)),
        &[],
        "paid",
    );
    assert_eq!(h.charge().refunded, dec("10.00"));
}

#[test]
fn creating_again_is_a_repeat_and_a_different_body_a_conflict() {
    let mut g = Given::new("i1");
    g.then(C::Create(Box::new(create("i1"))), &[], "requested");
    let mut other = create("i1");
    other.requested.fingerprint = "different".into();
    assert_eq!(
        g.refused(C::Create(Box::new(other))).code,
        ErrorCode::IdempotencyConflict
    );
}

#[test]
fn commands_on_a_missing_charge_are_not_found() {
    for cmd in [
        C::StartSubmission,
        C::Cancel { reason: None },
        refund(None),
        C::RecordReport(report("paid", O::Paid)),
    ] {
        let r = giro_domain::charge::decide(&None, &cmd, now()).unwrap_err();
        assert_eq!(r.code, ErrorCode::NotFound);
    }
}

#[test]
fn the_transition_table_keeps_cancelled_and_refunded_final() {
    for from in [ChargeStatus::Cancelled, ChargeStatus::Refunded] {
        for to in ChargeStatus::ALL {
            assert!(!from.can_become(to), "{from} -> {to}");
        }
    }
    let reported = || Reported {
        raw_status: "paid".into(),
        reason: None,
    };
    assert_eq!(
        giro_domain::charge::next_status(ChargeStatus::Cancelled, &ChargeEvent::Paid(reported())),
        None
    );
}

#[test]
fn a_report_about_another_attempt_of_a_charge_is_kept_apart_and_moves_nothing() {
    use giro_domain::payout::Unmatched;
    let mut g = Given::new("cu-1");
    g.when(&C::StartSubmission).unwrap();
    g.when(&C::RecordSubmissionFailure {
        attempt: 1,
        code: "busy".into(),
        message: "try again".into(),
        retryable: true,
    })
    .unwrap();
    g.when(&C::StartSubmission).unwrap();
    let status = g.state.as_ref().unwrap().status;
    // A late "paid" about attempt 1, which A55 had turned away: a possible second charge.
    let mut late = report("paid", O::Paid);
    late.attempt = Some(1);
    late.report_id = "late:PAID".into();
    let types = g.when(&C::RecordReport(late.clone())).unwrap();
    assert_eq!(types, ["charge.report_unmatched"]);
    let Some(ChargeEvent::ReportUnmatched(u)) = g.events.last().map(|e| &e.event) else {
        panic!("expected charge.report_unmatched");
    };
    assert_eq!((u.reason, u.current_attempt), (Unmatched::Superseded, 2));
    assert!(u.possible_double_charge);
    assert_eq!(g.state.as_ref().unwrap().status, status, "nothing moved");
    // Again: recorded once. About attempt 9, never made: kept apart too.
    assert!(g.when(&C::RecordReport(late)).unwrap().is_empty());
    let mut never = report("error", O::Failed);
    never.attempt = Some(9);
    never.report_id = "never:ERROR".into();
    assert_eq!(
        g.when(&C::RecordReport(never)).unwrap(),
        ["charge.report_unmatched"]
    );
    assert_eq!(g.state.as_ref().unwrap().unmatched_reports, 2);
}
