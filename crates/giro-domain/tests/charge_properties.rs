//! Properties of the charge decider over random command and report sequences.

mod charge_common;

use charge_common::*;
use giro_domain::charge::{
    ChargeCommand as C, ChargeDecider, ChargeEvent, ChargeOutcome as O, ChargeStatus,
};
use giro_domain::{Decider, Envelope};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn outcome() -> impl Strategy<Value = O> {
    prop_oneof![
        Just(O::Pending),
        Just(O::Authorized),
        Just(O::Confirmed),
        Just(O::Paid),
        Just(O::Failed),
        Just(O::Cancelled),
        Just(O::Refunded),
        Just(O::RefundFailed),
        Just(O::ChargebackOpened),
        Just(O::ChargebackLost),
        Just(O::ChargebackWon),
        Just(O::Unknown),
    ]
}

fn amount() -> impl Strategy<Value = Option<Decimal>> {
    prop_oneof![
        Just(None),
        Just(Some(dec("0.01"))),
        Just(Some(dec("100.00"))),
        Just(Some(dec("449.99"))),
        Just(Some(dec("450.00"))),
        Just(Some(dec("9999")))
    ]
}

fn command() -> impl Strategy<Value = C> {
    prop_oneof![
        Just(C::StartSubmission),
        (1u32..4).prop_map(|attempt| C::RecordSubmitted(submitted(attempt))),
        (1u32..4, any::<bool>()).prop_map(|(attempt, retryable)| C::RecordSubmissionFailure {
            attempt,
            code: "E".into(),
            message: "m".into(),
            retryable
        }),
        (1u32..4).prop_map(|attempt| C::RecordOutcomeUnknown {
            attempt,
            reason: "t".into()
        }),
        (0u8..8, outcome(), amount()).prop_map(|(id, o, amount)| {
            let mut r = report("RAW", o);
            r.report_id = format!("r{id}");
            r.amount = amount;
            C::RecordReport(r)
        }),
        Just(C::Cancel { reason: None }),
        amount().prop_map(|amount| C::Refund {
            amount,
            reason: None
        }),
        Just(C::Fail {
            code: "attempts_exhausted".into(),
            message: "gave up".into()
        }),
        Just(C::Create(Box::new(create("prop")))),
    ]
}

/// The only ways out of a terminal status (status.rs).
fn documented_exit(from: ChargeStatus, to: ChargeStatus) -> bool {
    use ChargeStatus as S;
    matches!(
        (from, to),
        (S::Paid, S::Refunded)
            | (S::Paid, S::Chargeback)
            | (S::Chargeback, S::Paid)
            | (S::Failed, S::Paid)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decided_events_fold_back_and_terminals_leave_only_by_documented_paths(
        commands in proptest::collection::vec(command(), 0..40)
    ) {
        let mut g = Given::new("prop");
        for cmd in &commands {
            let before = g.state.as_ref().map(|c| c.status);
            let _ = g.when(cmd);
            let after = g.state.as_ref().map(|c| c.status);
            if let (Some(from), Some(to)) = (before, after)
                && from.is_terminal() && from != to
            {
                prop_assert!(documented_exit(from, to), "{from} -> {to} by {cmd:?}");
            }
            let c = g.charge();
            // Never more refunded than charged; what is refunded is what the events say.
            prop_assert!(c.refunded <= c.request.total());
            let reported: Decimal = g.events.iter().filter_map(|e| match &e.event {
                ChargeEvent::Refunded(r) => Some(r.amount),
                _ => None,
            }).sum();
            prop_assert_eq!(reported, c.refunded);
            prop_assert!(!(c.outcome_unknown && c.status != ChargeStatus::Submitting));
        }
        // Every decided event was accepted by evolve (the version moves with each one).
        prop_assert_eq!(g.charge().version, g.events.len() as u64);
        // Rebuilding from the stored (JSON) form gives the same state.
        let stored: Vec<Envelope<ChargeEvent>> = g.events.iter()
            .map(|e| serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap())
            .collect();
        let rebuilt = ChargeDecider::fold(&stored);
        prop_assert_eq!(rebuilt, g.state.clone());
        let versions: Vec<u64> = stored.iter().map(|e| e.version).collect();
        prop_assert_eq!(versions, (1..=stored.len() as u64).collect::<Vec<_>>());
    }

    #[test]
    fn every_decided_status_change_follows_the_table(
        commands in proptest::collection::vec(command(), 0..40)
    ) {
        let mut g = Given::new("prop");
        for cmd in &commands {
            let before = g.charge().status;
            if g.when(cmd).is_ok() {
                let after = g.charge().status;
                prop_assert!(before == after || before.can_become(after) ||
                    // two events in one decision (report then consequence) may pass a status
                    ChargeStatus::ALL.iter().any(|mid| before.can_become(*mid) && mid.can_become(after)),
                    "{before} -> {after} by {cmd:?}");
            }
        }
    }

    #[test]
    fn evolve_never_panics_on_arbitrary_event_orders(
        commands in proptest::collection::vec(command(), 0..30),
        shuffle in any::<u64>()
    ) {
        // Collect events from a valid run, then fold them in a scrambled order (a corrupt log).
        let mut g = Given::new("prop");
        for cmd in &commands { let _ = g.when(cmd); }
        let mut events = g.events.clone();
        let n = events.len();
        if n > 1 {
            for i in 0..n {
                let j = ((shuffle.rotate_left(i as u32) as usize) ^ i) % n;
                events.swap(i, j);
            }
        }
        let state = ChargeDecider::fold(&events);
        if let Some(c) = state {
            prop_assert!(ChargeStatus::ALL.contains(&c.status));
            prop_assert!(c.refunded >= Decimal::ZERO);
        }
    }
}
