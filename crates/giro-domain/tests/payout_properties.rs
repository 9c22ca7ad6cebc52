//! Properties of the payout decider over random command and report sequences, and of `evolve` over
//! arbitrary (corrupt) logs.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{create, now};
use giro_domain::payout::{
    Cancelled, Evidence, Failure, Held, OperatorAction, OperatorCommand, OutcomeUnknown, Payout,
    PayoutCommand as C, PayoutDecider, PayoutEvent as E, PayoutStatus as S, ProviderReport,
    Refunded, ReportSource, ReportedAmount, ReportedOutcome as O, ResolvedOutcome,
    SubmissionFailed, SubmissionStarted, Submitted, Succeeded, Unmatched, next_status,
};
use giro_domain::{Decider, Envelope, ErrorCode, EventId, EventMeta, EventType, OrderId};
use proptest::prelude::*;
use proptest::sample::Index;
use rust_decimal::Decimal;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Commands and reports as the executors and the ingress produce them.

/// Raw provider statuses and what they mean. A report's id is `<provider ref>:<raw status>` (as
/// the executors build it), so one id always carries one outcome.
const RAW: [(&str, O); 8] = [
    ("PENDING", O::InFlight),
    ("PROCESSING", O::InFlight),
    ("COMPLETED", O::Succeeded),
    ("ERROR", O::Failed),
    ("FAILED", O::Failed),
    ("REFUNDED", O::Refunded),
    ("CASH_OUT_STALLED", O::Unknown),
    ("SOMETHING_NEW", O::Unknown),
];

fn source() -> impl Strategy<Value = ReportSource> {
    prop_oneof![
        Just(ReportSource::Webhook),
        Just(ReportSource::Poll),
        Just(ReportSource::SubmitResponse),
    ]
}

fn fee() -> impl Strategy<Value = Option<Decimal>> {
    prop::option::of((0i64..10_000_000, 0u32..3).prop_map(|(m, s)| Decimal::new(m, s)))
}

fn provider_report() -> impl Strategy<Value = ProviderReport> {
    (
        0..RAW.len(),
        0u8..2,
        source(),
        fee(),
        prop::option::of(Just("beneficiary account closed".to_string())),
        prop::option::of(0u32..4),
        prop::option::of((
            prop_oneof![
                Just(Decimal::new(500_000, 0)),
                Just(Decimal::new(499_000, 0))
            ],
            prop::option::of(prop_oneof![
                Just("COP".to_string()),
                Just("USD".to_string())
            ]),
        )),
    )
        .prop_map(|(i, r, source, fee, reason, attempt, amount)| {
            let (raw, outcome) = RAW[i];
            let provider_ref = format!("P{r}");
            ProviderReport {
                source,
                raw_status: raw.into(),
                outcome,
                report_id: format!("{provider_ref}:{raw}"),
                provider_ref: Some(provider_ref),
                reason,
                fee,
                attempt,
                amount: amount.map(|(amount, currency)| ReportedAmount { amount, currency }),
                completed_at: None,
                channel_ref: None,
                reported_at: None,
            }
        })
}

fn command() -> impl Strategy<Value = C> {
    prop_oneof![
        3 => Just(C::StartSubmission),
        2 => (0u32..4, prop::option::of(Just("P0".to_string()))).prop_map(|(attempt, provider_ref)| {
            C::RecordSubmitted { attempt, provider_ref, raw_status: Some("PENDING".into()) }
        }),
        2 => (0u32..4, any::<bool>()).prop_map(|(attempt, retryable)| C::RecordSubmissionFailure {
            attempt,
            code: "E".into(),
            message: "m".into(),
            retryable,
        }),
        1 => (0u32..4).prop_map(|attempt| C::RecordOutcomeUnknown { attempt, reason: "t".into() }),
        1 => (0u32..4, prop::option::of(0u64..5000)).prop_map(|(attempt, wait_ms)| {
            C::RecordProviderWait(giro_domain::payout::ProviderWaitAnnounced {
                attempt,
                code: "System_busy".into(),
                message: "busy".into(),
                wait_ms,
            })
        }),
        1 => (0u32..4).prop_map(|attempt| C::RecordResent { attempt }),
        6 => provider_report().prop_map(C::RecordReport),
        1 => prop::option::of(Just("caller withdrew".to_string()))
            .prop_map(|reason| C::Cancel { reason }),
        1 => Just(C::Hold { reason: "funds".into() }),
        1 => Just(C::Wake),
        1 => Just(C::Fail { code: "timeout".into(), message: "held too long".into() }),
        1 => Just(C::ErasePersonalData { reason: "data subject request".into() }),
        1 => Just(C::Reroute { reason: giro_domain::payout::RerouteReason::CircuitOpen }),
        1 => prop::sample::select(vec!["prop", "prop-other-body"])
            .prop_map(|key| C::Create(Box::new(create(key)))),
        2 => operator_action().prop_map(|action| C::Operator(OperatorCommand {
            by: "alice".into(),
            action,
        })),
    ]
}

/// A person's actions (`giro.cmd.ops.*`).
fn operator_action() -> impl Strategy<Value = OperatorAction> {
    let reason = || "checked at the provider".to_string();
    prop_oneof![
        any::<bool>().prop_map(move |paid| OperatorAction::Resolve {
            reason: reason(),
            evidence: Evidence {
                provider_ref: "P9".into(),
                provider_status: if paid { "COMPLETED" } else { "FAIL" }.into(),
            },
            outcome: if paid {
                ResolvedOutcome::Succeeded
            } else {
                ResolvedOutcome::Failed
            },
        }),
        Just(OperatorAction::Retry { reason: reason() }),
        Just(OperatorAction::Release { reason: reason() }),
        Just(OperatorAction::Cancel { reason: reason() }),
        Just(OperatorAction::Note { text: reason() }),
    ]
}

// ---------------------------------------------------------------------------------------------
// The rules the properties check, stated independently of the decider where they can be.

fn documented_exit(from: S, to: S) -> bool {
    matches!(
        (from, to),
        (S::Succeeded, S::Reversed)
            | (S::Succeeded, S::Refunded)
            | (S::Failed, S::Succeeded)
            // an operator's retry of a payout no provider can pay
            | (S::Failed, S::Requested)
    )
}

/// The transition table's promise for one status change, whoever caused it.
fn check_transition(from: S, to: S, event: &E) -> Result<(), TestCaseError> {
    if from != to {
        prop_assert!(from.can_become(to), "{from} -> {to} by {event:?}");
        prop_assert!(
            !from.is_terminal() || documented_exit(from, to),
            "terminal {from} left for {to} by {event:?}"
        );
    }
    Ok(())
}

/// The status a command accepted in `p` leads to, by the contract (CONTRACT.md §1–2 and the
/// reversal paths of issue 2); `None` where the contract says nothing (a repeated report).
fn contract_status(p: &Payout, cmd: &C) -> Option<S> {
    let at_provider = matches!(p.status, S::Submitting | S::Submitted | S::Processing);
    Some(match cmd {
        C::Create(_) | C::RecordOutcomeUnknown { .. } => p.status,
        C::Cancel { .. } => S::Cancelled,
        C::Wake if p.status == S::Scheduled => S::Requested,
        C::Wake => p.status,
        C::Hold { .. } => S::Held,
        C::StartSubmission => S::Submitting,
        C::RecordSubmitted { .. } if p.status == S::Submitting => S::Submitted,
        C::RecordSubmitted { .. } => p.status,
        C::RecordSubmissionFailure { retryable, .. } => {
            if *retryable {
                S::Requested
            } else {
                S::Failed
            }
        }
        C::Fail { .. } => S::Failed,
        // Runs create no payout that waits for an approver: these are refused.
        C::RecordProviderWait(_) => S::Requested,
        C::RecordResent { .. } => p.status,
        C::RecordReport(r) if p.report_ids.contains(&r.report_id) => return None,
        C::RecordReport(r) if about_another_attempt(p, r) => p.status,
        C::RecordDiscrepancy(_) | C::ErasePersonalData { .. } => p.status,
        C::Reroute { .. } => S::Requested,
        C::Operator(c) => match &c.action {
            OperatorAction::Resolve { outcome, .. } => match outcome {
                ResolvedOutcome::Succeeded => S::Succeeded,
                ResolvedOutcome::Failed => S::Failed,
            },
            OperatorAction::Retry { .. } | OperatorAction::Release { .. } => S::Requested,
            OperatorAction::Cancel { .. } => S::Cancelled,
            OperatorAction::Note { .. } | OperatorAction::ReplayDeadLetter { .. } => p.status,
            // Runs create no payout that waits for an approver: these are refused.
            OperatorAction::Approve { .. } | OperatorAction::Reject { .. } => p.status,
        },
        C::RecordReport(r) => match r.outcome {
            O::InFlight if matches!(p.status, S::Submitting | S::Submitted) => S::Processing,
            O::Succeeded if at_provider || p.status == S::Failed => S::Succeeded,
            O::Failed if at_provider => S::Failed,
            O::Failed if p.status == S::Succeeded => S::Reversed,
            O::Refunded if at_provider || p.status == S::Succeeded => S::Refunded,
            _ => p.status,
        },
    })
}

/// Whether a report belongs elsewhere than the payout's current attempt (issue #17: it names another
/// attempt, or the current one under another provider reference): it moves nothing.
fn about_another_attempt(p: &Payout, r: &ProviderReport) -> bool {
    if r.attempt
        .is_some_and(|named| named != p.attempt || named == 0)
    {
        return true;
    }
    let accepted = p
        .provider_ref
        .as_deref()
        .filter(|_| p.submitted_attempt == Some(p.attempt));
    matches!((accepted, r.provider_ref.as_deref()), (Some(a), Some(b)) if a != b)
}

/// Whether the contract lets `cmd` through in `p`'s status (`None`: it depends on more than that).
fn contract_accepts(p: &Payout, cmd: &C) -> Option<bool> {
    let before_provider = matches!(p.status, S::Requested | S::Held);
    match cmd {
        C::Cancel { .. } => {
            Some(before_provider || matches!(p.status, S::Scheduled | S::Cancelled))
        }
        // A scheduled run's time has come by the time commands are decided (see `Run::new`).
        C::Wake => Some(true),
        C::Hold { .. } => Some(before_provider),
        C::Fail { .. } => Some(before_provider || p.status == S::Failed),
        C::StartSubmission => Some(before_provider),
        C::RecordReport(_) => Some(true),
        C::Create(c) => Some(c.requested.fingerprint == p.request.fingerprint),
        // Never while a provider may still need the beneficiary's details.
        C::ErasePersonalData { .. } => Some(p.status.is_terminal() || p.personal_data_erased),
        C::Operator(c) => Some(match &c.action {
            OperatorAction::Resolve { .. } => p.status == S::Submitting && p.outcome_unknown,
            OperatorAction::Retry { .. } => p.status == S::Failed && p.no_attempt_can_be_paid(),
            OperatorAction::Release { .. } => p.status == S::Held,
            OperatorAction::Cancel { .. } => before_provider || p.status == S::Scheduled,
            OperatorAction::Note { .. } | OperatorAction::ReplayDeadLetter { .. } => true,
            OperatorAction::Approve { .. } | OperatorAction::Reject { .. } => false,
        }),
        _ => None,
    }
}

/// Commands whose repeat, right after they were accepted, is "already done".
fn idempotent(cmd: &C) -> bool {
    !matches!(
        cmd,
        C::StartSubmission
            | C::RecordSubmissionFailure { .. }
            | C::RecordProviderWait(_)
            | C::RecordResent { .. }
            | C::Operator(_)
    )
}

/// What an event decided by the decider must have done to the state, besides its version: its
/// payload is visible, so evolve did not silently drop it.
fn check_effect(before: &Option<Payout>, after: &Payout, event: &E) -> Result<(), TestCaseError> {
    let status = |s: S| -> Result<(), TestCaseError> {
        prop_assert_eq!(after.status, s, "after {:?}", event);
        Ok(())
    };
    let Some(b) = before else {
        prop_assert!(
            matches!(event, E::Requested(_)),
            "{event:?} created a payout"
        );
        return Ok(());
    };
    match event {
        E::Requested(_) => prop_assert!(false, "decided a second payout.requested"),
        // Runs create no payout that waits for an approver (see `contract_status`).
        E::Approved(_) | E::ApprovalRejected(_) | E::ApprovalExpired(_) => {
            prop_assert!(
                false,
                "decided an approval of a payout that needs none: {event:?}"
            )
        }
        E::Rerouted(r) => {
            // Never while any attempt may still be paid (issue #21: failover without paying twice).
            prop_assert!(
                b.submitted_attempt.is_none()
                    && b.report_ids.is_empty()
                    && !b.outcome_unknown
                    && !b.failover.ever_unknown,
                "rerouted a payout a provider may have: {:?}",
                b
            );
            prop_assert_eq!(&r.from, b.provider());
            prop_assert_eq!(after.provider(), &r.to);
            status(S::Requested)?;
        }
        E::BecameDue(d) => {
            prop_assert_eq!(
                b.status,
                S::Scheduled,
                "only a scheduled payout becomes due"
            );
            prop_assert_eq!(Some(d.execute_at), b.request.execute_at);
            status(S::Requested)?;
        }
        E::Held(h) => {
            status(S::Held)?;
            prop_assert_eq!(after.hold_reason.as_deref(), Some(h.reason.as_str()));
        }
        E::SubmissionStarted(s) => {
            status(S::Submitting)?;
            prop_assert_eq!(s.attempt, b.attempt + 1, "attempts are numbered from 1");
            prop_assert_eq!(after.attempt, s.attempt);
            prop_assert_eq!(after.handle.as_deref(), Some(s.handle.as_str()));
            prop_assert!(
                b.handle.as_deref() != Some(s.handle.as_str()),
                "a new attempt gets a new handle"
            );
            prop_assert!(!after.outcome_unknown);
        }
        E::Submitted(s) => {
            prop_assert_eq!(after.submitted_attempt, Some(s.attempt));
            prop_assert!(b.submitted_attempt != Some(s.attempt), "recorded twice");
        }
        E::SubmissionFailed(f) => {
            let failure = Failure {
                code: f.code.clone(),
                message: f.message.clone(),
            };
            prop_assert_eq!(after.failure.as_ref(), Some(&failure));
            prop_assert!(!after.outcome_unknown);
        }
        E::OutcomeUnknown(_) => {
            prop_assert!(after.outcome_unknown && !b.outcome_unknown);
        }
        E::ProviderWaitAnnounced(w) => {
            status(S::Requested)?;
            prop_assert_eq!(after.attempts.deferred, b.attempts.deferred + 1);
            prop_assert_eq!(after.attempts.announced_wait, Some(w.wait()));
            prop_assert!(!after.outcome_unknown);
        }
        E::Resent(r) => {
            prop_assert!(
                b.outcome_unknown,
                "only an attempt whose outcome is unknown is resent"
            );
            prop_assert_eq!(after.attempts.resends, b.attempts.resends + 1);
            prop_assert_eq!(after.attempts.current_resends, r.resend);
            prop_assert!(!after.outcome_unknown, "a resend is in flight");
        }
        E::ProviderStatus(r) => {
            prop_assert_eq!(after.report_ids.len(), b.report_ids.len() + 1);
            prop_assert_eq!(after.report_ids.last(), Some(&r.report_id));
            prop_assert!(
                !b.report_ids.contains(&r.report_id),
                "report recorded twice"
            );
        }
        E::PersonalDataErased(_) => {
            status(b.status)?;
            prop_assert!(b.status.is_terminal(), "erased a {} payout", b.status);
            prop_assert!(after.personal_data_erased && !b.personal_data_erased);
        }
        E::Succeeded(s) => {
            status(S::Succeeded)?;
            if s.provider_ref.is_some() {
                prop_assert_eq!(&after.provider_ref, &s.provider_ref);
            }
            if s.fee.is_some() {
                prop_assert_eq!(after.fee, s.fee);
            }
        }
        E::Failed(f) => {
            status(S::Failed)?;
            prop_assert_eq!(after.failure.as_ref(), Some(f));
        }
        E::Reversed(f) => {
            status(S::Reversed)?;
            prop_assert_eq!(after.failure.as_ref(), Some(f));
        }
        E::Refunded(_) => status(S::Refunded)?,
        E::Cancelled(_) => status(S::Cancelled)?,
        E::OutcomeResolved(r) => {
            prop_assert!(
                b.outcome_unknown && b.status == S::Submitting,
                "resolved {}",
                b.status
            );
            prop_assert!(!after.outcome_unknown);
            prop_assert_eq!(
                after.provider_ref.as_deref(),
                Some(r.evidence.provider_ref.as_str())
            );
        }
        E::Retried(r) => {
            status(S::Requested)?;
            prop_assert!(
                b.no_attempt_can_be_paid(),
                "retried a payout that may be paid"
            );
            prop_assert_eq!(r.failed_attempt, b.attempt);
            prop_assert_eq!(after.attempts.spent(after.attempt), 0);
        }
        E::Released(_) => {
            prop_assert_eq!(b.status, S::Held);
            status(S::Requested)?;
        }
        E::DeadLetterReplayed(_) | E::NoteAdded(_) => status(b.status)?,
        E::ReportUnmatched(u) => {
            status(b.status)?;
            prop_assert_eq!(after.unmatched_reports, b.unmatched_reports + 1);
            prop_assert!(after.report_ids.contains(&u.report.report_id));
            prop_assert!(
                !b.report_ids.contains(&u.report.report_id),
                "report recorded twice"
            );
            prop_assert_eq!(
                u.possible_double_payment,
                u.reason != Unmatched::NeverMade && u.report.outcome == O::Succeeded
            );
        }
        E::Discrepancy(d) => {
            status(b.status)?;
            prop_assert_eq!(after.discrepancies.last(), Some(d));
            prop_assert!(
                !b.discrepancies
                    .iter()
                    .any(|k| k.field == d.field && k.reported == d.reported),
                "the same difference recorded twice"
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A run: commands decided one after another, each event stored and evolved with its checks.

struct Run {
    id: OrderId,
    state: Option<Payout>,
    events: Vec<Envelope<E>>,
    /// The state after each stored event.
    states: Vec<Option<Payout>>,
}

fn stamp(version: u64) -> DateTime<Utc> {
    now() + Duration::seconds(version as i64)
}

impl Run {
    /// A run on a payout created at `now()`, or, when `scheduled`, created two hours earlier for
    /// one hour before `now()`: scheduled, and due by the time the run's commands are decided.
    fn new(key: &str, scheduled: bool) -> Result<Self, TestCaseError> {
        let mut c = create(key);
        let mut run = Run {
            id: c.order_id,
            state: None,
            events: vec![],
            states: vec![],
        };
        if !scheduled {
            run.command(&C::Create(Box::new(c)))?;
            return Ok(run);
        }
        c.requested.execute_at = Some(now() - Duration::hours(1));
        let created =
            PayoutDecider::decide(&None, &C::Create(Box::new(c)), now() - Duration::hours(2));
        prop_assert!(created.is_ok(), "{:?}", created);
        for event in created.unwrap_or_default() {
            run.store(event)?;
        }
        prop_assert_eq!(run.state.as_ref().map(|p| p.status), Some(S::Scheduled));
        Ok(run)
    }

    /// Decides `cmd` and stores and evolves its events, checking each (properties i and iii) and
    /// the command's outcome against the contract.
    fn command(&mut self, cmd: &C) -> Result<(), TestCaseError> {
        let decided = PayoutDecider::decide(&self.state, cmd, now());
        if let Some(p) = &self.state
            && let Some(accepts) = contract_accepts(p, cmd)
        {
            prop_assert_eq!(
                decided.is_ok(),
                accepts,
                "{:?} in {}: {:?}",
                cmd,
                p.status,
                decided
            );
        }
        let events = match decided {
            Ok(events) => events,
            Err(r) => {
                let expected = match cmd {
                    C::Cancel { .. } => ErrorCode::NotCancellable,
                    C::Operator(OperatorCommand {
                        action: OperatorAction::Cancel { .. },
                        ..
                    }) => ErrorCode::NotCancellable,
                    C::Create(_) => ErrorCode::IdempotencyConflict,
                    _ => ErrorCode::InvalidState,
                };
                prop_assert_eq!(r.code, expected, "{:?}", cmd);
                return Ok(());
            }
        };
        let start = self.state.clone();
        for event in events {
            self.store(event)?;
        }
        if let (Some(p), Some(after)) = (&start, &self.state)
            && let Some(expected) = contract_status(p, cmd)
        {
            prop_assert_eq!(after.status, expected, "{:?} in {}", cmd, p.status);
        }
        if idempotent(cmd) {
            let again = PayoutDecider::decide(&self.state, cmd, now());
            prop_assert_eq!(again, Ok(vec![]), "repeating {:?}", cmd);
        }
        Ok(())
    }

    fn store(&mut self, event: E) -> Result<(), TestCaseError> {
        let before = self.state.clone();
        let version = self.events.len() as u64 + 1;
        let env = Envelope {
            id: EventId::new(),
            event,
            order_id: self.id,
            version,
            at: stamp(version),
            meta: EventMeta {
                correlation_id: self.id.to_string(),
                causation_id: None,
            },
        };
        let after = PayoutDecider::evolve(before.clone(), &env);
        let Some(a) = &after else {
            return Err(TestCaseError::fail(format!(
                "{:?} left no payout",
                env.event
            )));
        };
        // (i) Applied, not silently ignored: the version moves by exactly one and the event's
        // payload shows in the state.
        prop_assert_eq!(
            a.version,
            before.as_ref().map_or(0, |b| b.version) + 1,
            "{:?} was not applied",
            env.event
        );
        prop_assert_eq!(a.updated_at, env.at);
        check_effect(&before, a, &env.event)?;
        // (iii) The status is the one the transition rule predicts, and a status-moving event is
        // never one the table refuses.
        if let Some(b) = &before {
            let predicted = next_status(b.status, &env.event);
            prop_assert_eq!(a.status, predicted.unwrap_or(b.status), "{:?}", env.event);
            check_transition(b.status, a.status, &env.event)?;
            if a.status != b.status {
                prop_assert_eq!(a.status_since, env.at);
            }
        }
        self.state = after.clone();
        self.events.push(env);
        self.states.push(after);
        Ok(())
    }
}

const ENVELOPE_KEYS: [&str; 7] = ["at", "data", "id", "meta", "order_id", "type", "version"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// For random command and report sequences: every decided event takes effect (i), the stored
    /// JSON form reads back to the same events and folds to the same states (ii), and each status
    /// is the one the transition rule predicts (iii).
    #[test]
    fn decided_events_take_effect_and_fold_back_from_json(
        commands in prop::collection::vec(command(), 0..40),
        scheduled in any::<bool>(),
    ) {
        let mut run = Run::new("prop", scheduled)?;
        for cmd in &commands {
            run.command(cmd)?;
        }
        let versions: Vec<u64> = run.events.iter().map(|e| e.version).collect();
        prop_assert_eq!(versions, (1..=run.events.len() as u64).collect::<Vec<_>>());

        // (ii) Serialize, deserialize, fold from nothing: the same events and the same states.
        let mut rebuilt = None;
        let mut stored = Vec::with_capacity(run.events.len());
        for (env, expected) in run.events.iter().zip(&run.states) {
            let text = serde_json::to_string(env).unwrap();
            let json: Value = serde_json::from_str(&text).unwrap();
            let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            prop_assert_eq!(keys, ENVELOPE_KEYS.to_vec());
            prop_assert_eq!(json["type"].as_str(), Some(env.event.event_type()));
            prop_assert_eq!(json["version"].as_u64(), Some(env.version));
            let back: Envelope<E> = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&back, env);
            rebuilt = PayoutDecider::evolve(rebuilt, &back);
            prop_assert_eq!(&rebuilt, expected);
            stored.push(back);
        }
        prop_assert_eq!(PayoutDecider::fold(&stored), run.state);
    }
}

// ---------------------------------------------------------------------------------------------
// Arbitrary events: any type, any field values, any version, any order.

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z0-9_:]{0,10}", ".{0,6}"]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(text())
}

fn attempt() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..4, any::<u32>()]
}

fn any_fee() -> impl Strategy<Value = Option<Decimal>> {
    prop::option::of((any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)))
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // Years 1 to 9999, in any order relative to the other events.
    (-62_135_596_800i64..253_402_300_799, 0u32..1_000_000_000)
        .prop_map(|(s, n)| Utc.timestamp_opt(s, n).single().unwrap())
}

fn outcome() -> impl Strategy<Value = O> {
    prop_oneof![
        Just(O::InFlight),
        Just(O::Succeeded),
        Just(O::Failed),
        Just(O::Refunded),
        Just(O::Unknown)
    ]
}

fn failure() -> impl Strategy<Value = Failure> {
    (text(), text()).prop_map(|(code, message)| Failure { code, message })
}

fn any_event() -> impl Strategy<Value = E> {
    prop_oneof![
        (
            prop::sample::select(vec!["prop", "other"]),
            opt_text(),
            text(),
            any::<bool>(),
        )
            .prop_map(|(key, external_id, fingerprint, scheduled)| {
                let mut r = create(key).requested;
                r.external_id = external_id;
                r.execute_at = scheduled.then(now);
                if !fingerprint.is_empty() {
                    r.fingerprint = fingerprint;
                }
                E::Requested(std::sync::Arc::new(r))
            }),
        text().prop_map(|reason| E::Held(Held { reason })),
        Just(E::BecameDue(giro_domain::payout::BecameDue {
            execute_at: now()
        })),
        (attempt(), text()).prop_map(|(attempt, handle)| E::SubmissionStarted(SubmissionStarted {
            attempt,
            handle
        })),
        (attempt(), opt_text(), opt_text()).prop_map(|(attempt, provider_ref, raw_status)| {
            E::Submitted(Submitted {
                attempt,
                provider_ref,
                raw_status,
            })
        }),
        (attempt(), text(), text(), any::<bool>()).prop_map(
            |(attempt, code, message, retryable)| {
                E::SubmissionFailed(SubmissionFailed {
                    attempt,
                    code,
                    message,
                    retryable,
                })
            }
        ),
        (attempt(), text())
            .prop_map(|(attempt, reason)| E::OutcomeUnknown(OutcomeUnknown { attempt, reason })),
        (
            source(),
            text(),
            outcome(),
            text(),
            opt_text(),
            opt_text(),
            any_fee(),
            prop::option::of(instant()),
        )
            .prop_map(
                |(
                    source,
                    raw_status,
                    outcome,
                    report_id,
                    provider_ref,
                    reason,
                    fee,
                    reported_at,
                )| {
                    E::ProviderStatus(ProviderReport {
                        source,
                        raw_status,
                        outcome,
                        report_id,
                        provider_ref,
                        reason,
                        fee,
                        attempt: None,
                        amount: None,
                        completed_at: None,
                        channel_ref: None,
                        reported_at,
                    })
                }
            ),
        (opt_text(), any_fee())
            .prop_map(|(provider_ref, fee)| E::Succeeded(Succeeded { provider_ref, fee })),
        failure().prop_map(E::Failed),
        failure().prop_map(E::Reversed),
        opt_text().prop_map(|reason| E::Refunded(Refunded { reason })),
        opt_text().prop_map(|reason| E::Cancelled(Cancelled { reason, by: None })),
    ]
}

/// The version an arbitrary event claims, relative to its position in the log.
#[derive(Debug, Clone)]
enum Version {
    Next,
    Repeat,
    Zero,
    One,
    Ahead(u64),
    Any(u64),
}

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![
        4 => Just(Version::Next),
        1 => Just(Version::Repeat),
        1 => Just(Version::Zero),
        1 => Just(Version::One),
        1 => (1u64..5).prop_map(Version::Ahead),
        1 => any::<u64>().prop_map(Version::Any),
    ]
}

/// One arbitrary log entry: an event, the version it claims, whether it names another order, when.
#[derive(Debug, Clone)]
struct Entry {
    event: E,
    version: Version,
    foreign: bool,
    at: DateTime<Utc>,
}

fn entry() -> impl Strategy<Value = Entry> {
    (any_event(), version(), prop::bool::weighted(0.1), instant()).prop_map(
        |(event, version, foreign, at)| Entry {
            event,
            version,
            foreign,
            at,
        },
    )
}

fn envelope(entry: &Entry, id: OrderId, position: u64) -> Envelope<E> {
    let version = match entry.version {
        Version::Next => position + 1,
        Version::Repeat => position,
        Version::Zero => 0,
        Version::One => 1,
        Version::Ahead(k) => position + 1 + k,
        Version::Any(v) => v,
    };
    let order_id = if entry.foreign {
        OrderId::from_uuid(uuid::Uuid::from_u128(0xf0_4e_16_40))
    } else {
        id
    };
    Envelope {
        id: EventId::new(),
        event: entry.event.clone(),
        order_id,
        version,
        at: entry.at,
        meta: EventMeta::default(),
    }
}

/// What evolve guarantees for any event, fitting or not: no panic, nothing before a version-1
/// `payout.requested`, the order's identity and request never rewritten, an event either applied
/// (the state takes its version and time) or ignored (the state unchanged), and status changes
/// only along the transition table, terminal ones only along the documented exits.
fn check_any_step(
    before: &Option<Payout>,
    env: &Envelope<E>,
    after: &Option<Payout>,
) -> Result<(), TestCaseError> {
    let Some(b) = before else {
        match (after, &env.event) {
            (None, _) => {}
            (Some(a), E::Requested(r)) if env.version == 1 => {
                prop_assert_eq!(a.id, env.order_id);
                prop_assert_eq!(&*a.request, &**r);
                let first = if r.execute_at.is_some() {
                    S::Scheduled
                } else {
                    S::Requested
                };
                prop_assert_eq!((a.status, a.version), (first, 1));
            }
            (Some(_), other) => {
                prop_assert!(
                    false,
                    "{other:?} at version {} created a payout",
                    env.version
                )
            }
        }
        return Ok(());
    };
    let Some(a) = after else {
        return Err(TestCaseError::fail(format!(
            "{:?} erased the payout",
            env.event
        )));
    };
    prop_assert_eq!(a.id, b.id);
    prop_assert_eq!(&a.request, &b.request, "the request is never rewritten");
    prop_assert_eq!(a.created_at, b.created_at);
    prop_assert!(a.report_ids.starts_with(&b.report_ids));
    let applied = a.version == env.version && a.updated_at == env.at;
    prop_assert!(applied || a == b, "half-applied {:?}", env.event);
    check_transition(b.status, a.status, &env.event)?;
    if a.status != b.status {
        prop_assert_eq!(Some(a.status), next_status(b.status, &env.event));
    }
    Ok(())
}

/// Folds `log` step by step with [`check_any_step`], then asks the decider about the result (a
/// corrupt state must not make `decide` panic either).
fn fold_checked(mut state: Option<Payout>, log: &[Envelope<E>]) -> Result<(), TestCaseError> {
    for env in log {
        let after = PayoutDecider::evolve(state.clone(), env);
        check_any_step(&state, env, &after)?;
        state = after;
    }
    let probes = [
        C::StartSubmission,
        C::Cancel { reason: None },
        C::Hold {
            reason: "funds".into(),
        },
        C::Fail {
            code: "c".into(),
            message: "m".into(),
        },
        C::RecordSubmitted {
            attempt: u32::MAX,
            provider_ref: None,
            raw_status: None,
        },
        C::RecordSubmissionFailure {
            attempt: 0,
            code: "c".into(),
            message: "m".into(),
            retryable: true,
        },
        C::RecordOutcomeUnknown {
            attempt: 1,
            reason: "t".into(),
        },
        C::RecordReport(ProviderReport {
            source: ReportSource::Poll,
            raw_status: "COMPLETED".into(),
            outcome: O::Succeeded,
            report_id: "x".into(),
            provider_ref: None,
            reason: None,
            fee: None,
            attempt: None,
            amount: None,
            completed_at: None,
            channel_ref: None,
            reported_at: None,
        }),
    ];
    for cmd in &probes {
        let _ = PayoutDecider::decide(&state, cmd, now());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Logs made only of arbitrary events, from nothing: events before `payout.requested`, wrong
    /// versions, foreign order ids, any field values.
    #[test]
    fn evolve_never_panics_on_arbitrary_logs(entries in prop::collection::vec(entry(), 0..40)) {
        let id = create("prop").order_id;
        let log: Vec<Envelope<E>> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| envelope(e, id, i as u64))
            .collect();
        fold_checked(None, &log)?;
    }

    /// A real history with arbitrary events slipped in anywhere (also before its first event and
    /// after a terminal one) and then scrambled.
    #[test]
    fn evolve_never_panics_on_arbitrary_events_amid_a_real_history(
        commands in prop::collection::vec(command(), 0..30),
        inserts in prop::collection::vec((any::<Index>(), entry()), 0..12),
        swaps in prop::collection::vec((any::<Index>(), any::<Index>()), 0..6),
        scheduled in any::<bool>(),
    ) {
        let mut run = Run::new("prop", scheduled)?;
        for cmd in &commands {
            run.command(cmd)?;
        }
        let mut log = run.events.clone();
        for (at, e) in &inserts {
            let position = at.index(log.len() + 1);
            log.insert(position, envelope(e, run.id, position as u64));
        }
        fold_checked(None, &log)?;
        // The same log appended to the finished history (often terminal by now).
        let tail: Vec<Envelope<E>> = inserts
            .iter()
            .enumerate()
            .map(|(i, (_, e))| envelope(e, run.id, (run.events.len() + i) as u64))
            .collect();
        fold_checked(run.state.clone(), &tail)?;
        // And in a scrambled order.
        for (i, j) in &swaps {
            if !log.is_empty() {
                let (i, j) = (i.index(log.len()), j.index(log.len()));
                log.swap(i, j);
            }
        }
        fold_checked(None, &log)?;
    }
}
