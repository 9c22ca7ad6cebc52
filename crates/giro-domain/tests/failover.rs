//! Failover, read as the spec: a payout its provider certainly did not pay goes to the next
//! candidate of its route as a new attempt (`payout.rerouted`); one that any provider may have
//! paid never does, and what a former provider reports later is for a person, never a payment.

mod common;

use common::*;
use giro_domain::payout::{
    PayoutCommand as C, PayoutDecider, PayoutEvent, ProviderWaitAnnounced, ReportedOutcome as O,
    RerouteReason, Unmatched,
};
use giro_domain::routing::RouteDecision;
use giro_domain::{Decider, ErrorCode, ProviderId};

fn pid(s: &str) -> ProviderId {
    ProviderId::try_from(s.to_string()).unwrap()
}

/// A payout routed by rule `cop-split` to cashy-co, with killb as the other candidate.
fn routed(key: &str) -> Given {
    let mut c = create(key);
    c.requested.route = Some(RouteDecision {
        rule: "cop-split".into(),
        candidates: vec![pid("cashy-co"), pid("killb")],
    });
    let mut g = Given {
        events: vec![],
        state: None,
        id: c.order_id,
    };
    g.when(&C::Create(Box::new(c))).unwrap();
    g
}

fn final_refusal(attempt: u32) -> C {
    C::RecordSubmissionFailure {
        attempt,
        code: "invalid_account".into(),
        message: "refused".into(),
        retryable: false,
    }
}

fn maintenance(attempt: u32) -> C {
    C::RecordProviderWait(ProviderWaitAnnounced {
        attempt,
        code: "System_Maintenance".into(),
        message: "down for maintenance".into(),
        wait_ms: None,
    })
}

fn provider(g: &Given) -> &str {
    g.state.as_ref().unwrap().provider().as_str()
}

#[test]
fn a_final_refusal_before_processing_reroutes_to_the_next_candidate_as_a_new_attempt() {
    let mut g = routed("f1");
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    g.then(
        final_refusal(1),
        &["payout.submission_failed", "payout.rerouted"],
        "requested",
    );
    let PayoutEvent::Rerouted(r) = &g.events.last().unwrap().event else {
        panic!("rerouted");
    };
    assert_eq!((r.from.as_str(), r.to.as_str()), ("cashy-co", "killb"));
    assert_eq!((r.attempt, r.reason), (1, RerouteReason::Refused));
    assert_eq!(r.rule.as_deref(), Some("cop-split"));
    assert_eq!(provider(&g), "killb");
    // The event goes to the new provider's executor, and so does everything after it.
    let before = g.state.clone();
    assert_eq!(
        PayoutDecider::route(&before, &g.events.last().unwrap().event).as_deref(),
        Some("killb")
    );
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    assert_eq!(g.state.as_ref().unwrap().attempt, 2);
    assert_eq!(
        PayoutDecider::route(&g.state, &g.events.last().unwrap().event).as_deref(),
        Some("killb")
    );
    // KillB refuses for good too: no candidate is left, the payout fails as before.
    g.then(
        final_refusal(2),
        &["payout.submission_failed", "payout.failed"],
        "failed",
    );
    assert!(g.state.as_ref().unwrap().no_attempt_can_be_paid());
}

#[test]
fn without_another_candidate_a_final_refusal_fails_the_payout_as_before() {
    let mut g = Given::new("f2");
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    g.then(
        final_refusal(1),
        &["payout.submission_failed", "payout.failed"],
        "failed",
    );
    assert_eq!(provider(&g), "cashy-co");
}

#[test]
fn maintenance_past_the_wait_reroutes_on_the_executors_request() {
    let mut g = routed("f3");
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    g.then(
        maintenance(1),
        &["payout.provider_wait_announced"],
        "requested",
    );
    g.then(
        C::Reroute {
            reason: RerouteReason::Maintenance,
        },
        &["payout.rerouted"],
        "requested",
    );
    let p = g.state.as_ref().unwrap();
    assert_eq!(p.provider().as_str(), "killb");
    // The former provider's "come back later" does not make the new one wait.
    assert_eq!(p.attempts.deferred_run, 0);
    // Nowhere left to go: refused, the payout stays where it is.
    let refused = g
        .when(&C::Reroute {
            reason: RerouteReason::CircuitOpen,
        })
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidState);
}

#[test]
fn an_attempt_whose_outcome_was_ever_unknown_is_never_rerouted() {
    let mut g = routed("f4");
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
    let refused = g
        .when(&C::Reroute {
            reason: RerouteReason::CircuitOpen,
        })
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidState);
    // The lookup found nothing, the attempt was sent again, and then refused for good: the
    // first send may still surface, so the payout fails rather than going elsewhere.
    g.then(
        C::RecordResent { attempt: 1 },
        &["payout.resent"],
        "submitting",
    );
    g.then(
        final_refusal(1),
        &["payout.submission_failed", "payout.failed"],
        "failed",
    );
    assert!(!g.state.as_ref().unwrap().no_attempt_can_be_paid());
}

#[test]
fn a_payout_a_provider_accepted_or_reported_on_is_never_rerouted() {
    let mut g = routed("f5").submitted();
    let reroute = C::Reroute {
        reason: RerouteReason::CircuitOpen,
    };
    assert!(g.when(&reroute).is_err());
    g.then(
        C::RecordReport(report("r1", "FAIL", O::Failed)),
        &["payout.provider_status", "payout.failed"],
        "failed",
    );
    // Failed after the provider had it: a FAIL may still turn into a SUCCESS.
    assert!(g.when(&reroute).is_err());
    assert!(!g.state.as_ref().unwrap().no_attempt_can_be_paid());
}

#[test]
fn a_success_the_former_provider_reports_later_is_for_a_person_never_a_second_attempt() {
    let mut g = routed("f6");
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    g.then(
        final_refusal(1),
        &["payout.submission_failed", "payout.rerouted"],
        "requested",
    );
    // Before KillB's first attempt, Cashy reports a success on attempt 1 (or on none).
    let mut on_first = report("c1", "SUCCESS", O::Succeeded);
    on_first.attempt = Some(1);
    g.then(
        C::RecordReport(on_first),
        &["payout.report_unmatched"],
        "requested",
    );
    let unnamed = report("c2", "SUCCESS", O::Succeeded);
    g.then(
        C::RecordReport(unnamed),
        &["payout.report_unmatched"],
        "requested",
    );
    for e in &g.events[g.events.len() - 2..] {
        let PayoutEvent::ReportUnmatched(u) = &e.event else {
            panic!("unmatched");
        };
        assert_eq!(u.reason, Unmatched::Superseded);
        assert!(u.possible_double_payment);
    }
    // A report is not a reason to fail over again, nor to stop: KillB makes attempt 2.
    let p = g.state.as_ref().unwrap();
    assert!(!p.no_attempt_can_be_paid());
    assert!(
        g.when(&C::Reroute {
            reason: RerouteReason::Maintenance
        })
        .is_err()
    );
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    let mut killb = report("k1", "COMPLETED", O::Succeeded);
    killb.attempt = Some(2);
    g.then(
        C::RecordReport(killb),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
    let mut late = report("c3", "SUCCESS", O::Succeeded);
    late.attempt = Some(1);
    g.then(
        C::RecordReport(late),
        &["payout.report_unmatched"],
        "succeeded",
    );
    assert_eq!(g.state.as_ref().unwrap().unmatched_reports, 3);
}

#[test]
fn a_reroute_releases_the_reservation_at_the_former_provider() {
    let mut g = routed("f7");
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    g.then(
        final_refusal(1),
        &["payout.submission_failed", "payout.rerouted"],
        "requested",
    );
    let events: Vec<_> = g.events.clone();
    let postings = giro_domain::ledger::order_postings(&events);
    let accounts: Vec<String> = postings
        .iter()
        .flat_map(|p| p.legs.iter().map(|l| l.account.to_string()))
        .collect();
    assert!(
        accounts.iter().all(|a| a.starts_with("cashy-co:")),
        "{accounts:?}"
    );
    g.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    let later = giro_domain::ledger::order_postings(&g.events);
    let last = later.last().unwrap();
    assert!(
        last.legs
            .iter()
            .all(|l| l.account.to_string().starts_with("killb:")),
        "{last:?}"
    );
}
