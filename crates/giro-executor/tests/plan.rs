//! The executor's plans, pure: given an order's state (folded from its events, as the log would
//! give it), the time and the timings, what it does next. No NATS, no HTTP: every status of both
//! kinds of order, and every refusal kind a provider module maps its errors to.

mod common;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::fast_timings;
use giro_domain::charge::{
    Charge, ChargeCommand, ChargeDecider, ChargeOutcome, ChargeReport, ChargeStatus,
};
use giro_domain::payout::{
    Payout, PayoutCommand, PayoutDecider, PayoutStatus, ProviderReport, ReportSource,
    ReportedOutcome,
};
use giro_domain::provider::Catalog;
use giro_domain::{Decider, Envelope, EventId, EventMeta, OrderId};
use giro_executor::Timings;
use giro_executor::charge::{self, ChargeAction};
use giro_executor::payout::{self, NotFound, PayoutAction};
use giro_executor::retry::Clock;
use giro_providers::{Refusal, RefusalKind};
use serde_json::json;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
}

/// The state after deciding `commands` in turn, each event stored `step` after the previous one.
fn fold<D: Decider>(first: D::Command, commands: Vec<D::Command>, step: Duration) -> D::State {
    let mut state = D::State::default();
    let mut version = 0;
    let mut at = t0();
    let id = OrderId::from_uuid(uuid::Uuid::nil());
    for cmd in std::iter::once(first).chain(commands) {
        let events = D::decide(&state, &cmd, at).expect("the command applies");
        for event in events {
            version += 1;
            let env = Envelope {
                id: EventId::new(),
                event,
                order_id: id,
                version,
                at,
                meta: EventMeta::default(),
            };
            state = D::evolve(state, &env);
        }
        at += chrono::Duration::from_std(step).unwrap();
    }
    state
}

fn payout(commands: Vec<PayoutCommand>) -> Payout {
    let body = json!({
        "idempotency_key": "plan-1", "provider": "cashy-co", "amount": "50000", "currency": "COP",
        "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                         "email": "maria@example.com", "phone": "3001234567",
                         "document": {"type": "CC", "number": "12345678"},
                         "bank_code": "007", "account_number": "123456789", "account_type": "savings" }
    });
    let draft = giro_domain::payout::parse_create(body.to_string().as_bytes()).unwrap();
    let create = draft.into_command(&Catalog::default(), None).unwrap();
    fold::<PayoutDecider>(
        PayoutCommand::Create(Box::new(create)),
        commands,
        Duration::ZERO,
    )
    .expect("a payout")
}

fn clock(after: Duration, deliveries: u64) -> Clock {
    Clock {
        now: t0() + chrono::Duration::from_std(after).unwrap(),
        deliveries,
        jitter: 0.0,
    }
}

fn refusal(kind: RefusalKind) -> Refusal {
    Refusal::new(kind, "code", "the provider's reason")
}

const KINDS: [RefusalKind; 6] = [
    RefusalKind::Final,
    RefusalKind::Retryable,
    RefusalKind::ComeBackAfter(Some(Duration::from_secs(5))),
    RefusalKind::ComeBackAfter(None),
    RefusalKind::InsufficientFunds,
    RefusalKind::OutcomeUnknown,
];

fn report(raw: &str, outcome: ReportedOutcome) -> PayoutCommand {
    PayoutCommand::RecordReport(ProviderReport {
        source: ReportSource::Webhook,
        raw_status: raw.into(),
        outcome,
        report_id: format!("P1:{raw}"),
        provider_ref: Some("P1".into()),
        reason: None,
        fee: None,
        attempt: None,
        amount: None,
        completed_at: None,
        channel_ref: None,
        reported_at: None,
    })
}

#[test]
fn every_refusal_kind_of_a_first_attempt_leads_to_its_next_step() {
    let t = fast_timings();
    for kind in KINDS {
        let p = payout(vec![
            PayoutCommand::StartSubmission,
            payout::refusal_command(1, refusal(kind)),
        ]);
        let expected_status = match kind {
            RefusalKind::Final => PayoutStatus::Failed,
            RefusalKind::OutcomeUnknown => PayoutStatus::Submitting,
            _ => PayoutStatus::Requested,
        };
        assert_eq!(p.status, expected_status, "{kind:?}");
        // Right away: nothing is sent again before its wait.
        let now = payout::plan(&p, &t, &clock(Duration::ZERO, 1));
        // Much later: the next step is taken.
        let later = payout::plan(&p, &t, &clock(Duration::from_secs(60), 2));
        match kind {
            RefusalKind::Final => {
                assert_eq!(now, PayoutAction::Done);
                assert_eq!(p.failure.as_ref().map(|f| f.code.as_str()), Some("code"));
            }
            RefusalKind::Retryable | RefusalKind::InsufficientFunds => {
                assert_eq!(now, PayoutAction::Wait(t.retry_base), "{kind:?}");
                assert_eq!(later, PayoutAction::Submit, "{kind:?}");
            }
            RefusalKind::ComeBackAfter(asked) => {
                let wait = asked.unwrap_or_default().max(t.retry_base);
                assert_eq!(now, PayoutAction::Wait(wait), "{kind:?}");
                assert_eq!(later, PayoutAction::Submit, "{kind:?}");
                assert_eq!(p.attempts.deferred, 1);
                assert_eq!(
                    p.attempts.spent(p.attempt),
                    0,
                    "a deferral spends no attempt"
                );
            }
            RefusalKind::OutcomeUnknown => {
                assert_eq!(now, PayoutAction::Wait(t.retry_base));
                assert_eq!(
                    later,
                    PayoutAction::Resolve {
                        if_not_found: NotFound::Resend
                    }
                );
            }
        }
    }
}

/// After a crash or restart the timer of a submitted payout comes back once its ack wait passes,
/// as one more delivery: the provider is asked at once, and the polls after start again from
/// `poll_after` (the engine once waited a doubled backoff here and took 7 minutes to move every
/// order after a restart).
#[test]
fn a_redelivery_after_a_crash_polls_at_once_without_stretching_the_backoff() {
    let t = Timings::default();
    let p = payout(vec![
        PayoutCommand::StartSubmission,
        PayoutCommand::RecordSubmitted {
            attempt: 1,
            provider_ref: Some("P1".into()),
            raw_status: Some("PENDING".into()),
        },
    ]);
    let secs = Duration::from_secs;
    for (after, deliveries, expected) in [
        (secs(0), 1, PayoutAction::Wait(t.poll_after)),
        (secs(40), 2, PayoutAction::Poll { next: t.poll_after }),
        (secs(40), 5, PayoutAction::Poll { next: t.poll_after }),
        (
            t.poll_after,
            2,
            PayoutAction::Poll {
                next: t.poll_after * 2,
            },
        ),
        (
            t.poll_after * 3,
            3,
            PayoutAction::Poll {
                next: t.poll_after * 4,
            },
        ),
    ] {
        let action = payout::plan(&p, &t, &clock(after, deliveries));
        assert_eq!(action, expected, "after {after:?}, delivery {deliveries}");
    }
}

#[test]
fn every_payout_status_has_its_step() {
    let t = fast_timings();
    let submitted = || PayoutCommand::RecordSubmitted {
        attempt: 1,
        provider_ref: Some("P1".into()),
        raw_status: Some("PENDING".into()),
    };
    let cases: Vec<(Vec<PayoutCommand>, Duration, u64, PayoutAction)> = vec![
        (vec![], Duration::ZERO, 1, PayoutAction::Submit),
        (
            vec![PayoutCommand::Hold {
                reason: "funds".into(),
            }],
            Duration::ZERO,
            1,
            PayoutAction::Submit,
        ),
        (
            vec![PayoutCommand::StartSubmission],
            Duration::from_millis(500),
            1,
            PayoutAction::Wait(t.claim_timeout - Duration::from_millis(500)),
        ),
        (
            vec![PayoutCommand::StartSubmission],
            t.claim_timeout,
            2,
            PayoutAction::ClaimTimedOut,
        ),
        (
            vec![PayoutCommand::StartSubmission, submitted()],
            Duration::ZERO,
            1,
            PayoutAction::Wait(t.poll_after),
        ),
        (
            vec![PayoutCommand::StartSubmission, submitted()],
            Duration::from_secs(1),
            2,
            PayoutAction::Poll {
                next: (t.poll_after * 2).min(t.poll_max),
            },
        ),
        (
            vec![
                PayoutCommand::StartSubmission,
                submitted(),
                report("PAYING", ReportedOutcome::InFlight),
            ],
            Duration::from_secs(1),
            3,
            PayoutAction::Poll { next: t.poll_max },
        ),
    ];
    for (commands, after, deliveries, expected) in cases {
        let p = payout(commands);
        let action = payout::plan(&p, &t, &clock(after, deliveries));
        assert_eq!(action, expected, "{}", p.status);
    }
    for (raw, outcome, status) in [
        (
            "SUCCESS",
            ReportedOutcome::Succeeded,
            PayoutStatus::Succeeded,
        ),
        ("FAIL", ReportedOutcome::Failed, PayoutStatus::Failed),
        (
            "REFUNDED",
            ReportedOutcome::Refunded,
            PayoutStatus::Refunded,
        ),
    ] {
        let p = payout(vec![
            PayoutCommand::StartSubmission,
            submitted(),
            report(raw, outcome),
        ]);
        assert_eq!(p.status, status);
        assert_eq!(
            payout::plan(&p, &t, &clock(Duration::ZERO, 1)),
            PayoutAction::Done
        );
    }
    let cancelled = payout(vec![PayoutCommand::Cancel { reason: None }]);
    assert_eq!(
        payout::plan(&cancelled, &t, &clock(Duration::ZERO, 1)),
        PayoutAction::Done
    );
    let held_too_long = payout::plan(
        &payout(vec![PayoutCommand::Hold {
            reason: "funds".into(),
        }]),
        &t,
        &clock(t.hold_timeout + Duration::from_secs(1), 9),
    );
    assert!(
        matches!(&held_too_long, PayoutAction::Fail { code, .. } if code == "insufficient_funds"),
        "{held_too_long:?}"
    );
}

#[test]
fn attempts_are_counted_from_the_events_and_given_up_with_the_providers_reason() {
    let mut t = fast_timings();
    t.max_attempts = 2;
    let failed = |attempt| PayoutCommand::RecordSubmissionFailure {
        attempt,
        code: "http_502".into(),
        message: "bad gateway".into(),
        retryable: true,
    };
    let p = payout(vec![
        PayoutCommand::StartSubmission,
        failed(1),
        PayoutCommand::StartSubmission,
        failed(2),
    ]);
    assert_eq!(
        payout::plan(&p, &t, &clock(Duration::from_secs(10), 2)),
        PayoutAction::Fail {
            code: "http_502".into(),
            message: "gave up after 2 attempts: bad gateway".into()
        }
    );
    // Deferrals spend no attempt: five maintenance answers, still one more attempt to make.
    let wait = |attempt| {
        payout::refusal_command(
            attempt,
            Refusal::new(
                RefusalKind::ComeBackAfter(Some(Duration::from_secs(60))),
                "System_Maintenance",
                "maintenance",
            ),
        )
    };
    let mut commands = Vec::new();
    for attempt in 1..=5 {
        commands.push(PayoutCommand::StartSubmission);
        commands.push(wait(attempt));
    }
    let p = payout(commands.clone());
    assert_eq!(p.attempts.deferred_run, 5);
    assert_eq!(
        payout::plan(&p, &t, &clock(Duration::from_secs(1), 2)),
        PayoutAction::Wait(Duration::from_secs(59))
    );
    // Turned away for longer than hold_timeout: fails with the provider's reason.
    let late = payout::plan(&p, &t, &clock(t.hold_timeout + Duration::from_secs(1), 9));
    assert!(
        matches!(&late, PayoutAction::Fail { code, message }
            if code == "System_Maintenance" && message.ends_with(": maintenance")),
        "{late:?}"
    );
}

#[test]
fn an_unknown_outcome_is_resolved_resent_then_given_up_when_no_send_can_be_in_flight() {
    let mut t = fast_timings();
    t.max_attempts = 2;
    let unknown = PayoutCommand::RecordOutcomeUnknown {
        attempt: 1,
        reason: "time-out".into(),
    };
    let resent = PayoutCommand::RecordResent { attempt: 1 };
    let in_flight = payout(vec![
        PayoutCommand::StartSubmission,
        unknown.clone(),
        resent.clone(),
    ]);
    assert_eq!(
        payout::plan(&in_flight, &t, &clock(Duration::from_millis(200), 2)),
        PayoutAction::Wait(t.claim_timeout - Duration::from_millis(200)),
        "a resend in flight is waited for like a claim"
    );
    let unknown_again = PayoutCommand::RecordOutcomeUnknown {
        attempt: 1,
        reason: "time-out again".into(),
    };
    let p = payout(vec![
        PayoutCommand::StartSubmission,
        unknown,
        resent,
        unknown_again,
    ]);
    assert_eq!(p.attempts.spent(p.attempt), 2);
    assert_eq!(
        payout::plan(&p, &t, &clock(Duration::from_millis(200), 2)),
        PayoutAction::Resolve {
            if_not_found: NotFound::AskAgainAfter(t.claim_timeout - Duration::from_millis(200))
        }
    );
    assert_eq!(
        payout::plan(&p, &t, &clock(t.claim_timeout, 3)),
        PayoutAction::Resolve {
            if_not_found: NotFound::GiveUp {
                message: "gave up after 2 attempts: time-out again".into()
            }
        }
    );
}

#[test]
fn backoff_doubles_with_at_most_a_quarter_of_jitter_and_is_capped() {
    let base = Duration::from_millis(100);
    let max = Duration::from_secs(10);
    for jitter in [0.0, 0.1, 0.249] {
        let c = Clock {
            jitter,
            ..clock(Duration::ZERO, 1)
        };
        for n in 0..7u32 {
            let exp = base * 2u32.pow(n);
            assert_eq!(c.backoff(base, max, n), exp.mul_f64(1.0 + jitter), "n={n}");
        }
        for n in [7, 8, 20, 64, u32::MAX] {
            assert_eq!(c.backoff(base, max, n), max, "n={n}");
        }
        assert!(c.backoff(base, Duration::from_millis(7000), 6) <= Duration::from_millis(7000));
    }
}

fn charge(commands: Vec<ChargeCommand>) -> Charge {
    let body = json!({
        "idempotency_key": "plan-c", "provider": "a55", "amount": "50.00", "currency": "BRL",
        "installment_count": 1, "method": "pix", "due_date": "2026-12-31", "description": "plan",
        "payer": {"name": "Ana Souza", "email": "ana@example.com", "tax_id": "12345678909",
                  "phone": "+5511999999999",
                  "address": {"street": "Rua A", "address_number": "1", "complement": "Casa",
                              "neighborhood": "Centro", "city": "Sao Paulo", "state": "SP",
                              "postal_code": "01000-000", "country": "BR"}}
    });
    let create =
        giro_domain::charge::parse_create(body.to_string().as_bytes(), &Catalog::default())
            .unwrap();
    fold::<ChargeDecider>(
        ChargeCommand::Create(Box::new(create)),
        commands,
        Duration::ZERO,
    )
    .expect("a charge")
}

fn charge_report(raw: &str, outcome: ChargeOutcome) -> ChargeCommand {
    ChargeCommand::RecordReport(ChargeReport {
        source: ReportSource::Webhook,
        raw_status: raw.into(),
        outcome,
        report_id: format!("C1:{raw}"),
        charge_uuid: Some("C1".into()),
        reason: None,
        amount: None,
        attempt: None,
        reported_at: None,
        currency: None,
    })
}

fn paid_with_refund() -> Vec<ChargeCommand> {
    vec![
        ChargeCommand::StartSubmission,
        charge_report("pending", ChargeOutcome::Pending),
        charge_report("paid", ChargeOutcome::Paid),
        ChargeCommand::Refund {
            amount: None,
            reason: None,
        },
    ]
}

#[test]
fn every_refusal_kind_of_a_charge_and_every_charge_status_has_its_step() {
    let t: Timings = fast_timings();
    for kind in KINDS {
        let c = charge(vec![
            ChargeCommand::StartSubmission,
            charge::refusal_command(1, refusal(kind)),
        ]);
        let soon = charge::plan(&c, &t, &clock(Duration::from_secs(1), 2));
        let later = charge::plan(&c, &t, &clock(Duration::from_secs(60), 3));
        match kind {
            RefusalKind::Final => assert_eq!(later, ChargeAction::Done),
            // No id: only the provider's webhook can name a charge whose answer was lost; it is
            // waited for, and the attempt abandoned (never resent) once A55 would have given up.
            RefusalKind::OutcomeUnknown => {
                assert_eq!(soon, ChargeAction::Wait(t.poll_after * 2));
                assert!(
                    matches!(later, ChargeAction::AbandonUnknown { .. }),
                    "{later:?}"
                );
            }
            _ => assert_eq!(later, ChargeAction::Submit, "{kind:?}"),
        }
    }
    let unknown = charge(vec![
        ChargeCommand::StartSubmission,
        ChargeCommand::RecordOutcomeUnknown {
            attempt: 1,
            reason: "lost".into(),
        },
    ]);
    assert!(matches!(
        charge::plan(&unknown, &t, &clock(t.unknown_timeout, 9)),
        ChargeAction::AbandonUnknown { .. }
    ));
    let pending = charge(vec![
        ChargeCommand::StartSubmission,
        charge_report("pending", ChargeOutcome::Pending),
    ]);
    assert_eq!(
        charge::plan(&pending, &t, &clock(Duration::ZERO, 1)),
        ChargeAction::ReadSubmitted,
        "a charge known only from a webhook is read for how the payer pays"
    );
    let paid = charge(paid_with_refund()[..3].to_vec());
    assert_eq!(
        charge::plan(&paid, &t, &clock(Duration::ZERO, 1)),
        ChargeAction::Done
    );
}

#[test]
fn a_refund_is_claimed_resolved_and_never_sent_twice() {
    let mut t: Timings = fast_timings();
    t.max_attempts = 2;
    let mut commands = paid_with_refund();
    let c = charge(commands.clone());
    assert_eq!(
        charge::plan(&c, &t, &clock(Duration::ZERO, 1)),
        ChargeAction::SendRefund { attempt: 1 }
    );
    commands.push(ChargeCommand::StartRefundAttempt { attempt: 1 });
    let c = charge(commands.clone());
    assert_eq!(
        charge::plan(&c, &t, &clock(Duration::ZERO, 1)),
        ChargeAction::Wait(t.claim_timeout),
        "claimed and perhaps being sent"
    );
    assert!(matches!(
        charge::plan(&c, &t, &clock(t.claim_timeout, 2)),
        ChargeAction::ResolveRefund { attempt: 1, .. }
    ));
    commands.push(ChargeCommand::RecordRefundNotSent {
        attempt: 1,
        reason: "busy".into(),
        wait_ms: Some(3000),
    });
    let c = charge(commands.clone());
    assert_eq!(
        charge::plan(&c, &t, &clock(Duration::ZERO, 1)),
        ChargeAction::Wait(Duration::from_secs(3))
    );
    assert_eq!(
        charge::plan(&c, &t, &clock(Duration::from_secs(3), 2)),
        ChargeAction::SendRefund { attempt: 2 }
    );
    commands.push(ChargeCommand::StartRefundAttempt { attempt: 2 });
    commands.push(ChargeCommand::RecordRefundNotSent {
        attempt: 2,
        reason: "busy".into(),
        wait_ms: None,
    });
    let c = charge(commands);
    assert!(matches!(
        charge::plan(&c, &t, &clock(Duration::from_secs(60), 3)),
        ChargeAction::AbandonRefund { ref code, .. } if code == "attempts_exhausted"
    ));
}

fn authorized_with_capture() -> Vec<ChargeCommand> {
    vec![
        ChargeCommand::StartSubmission,
        ChargeCommand::RecordSubmitted(giro_domain::charge::ChargeSubmitted {
            attempt: 1,
            charge_uuid: "C1".into(),
            raw_status: "issued".into(),
            payment: Default::default(),
        }),
        charge_report("pre_captured", ChargeOutcome::Authorized),
        ChargeCommand::Capture {
            amount: None,
            reason: None,
        },
    ]
}

#[test]
fn a_capture_is_claimed_once_and_an_unanswered_claim_is_resolved_by_reading() {
    let t = Timings::default();
    let c = charge(authorized_with_capture());
    assert_eq!(c.status, ChargeStatus::Authorized);
    assert_eq!(
        charge::plan(&c, &t, &clock(Duration::ZERO, 1)),
        ChargeAction::SendCapture { attempt: 1 }
    );
    let mut claimed = authorized_with_capture();
    claimed.push(ChargeCommand::StartCaptureAttempt { attempt: 1 });
    let c = charge(claimed);
    // Its sender may still be at it: wait for the claim to lapse, then read, never send again.
    assert_eq!(
        charge::plan(&c, &t, &clock(Duration::from_secs(1), 2)),
        ChargeAction::Wait(t.claim_timeout - Duration::from_secs(1))
    );
    assert_eq!(
        charge::plan(&c, &t, &clock(t.claim_timeout, 3)),
        ChargeAction::ResolveCapture { attempt: 1 }
    );
    // Without a capture asked, an authorised charge is only polled (its authorisation's fate is
    // the provider's to report).
    let mut asked_none = authorized_with_capture();
    asked_none.pop();
    let c = charge(asked_none);
    assert!(matches!(
        charge::plan(&c, &t, &clock(t.poll_after * 4, 3)),
        ChargeAction::Poll { .. }
    ));
}

#[test]
fn a_routed_payout_turned_away_past_the_failover_wait_is_rerouted_an_unrouted_one_waits() {
    let t = fast_timings();
    let maintenance = |attempt| {
        payout::refusal_command(
            attempt,
            Refusal::new(
                RefusalKind::ComeBackAfter(None),
                "System_Maintenance",
                "maintenance",
            ),
        )
    };
    let commands = vec![PayoutCommand::StartSubmission, maintenance(1)];
    let mut routed = payout(commands.clone());
    let candidates = ["cashy-co", "killb"].map(|p| p.to_string().try_into().unwrap());
    std::sync::Arc::make_mut(&mut routed.request).route =
        Some(giro_domain::routing::RouteDecision {
            rule: "cop-bank-split".into(),
            candidates: candidates.to_vec(),
        });
    let past = t.failover_after + Duration::from_secs(1);
    // A long announced wait is cut short: the payout is looked at again when failover is due.
    let announced = vec![
        PayoutCommand::StartSubmission,
        payout::refusal_command(
            1,
            Refusal::new(
                RefusalKind::ComeBackAfter(Some(t.failover_after * 10)),
                "System_Maintenance",
                "maintenance",
            ),
        ),
    ];
    let mut long = payout(announced);
    long.request = routed.request.clone();
    assert_eq!(
        payout::plan(&long, &t, &clock(Duration::from_secs(1), 2)),
        PayoutAction::Wait(t.failover_after - Duration::from_secs(1))
    );
    assert_eq!(
        payout::plan(&routed, &t, &clock(past, 9)),
        PayoutAction::Reroute(giro_domain::payout::RerouteReason::Maintenance)
    );
    // A payout whose caller named its provider has nowhere else to go.
    let named = payout(commands);
    assert!(!matches!(
        payout::plan(&named, &t, &clock(past, 9)),
        PayoutAction::Reroute(_)
    ));
}
