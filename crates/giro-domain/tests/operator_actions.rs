//! Operator actions on a payout, read as the spec: given these events, when a person does this,
//! then these events (naming who acted), or this refusal.

mod common;

use common::*;
use giro_domain::ErrorCode;
use giro_domain::payout::{
    DeadLetterRef, Evidence, OperatorAction as A, OperatorCommand, PayoutCommand as C, PayoutEvent,
    ReportedOutcome as O, ResolvedOutcome,
};

fn by(action: A) -> C {
    C::Operator(OperatorCommand {
        by: "alice".into(),
        action,
    })
}

fn evidence(status: &str) -> Evidence {
    Evidence {
        provider_ref: "PAYOUT9".into(),
        provider_status: status.into(),
    }
}

fn resolve(outcome: ResolvedOutcome) -> C {
    by(A::Resolve {
        reason: "seen in the provider's portal".into(),
        evidence: evidence("COMPLETED"),
        outcome,
    })
}

fn retry() -> C {
    by(A::Retry {
        reason: "beneficiary's bank fixed".into(),
    })
}

/// A payout whose first attempt's outcome is unknown.
fn unknown(key: &str) -> Given {
    let mut g = Given::new(key);
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    g.then(
        C::RecordOutcomeUnknown {
            attempt: 1,
            reason: "time-out".into(),
        },
        &["payout.outcome_unknown"],
        "submitting",
    );
    g
}

/// A payout its provider refused before creating anything.
fn refused(key: &str) -> Given {
    let mut g = Given::new(key);
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    g.then(
        C::RecordSubmissionFailure {
            attempt: 1,
            code: "invalid_account".into(),
            message: "no such account".into(),
            retryable: false,
        },
        &["payout.submission_failed", "payout.failed"],
        "failed",
    );
    g
}

fn held(key: &str) -> Given {
    let mut g = Given::new(key);
    g.then(
        C::Hold {
            reason: "balance short".into(),
        },
        &["payout.held"],
        "held",
    );
    g
}

fn refusal(g: &mut Given, cmd: C) -> giro_domain::Rejection {
    g.when(&cmd).expect_err("the action is refused")
}

#[test]
fn resolving_an_unknown_outcome_records_who_and_the_usual_consequence() {
    let mut g = unknown("r1");
    g.then(
        resolve(ResolvedOutcome::Succeeded),
        &["payout.outcome_resolved", "payout.succeeded"],
        "succeeded",
    );
    let PayoutEvent::OutcomeResolved(r) = &g.events[3].event else {
        panic!("not a resolution: {:?}", g.events[3].event);
    };
    assert_eq!((r.by.as_str(), r.attempt), ("alice", 1));
    assert_eq!(r.evidence, evidence("COMPLETED"));
    assert_eq!(
        g.state.as_ref().unwrap().provider_ref.as_deref(),
        Some("PAYOUT9")
    );

    let mut g = unknown("r2");
    g.then(
        resolve(ResolvedOutcome::Failed),
        &["payout.outcome_resolved", "payout.failed"],
        "failed",
    );
    // Failed after an unknown outcome: it may have been paid, so it is never retried by hand.
    assert_eq!(refusal(&mut g, retry()).code, ErrorCode::InvalidState);
}

#[test]
fn resolving_needs_an_unknown_outcome_evidence_and_a_reason() {
    let mut g = Given::new("r3");
    let r = refusal(&mut g, resolve(ResolvedOutcome::Succeeded));
    assert_eq!(r.code, ErrorCode::InvalidState);
    assert!(r.message.contains("requested"), "{r}");

    let mut g = unknown("r4");
    let no_evidence = by(A::Resolve {
        reason: "portal".into(),
        evidence: Evidence {
            provider_ref: " ".into(),
            provider_status: "COMPLETED".into(),
        },
        outcome: ResolvedOutcome::Succeeded,
    });
    let r = refusal(&mut g, no_evidence);
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::MissingField, Some("evidence.provider_ref"))
    );
    let no_reason = by(A::Resolve {
        reason: String::new(),
        evidence: evidence("FAIL"),
        outcome: ResolvedOutcome::Failed,
    });
    let r = refusal(&mut g, no_reason);
    assert_eq!(r.field.as_deref(), Some("reason"));
    assert_eq!(g.status(), "submitting");
}

#[test]
fn a_payout_refused_before_the_provider_created_it_is_retried_as_a_new_attempt() {
    let mut g = refused("t1");
    g.then(retry(), &["payout.retried"], "requested");
    let p = g.state.as_ref().unwrap();
    assert_eq!(p.failure, None);
    assert_eq!(
        p.attempts.spent(p.attempt),
        0,
        "a retry starts a new budget"
    );
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    assert_eq!(g.state.as_ref().unwrap().attempt, 2);
}

#[test]
fn retry_is_refused_while_an_attempt_may_still_be_paid() {
    // The provider failed it: a FAIL may still flip to SUCCESS.
    let mut g = Given::new("t2").submitted();
    g.then(
        C::RecordReport(report("f1", "FAIL", O::Failed)),
        &["payout.provider_status", "payout.failed"],
        "failed",
    );
    assert_eq!(refusal(&mut g, retry()).code, ErrorCode::InvalidState);

    // An outcome still unknown.
    let mut g = unknown("t3");
    let r = refusal(&mut g, retry());
    assert_eq!(r.code, ErrorCode::InvalidState);
    assert!(r.message.contains("submitting"), "{r}");

    // Given up after a lookup found nothing: the outcome was unknown once.
    let mut g = unknown("t4");
    g.then(
        C::RecordSubmissionFailure {
            attempt: 1,
            code: "attempts_exhausted".into(),
            message: "gave up".into(),
            retryable: false,
        },
        &["payout.submission_failed", "payout.failed"],
        "failed",
    );
    assert!(!g.state.as_ref().unwrap().no_attempt_can_be_paid());
    assert_eq!(refusal(&mut g, retry()).code, ErrorCode::InvalidState);
}

#[test]
fn held_payouts_are_released_or_cancelled_by_name() {
    let mut g = held("h1");
    g.then(
        by(A::Release {
            reason: "topped up".into(),
        }),
        &["payout.released"],
        "requested",
    );
    let mut g = held("h2");
    g.then(
        by(A::Cancel {
            reason: "customer asked".into(),
        }),
        &["payout.cancelled"],
        "cancelled",
    );
    let PayoutEvent::Cancelled(c) = &g.events[2].event else {
        panic!("not a cancellation");
    };
    assert_eq!(c.by.as_deref(), Some("alice"));
    assert_eq!(c.reason.as_deref(), Some("customer asked"));

    let mut g = Given::new("h3");
    let release = by(A::Release {
        reason: "now".into(),
    });
    assert_eq!(refusal(&mut g, release).code, ErrorCode::InvalidState);
}

#[test]
fn actions_on_a_terminal_payout_are_refused_but_notes_are_kept() {
    let mut g = refused("x1");
    g.then(retry(), &["payout.retried"], "requested");
    g.then(
        by(A::Cancel {
            reason: "give up".into(),
        }),
        &["payout.cancelled"],
        "cancelled",
    );
    let cancel = by(A::Cancel {
        reason: "again".into(),
    });
    assert_eq!(refusal(&mut g, cancel).code, ErrorCode::NotCancellable);
    assert_eq!(refusal(&mut g, retry()).code, ErrorCode::InvalidState);
    assert_eq!(
        refusal(&mut g, resolve(ResolvedOutcome::Succeeded)).code,
        ErrorCode::InvalidState
    );
    g.then(
        by(A::Note {
            text: "customer informed".into(),
        }),
        &["payout.note_added"],
        "cancelled",
    );
    let empty = by(A::Note { text: "  ".into() });
    assert_eq!(refusal(&mut g, empty).code, ErrorCode::MissingField);
}

#[test]
fn a_replayed_dead_letter_is_recorded_on_the_order() {
    let mut g = Given::new("d1");
    g.then(
        by(A::ReplayDeadLetter {
            reason: "executor fixed".into(),
            dead_letter: DeadLetterRef {
                sequence: 7,
                subject: "giro.dlq.executor.killb".into(),
                original_sequence: Some(3),
            },
        }),
        &["payout.dead_letter_replayed"],
        "requested",
    );
}

#[test]
fn an_action_without_an_identity_is_refused() {
    let mut g = held("n1");
    let anonymous = C::Operator(OperatorCommand {
        by: " ".into(),
        action: A::Release { reason: "x".into() },
    });
    assert_eq!(refusal(&mut g, anonymous).code, ErrorCode::InvalidField);
}
