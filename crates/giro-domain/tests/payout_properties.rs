//! Properties of the payout decider over random command and report sequences.

mod common;

use common::*;
use giro_domain::payout::{
    PayoutCommand as C, PayoutDecider, PayoutEvent, PayoutStatus, ReportedOutcome as O,
};
use giro_domain::{Decider, Envelope};
use proptest::prelude::*;

fn outcome() -> impl Strategy<Value = O> {
    prop_oneof![
        Just(O::InFlight),
        Just(O::Succeeded),
        Just(O::Failed),
        Just(O::Refunded),
        Just(O::Unknown)
    ]
}

fn command() -> impl Strategy<Value = C> {
    prop_oneof![
        Just(C::StartSubmission),
        (1u32..4).prop_map(|attempt| C::RecordSubmitted {
            attempt,
            provider_ref: Some("P".into()),
            raw_status: None
        }),
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
        (0u8..6, outcome()).prop_map(|(id, o)| C::RecordReport(report(
            &format!("r{id}"),
            "RAW",
            o
        ))),
        Just(C::Cancel { reason: None }),
        Just(C::Hold {
            reason: "funds".into()
        }),
        Just(C::Fail {
            code: "timeout".into(),
            message: "held too long".into()
        }),
        Just(C::Create(Box::new(create("prop")))),
    ]
}

fn documented_exit(from: PayoutStatus, to: PayoutStatus) -> bool {
    matches!(
        (from, to),
        (PayoutStatus::Succeeded, PayoutStatus::Reversed)
            | (PayoutStatus::Succeeded, PayoutStatus::Refunded)
            | (PayoutStatus::Failed, PayoutStatus::Succeeded)
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
            let before = g.state.as_ref().map(|p| p.status);
            let _ = g.when(cmd);
            let after = g.state.as_ref().map(|p| p.status);
            if let (Some(from), Some(to)) = (before, after)
                && from.is_terminal() && from != to
            {
                prop_assert!(documented_exit(from, to), "{from} -> {to} by {cmd:?}");
            }
        }
        // Rebuilding from the stored (JSON) form gives the same state.
        let stored: Vec<Envelope<PayoutEvent>> = g.events.iter()
            .map(|e| serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap())
            .collect();
        let rebuilt = PayoutDecider::fold(&stored);
        prop_assert_eq!(rebuilt, g.state.clone());
        let versions: Vec<u64> = stored.iter().map(|e| e.version).collect();
        prop_assert_eq!(versions, (1..=stored.len() as u64).collect::<Vec<_>>());
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
        let state = PayoutDecider::fold(&events);
        if let Some(p) = state {
            prop_assert!(PayoutStatus::ALL.contains(&p.status));
        }
    }
}
