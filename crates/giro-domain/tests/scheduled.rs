//! Scheduled payouts (`execute_at`): given these events, when this command, then these events.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{co_bank_body, now};
use giro_domain::payout::{
    BecameDue, CreatePayout, Payout, PayoutCommand as C, PayoutDecider, PayoutEvent as E,
    PayoutStatus as S, parse_create,
};
use giro_domain::provider::Catalog;
use giro_domain::{Decider, Envelope, ErrorCode, EventId, EventMeta, Rejection};
use serde_json::json;

fn scheduled_body(key: &str, execute_at: serde_json::Value) -> Vec<u8> {
    let mut body = co_bank_body(key);
    body["execute_at"] = execute_at;
    body.to_string().into_bytes()
}

fn create_at(key: &str, at: DateTime<Utc>) -> CreatePayout {
    let draft = parse_create(&scheduled_body(key, json!(at.to_rfc3339()))).unwrap();
    draft.into_command(&Catalog::default(), None).unwrap()
}

/// Decides `cmd` at `at` against `state` and folds what it decides.
fn run(
    state: Option<Payout>,
    cmd: &C,
    at: DateTime<Utc>,
) -> (Result<Vec<E>, Rejection>, Option<Payout>) {
    let decided = PayoutDecider::decide(&state, cmd, at);
    let mut folded = state;
    if let Ok(events) = &decided {
        for event in events {
            let version = folded.as_ref().map_or(1, |p| p.version + 1);
            let env = Envelope {
                id: EventId::new(),
                event: event.clone(),
                order_id: cmd_order(&folded, cmd),
                version,
                at,
                meta: EventMeta {
                    correlation_id: "t".into(),
                    causation_id: None,
                },
            };
            folded = PayoutDecider::evolve(folded, &env);
        }
    }
    (decided, folded)
}

fn cmd_order(state: &Option<Payout>, cmd: &C) -> giro_domain::OrderId {
    match (state, cmd) {
        (Some(p), _) => p.id,
        (None, C::Create(c)) => c.order_id,
        (None, _) => panic!("a first command creates"),
    }
}

fn scheduled_payout(in_hours: i64) -> Payout {
    let c = create_at("sched-1", now() + Duration::hours(in_hours));
    let (decided, state) = run(None, &C::Create(Box::new(c)), now());
    assert!(decided.is_ok(), "{decided:?}");
    state.unwrap()
}

#[test]
fn a_payout_with_a_future_execute_at_is_scheduled_and_no_provider_may_take_it() {
    let p = scheduled_payout(24);
    assert_eq!(p.status, S::Scheduled);
    assert_eq!(p.request.execute_at, Some(now() + Duration::hours(24)));
    let (claim, _) = run(Some(p.clone()), &C::StartSubmission, now());
    assert_eq!(claim.unwrap_err().code, ErrorCode::InvalidState);
    let (hold, _) = run(
        Some(p),
        &C::Hold {
            reason: "funds".into(),
        },
        now(),
    );
    assert_eq!(hold.unwrap_err().code, ErrorCode::InvalidState);
}

#[test]
fn at_its_time_a_scheduled_payout_becomes_due_and_requested_once() {
    let p = scheduled_payout(1);
    let (early, _) = run(Some(p.clone()), &C::Wake, now() + Duration::minutes(59));
    let early = early.unwrap_err();
    assert_eq!(early.code, ErrorCode::InvalidState);
    assert!(early.message.contains("scheduled for"), "{early:?}");
    let due_at = now() + Duration::hours(1);
    let (due, p) = run(Some(p), &C::Wake, due_at);
    assert_eq!(
        due.unwrap(),
        vec![E::BecameDue(BecameDue { execute_at: due_at })]
    );
    let p = p.unwrap();
    assert_eq!((p.status, p.status_since), (S::Requested, due_at));
    let (again, _) = run(Some(p.clone()), &C::Wake, due_at);
    assert_eq!(again.unwrap(), vec![], "a second wake is a repeat");
    let (claim, p) = run(Some(p), &C::StartSubmission, due_at);
    assert!(claim.is_ok());
    assert_eq!(p.unwrap().status, S::Submitting);
}

#[test]
fn a_scheduled_payout_can_be_cancelled_and_its_wake_then_does_nothing() {
    let p = scheduled_payout(3);
    let cancel = C::Cancel {
        reason: Some("payroll corrected".into()),
    };
    let (cancelled, p) = run(Some(p), &cancel, now());
    assert!(cancelled.is_ok());
    let p = p.unwrap();
    assert_eq!(p.status, S::Cancelled);
    let (wake, after) = run(Some(p.clone()), &C::Wake, now() + Duration::hours(3));
    assert_eq!(wake.unwrap(), vec![]);
    assert_eq!(after.unwrap().status, S::Cancelled);
}

#[test]
fn execute_at_must_be_to_come_and_within_a_year_and_a_day() {
    for (at, says) in [
        (now(), "not in the future"),
        (now() - Duration::minutes(5), "not in the future"),
        (now() + Duration::days(367), "more than 366 days ahead"),
    ] {
        let c = create_at("sched-2", at);
        let (decided, state) = run(None, &C::Create(Box::new(c)), now());
        let r = decided.unwrap_err();
        assert_eq!(r.code, ErrorCode::InvalidField);
        assert_eq!(r.field.as_deref(), Some("execute_at"), "{r:?}");
        assert!(r.message.contains(says), "{r:?}");
        assert!(state.is_none());
    }
    let c = create_at("sched-3", now() + Duration::days(366));
    assert!(run(None, &C::Create(Box::new(c)), now()).0.is_ok());
}

#[test]
fn execute_at_that_is_not_an_instant_with_its_offset_is_refused_naming_the_field() {
    for bad in [
        json!("2027-01-15"),
        json!("2027-01-15T09:00:00"),
        json!("tomorrow"),
        json!("2027-01-15T09:00:00-05:00\u{0007}"),
        json!(1_800_000_000),
        json!({"at": "2027-01-15T09:00:00Z"}),
    ] {
        let r = parse_create(&scheduled_body("sched-4", bad.clone())).unwrap_err();
        assert_eq!(r.field.as_deref(), Some("execute_at"), "{bad}: {r:?}");
    }
    let ok = parse_create(&scheduled_body(
        "sched-4",
        json!("2027-01-15T09:00:00-05:00"),
    ))
    .unwrap();
    assert_eq!(
        ok.execute_at.map(|at| at.to_rfc3339()).as_deref(),
        Some("2027-01-15T14:00:00+00:00"),
        "kept in UTC"
    );
}

#[test]
fn the_time_is_part_of_the_request_so_a_repeat_at_another_time_conflicts() {
    let p = scheduled_payout(2);
    let same = create_at("sched-1", now() + Duration::hours(2));
    assert_eq!(
        run(Some(p.clone()), &C::Create(Box::new(same)), now())
            .0
            .unwrap(),
        vec![]
    );
    let other = create_at("sched-1", now() + Duration::hours(5));
    let r = run(Some(p), &C::Create(Box::new(other)), now())
        .0
        .unwrap_err();
    assert_eq!(r.code, ErrorCode::IdempotencyConflict);
    let unscheduled = parse_create(co_bank_body("sched-1").to_string().as_bytes()).unwrap();
    assert_ne!(
        unscheduled.fingerprint,
        create_at("sched-1", now()).requested.fingerprint
    );
}
