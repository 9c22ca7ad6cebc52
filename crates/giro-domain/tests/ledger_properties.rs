//! The payout ledger: one example per posting kind (given these commands, then these postings),
//! and properties over random decider-valid histories of several orders at several providers:
//! every posting balances, every balance is the sum of its postings, the pre-fund moves by exactly
//! −(paid − refunded − reversed + fees + still reserved), nothing stays reserved for a finished
//! order, and seeing events again never posts twice.

mod common;

use std::collections::BTreeMap;

use common::{Given, create, report};
use giro_domain::ledger::{
    Account, Book, Ledger, Position, Posting, PostingKind as K, order_postings, postings,
};
use giro_domain::payout::{
    PayoutCommand as C, PayoutDecider, PayoutEvent as E, PayoutStatus as S, ProviderReport,
    ReportedOutcome as O,
};
use giro_domain::{Currency, Decider, Envelope, Money, OrderId, ProviderId};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn account(provider: &str, book: Book) -> Account {
    Account {
        provider: ProviderId::try_from(provider.to_string()).unwrap(),
        book,
    }
}

/// A payout of `amount` `currency` at `provider`, created but not yet submitted.
fn order(key: &str, provider: &str, amount: Decimal, currency: Currency) -> Given {
    let mut c = create(key);
    c.requested.provider = ProviderId::try_from(provider.to_string()).unwrap();
    c.requested.money = Money::new(amount, currency).unwrap();
    let mut g = Given {
        events: vec![],
        state: None,
        id: c.order_id,
    };
    g.when(&C::Create(Box::new(c))).unwrap();
    g
}

fn success(id: &str, fee: Option<&str>) -> C {
    C::RecordReport(ProviderReport {
        fee: fee.map(dec),
        ..report(id, "COMPLETED", O::Succeeded)
    })
}

fn outcome(id: &str, raw: &str, outcome: O) -> C {
    C::RecordReport(report(id, raw, outcome))
}

fn failure(retryable: bool) -> C {
    C::RecordSubmissionFailure {
        attempt: 1,
        code: "E".into(),
        message: "refused".into(),
        retryable,
    }
}

/// Each posting as (version, kind, [(account, debit, credit)]).
type Shown = (u64, &'static str, Vec<(String, Decimal, Decimal)>);

fn shown(postings: &[Posting]) -> Vec<Shown> {
    postings
        .iter()
        .map(|p| {
            let legs = p
                .legs
                .iter()
                .map(|l| (l.account.to_string(), l.debit, l.credit))
                .collect();
            (p.key.version, p.key.kind.as_str(), legs)
        })
        .collect()
}

fn leg(account: &str, debit: &str, credit: &str) -> (String, Decimal, Decimal) {
    (account.to_string(), dec(debit), dec(credit))
}

/// A ledger of these orders' events.
fn ledger_of(orders: &[&Given]) -> Ledger {
    let mut ledger = Ledger::default();
    for g in orders {
        for p in order_postings(&g.events) {
            assert!(p.is_balanced(), "{p:?}");
            assert!(ledger.record(p));
        }
    }
    ledger
}

// ---------------------------------------------------------------------------------------------
// Examples, one per posting kind.

#[test]
fn a_submission_reserves_the_amount_out_of_the_prefund() {
    let mut g = order("ex-reserve", "killb", dec("500000.50"), Currency::COP);
    g.when(&C::StartSubmission).unwrap();
    assert_eq!(
        shown(&order_postings(&g.events)),
        vec![(
            2,
            "reserved",
            vec![
                leg("killb:reserved", "500000.50", "0"),
                leg("killb:prefund", "0", "500000.50")
            ]
        )]
    );
}

#[test]
fn a_refusal_a_wait_or_a_definite_failure_releases_the_reservation() {
    let mut retry = order("ex-retry", "killb", dec("1000"), Currency::COP);
    retry.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    retry.then(failure(true), &["payout.submission_failed"], "requested");
    let mut fail = order("ex-fail", "killb", dec("2000"), Currency::COP);
    fail.then(
        C::StartSubmission,
        &["payout.submission_started"],
        "submitting",
    );
    fail.then(
        failure(false),
        &["payout.submission_failed", "payout.failed"],
        "failed",
    );
    let released = |g: &Given| {
        shown(&order_postings(&g.events))
            .into_iter()
            .map(|(v, k, _)| (v, k))
            .collect::<Vec<_>>()
    };
    assert_eq!(released(&retry), [(2, "reserved"), (3, "released")]);
    // The release follows payout.failed (version 4), not the submission failure before it.
    assert_eq!(released(&fail), [(2, "reserved"), (4, "released")]);
    let ledger = ledger_of(&[&retry, &fail]);
    for book in Book::ALL {
        assert_eq!(
            ledger.balance(&account("killb", book), Currency::COP),
            dec("0")
        );
    }
}

#[test]
fn a_success_pays_the_reservation_out_and_posts_the_reported_fee() {
    let mut g = order("ex-paid", "cashy-co", dec("250000"), Currency::COP);
    g.when(&C::StartSubmission).unwrap();
    g.then(
        success("P1:COMPLETED", Some("1500.25")),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
    assert_eq!(
        shown(&order_postings(&g.events))[1..],
        [
            (
                3,
                "fee",
                vec![
                    leg("cashy-co:fees", "1500.25", "0"),
                    leg("cashy-co:prefund", "0", "1500.25")
                ]
            ),
            (
                4,
                "paid",
                vec![
                    leg("cashy-co:paid_out", "250000", "0"),
                    leg("cashy-co:reserved", "0", "250000")
                ]
            ),
        ]
    );
    let ledger = ledger_of(&[&g]);
    let balance = |book| ledger.balance(&account("cashy-co", book), Currency::COP);
    assert_eq!(balance(Book::Prefund), dec("-251500.25"));
    assert_eq!(balance(Book::Reserved), dec("0"));
}

#[test]
fn a_success_after_a_failure_pays_out_of_the_prefund() {
    let mut g = order("ex-late", "killb", dec("700"), Currency::COP);
    g.when(&C::StartSubmission).unwrap();
    g.then(
        outcome("P1:FAILED", "FAILED", O::Failed),
        &["payout.provider_status", "payout.failed"],
        "failed",
    );
    g.then(
        success("P1:COMPLETED", None),
        &["payout.provider_status", "payout.succeeded"],
        "succeeded",
    );
    let all = shown(&order_postings(&g.events));
    assert_eq!(
        all[2],
        (
            6,
            "paid",
            vec![
                leg("killb:paid_out", "700", "0"),
                leg("killb:prefund", "0", "700")
            ]
        )
    );
    assert_eq!(all.len(), 3, "no fee was reported: {all:?}");
}

#[test]
fn a_refund_after_success_returns_the_money_and_keeps_the_fee_its_report_names() {
    let mut g = order("ex-refund", "killb", dec("900"), Currency::COP);
    g.when(&C::StartSubmission).unwrap();
    g.when(&success("P1:COMPLETED", Some("3"))).unwrap();
    g.then(
        C::RecordReport(ProviderReport {
            fee: Some(dec("3")),
            ..report("P1:REFUNDED", "REFUNDED", O::Refunded)
        }),
        &["payout.provider_status", "payout.refunded"],
        "refunded",
    );
    let all = shown(&order_postings(&g.events));
    assert_eq!(
        all.last(),
        Some(&(
            6,
            "refunded",
            vec![
                leg("killb:prefund", "900", "0"),
                leg("killb:paid_out", "0", "900")
            ]
        ))
    );
    let ledger = ledger_of(&[&g]);
    assert_eq!(
        ledger.balance(&account("killb", Book::Prefund), Currency::COP),
        dec("-3")
    );
    assert_eq!(
        ledger.balance(&account("killb", Book::Fees), Currency::COP),
        dec("3")
    );
}

#[test]
fn a_refund_while_at_the_provider_releases_the_reservation() {
    let mut g = order("ex-refund-early", "killb", dec("900"), Currency::COP);
    g.when(&C::StartSubmission).unwrap();
    g.then(
        outcome("P1:REFUNDED", "REFUNDED", O::Refunded),
        &["payout.provider_status", "payout.refunded"],
        "refunded",
    );
    let kinds: Vec<_> = order_postings(&g.events)
        .iter()
        .map(|p| p.key.kind)
        .collect();
    assert_eq!(kinds, [K::Reserved, K::Released]);
}

#[test]
fn a_reversal_returns_the_money_to_the_prefund() {
    let mut g = order("ex-reverse", "cashy-tz", dec("12000"), Currency::TZS);
    g.when(&C::StartSubmission).unwrap();
    g.when(&success("P1:COMPLETED", Some("250"))).unwrap();
    g.then(
        outcome("P1:FAILED", "FAILED", O::Failed),
        &["payout.provider_status", "payout.reversed"],
        "reversed",
    );
    let all = shown(&order_postings(&g.events));
    assert_eq!(
        all.last(),
        Some(&(
            6,
            "reversed",
            vec![
                leg("cashy-tz:prefund", "12000", "0"),
                leg("cashy-tz:paid_out", "0", "12000")
            ]
        ))
    );
    let ledger = ledger_of(&[&g]);
    assert_eq!(
        ledger.balance(&account("cashy-tz", Book::PaidOut), Currency::TZS),
        dec("0")
    );
    // The FAIL names no fee (Cashy sets it only on success): the fee comes back with the money.
    assert_eq!(
        all[all.len() - 2],
        (
            5,
            "fee",
            vec![
                leg("cashy-tz:prefund", "250", "0"),
                leg("cashy-tz:fees", "0", "250")
            ]
        )
    );
    assert_eq!(
        ledger.balance(&account("cashy-tz", Book::Prefund), Currency::TZS),
        dec("0")
    );
    assert_eq!(
        ledger.balance(&account("cashy-tz", Book::Fees), Currency::TZS),
        dec("0")
    );
}

#[test]
fn a_fee_named_again_is_charged_once_and_a_reversal_gives_it_back() {
    let mut g = order("ex-again", "cashy-co", dec("60000"), Currency::COP);
    g.when(&C::StartSubmission).unwrap();
    g.when(&success("P1:COMPLETED", Some("5150"))).unwrap();
    // The same success reported again (a poll after the callback): the fee is not charged twice.
    g.then(
        success("P1:COMPLETED-POLL", Some("5150")),
        &["payout.provider_status"],
        "succeeded",
    );
    let fees = |g: &Given| ledger_of(&[g]).balance(&account("cashy-co", Book::Fees), Currency::COP);
    assert_eq!(fees(&g), dec("5150"));
    assert_eq!(g.state.as_ref().unwrap().fee, Some(dec("5150")));
    g.then(
        outcome("P1:FAILED", "FAILED", O::Failed),
        &["payout.provider_status", "payout.reversed"],
        "reversed",
    );
    assert_eq!(fees(&g), dec("0"));
    assert_eq!(g.state.as_ref().unwrap().fee, None);
}

#[test]
fn orders_no_provider_had_move_no_money() {
    let mut cancelled = order("ex-cancel", "killb", dec("5"), Currency::COP);
    cancelled
        .when(&C::Hold {
            reason: "funds".into(),
        })
        .unwrap();
    cancelled.then(
        C::Cancel { reason: None },
        &["payout.cancelled"],
        "cancelled",
    );
    let mut failed = order("ex-fail-early", "killb", dec("5"), Currency::COP);
    failed
        .when(&C::Fail {
            code: "timeout".into(),
            message: "held too long".into(),
        })
        .unwrap();
    assert_eq!(order_postings(&cancelled.events), []);
    assert_eq!(order_postings(&failed.events), []);
}

#[test]
fn a_rebate_a_negative_fee_flows_back_into_the_prefund() {
    let mut g = order("ex-rebate", "killb", dec("100"), Currency::COP);
    g.when(&C::StartSubmission).unwrap();
    g.when(&success("P1:COMPLETED", Some("-0.5"))).unwrap();
    let fee = order_postings(&g.events)
        .into_iter()
        .find(|p| p.key.kind == K::Fee)
        .unwrap();
    assert_eq!(
        shown(&[fee]),
        [(
            3,
            "fee",
            vec![
                leg("killb:prefund", "0.5", "0"),
                leg("killb:fees", "0", "0.5")
            ]
        )]
    );
}

#[test]
fn per_event_postings_agree_with_the_fold_and_skip_what_was_seen() {
    let mut g = order("ex-shapes", "killb", dec("42"), Currency::COP);
    g.when(&C::StartSubmission).unwrap();
    g.when(&success("P1:COMPLETED", Some("1"))).unwrap();
    let mut state = None;
    let mut one_by_one = Vec::new();
    for env in &g.events {
        one_by_one.extend(postings(&state, env));
        state = PayoutDecider::evolve(state, env);
    }
    assert_eq!(one_by_one, order_postings(&g.events));
    let mut after = Position::of(state.as_ref().unwrap());
    for env in &g.events {
        assert_eq!(after.post(env.version, &env.event), []);
    }
}

// ---------------------------------------------------------------------------------------------
// Random histories.

/// The instances and currencies the random orders use: two currencies at one instance, so
/// balances are kept apart by currency as well as by instance.
const BOOKS: [(&str, Currency); 4] = [
    ("killb", Currency::COP),
    ("killb", Currency::USD),
    ("cashy-co", Currency::COP),
    ("cashy-tz", Currency::TZS),
];

/// One thing that happens to an order; attempts are filled in from its state when it runs, so
/// most steps are ones the decider accepts.
#[derive(Debug, Clone)]
enum Step {
    Start,
    Submitted,
    SubmissionFailed {
        retryable: bool,
    },
    Wait,
    Unknown,
    Resent,
    Report {
        raw: usize,
        reference: u8,
        fee: Option<Decimal>,
    },
    Cancel,
    Hold,
    Fail,
}

const RAW: [(&str, O); 6] = [
    ("PENDING", O::InFlight),
    ("COMPLETED", O::Succeeded),
    ("FAILED", O::Failed),
    ("REFUNDED", O::Refunded),
    ("COMPLETED_AGAIN", O::Succeeded),
    ("SOMETHING_NEW", O::Unknown),
];

/// Fees with up to three decimals, sometimes zero, now and then negative (a rebate).
fn fee() -> impl Strategy<Value = Option<Decimal>> {
    prop::option::of(prop_oneof![
        6 => (0i64..5_000_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s)),
        1 => (1i64..1000, 0u32..3).prop_map(|(m, s)| Decimal::new(-m, s)),
    ])
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::Start),
        2 => Just(Step::Submitted),
        2 => any::<bool>().prop_map(|retryable| Step::SubmissionFailed { retryable }),
        1 => Just(Step::Wait),
        1 => Just(Step::Unknown),
        1 => Just(Step::Resent),
        8 => (0..RAW.len(), 0u8..2, fee())
            .prop_map(|(raw, reference, fee)| Step::Report { raw, reference, fee }),
        1 => Just(Step::Cancel),
        1 => Just(Step::Hold),
        1 => Just(Step::Fail),
    ]
}

/// An amount with no more decimals than its currency has.
fn amount(currency: Currency) -> impl Strategy<Value = Decimal> {
    (1i64..10_000_000_000, 0..=currency.exponent()).prop_map(|(m, s)| Decimal::new(m, s))
}

fn orders() -> impl Strategy<Value = Vec<(usize, Decimal)>> {
    prop::collection::vec(
        (0..BOOKS.len()).prop_flat_map(|b| (Just(b), amount(BOOKS[b].1))),
        1..6,
    )
}

/// Orders (book, amount), steps (order, step), and whether every order is settled at the end.
type History = (Vec<(usize, Decimal)>, Vec<(usize, Step)>, bool);

fn history() -> impl Strategy<Value = History> {
    orders().prop_flat_map(|orders| {
        let n = orders.len();
        (
            Just(orders),
            prop::collection::vec((0..n, step()), 0..60),
            any::<bool>(),
        )
    })
}

fn report_of(raw: usize, reference: u8, fee: Option<Decimal>) -> ProviderReport {
    let (raw, outcome) = RAW[raw];
    let provider_ref = format!("P{reference}");
    ProviderReport {
        fee,
        provider_ref: Some(provider_ref.clone()),
        ..report(&format!("{provider_ref}:{raw}"), raw, outcome)
    }
}

fn command(g: &Given, step: &Step) -> C {
    let p = g.state.as_ref().expect("created");
    let attempt = p.attempt;
    match step {
        Step::Start => C::StartSubmission,
        Step::Submitted => C::RecordSubmitted {
            attempt,
            provider_ref: Some("P0".into()),
            raw_status: Some("PENDING".into()),
        },
        Step::SubmissionFailed { retryable } => C::RecordSubmissionFailure {
            attempt,
            code: "E".into(),
            message: "m".into(),
            retryable: *retryable,
        },
        Step::Wait => C::RecordProviderWait(giro_domain::payout::ProviderWaitAnnounced {
            attempt,
            code: "System_busy".into(),
            message: "busy".into(),
            wait_ms: Some(1000),
        }),
        Step::Unknown => C::RecordOutcomeUnknown {
            attempt,
            reason: "timeout".into(),
        },
        Step::Resent => C::RecordResent { attempt },
        Step::Report {
            raw,
            reference,
            fee,
        } => C::RecordReport(report_of(*raw, *reference, *fee)),
        Step::Cancel => C::Cancel { reason: None },
        Step::Hold => C::Hold {
            reason: "funds".into(),
        },
        Step::Fail => C::Fail {
            code: "timeout".into(),
            message: "gave up".into(),
        },
    }
}

/// Ends every order: cancels those no provider has, and has the provider finish the others
/// (a fresh report id, so it is never a repeat).
fn settle(g: &mut Given, how: usize) {
    let p = g.state.as_ref().expect("created");
    let (status, accepted_as) = (p.status, p.provider_ref.clone());
    let command = match status {
        S::Requested | S::Held => C::Cancel { reason: None },
        s if s.is_at_provider() => {
            let (raw, outcome) = [
                ("COMPLETED", O::Succeeded),
                ("FAILED", O::Failed),
                ("REFUNDED", O::Refunded),
            ][how % 3];
            // About the current attempt, under the reference it was accepted under (a report
            // under another one is kept apart and settles nothing).
            C::RecordReport(ProviderReport {
                provider_ref: accepted_as.or_else(|| Some("P0".into())),
                ..report(&format!("SETTLE:{raw}"), raw, outcome)
            })
        }
        _ => return,
    };
    g.when(&command).expect("a settling command is accepted");
}

/// What the orders' statuses say the books must hold, computed from `evolve`'s states alone.
#[derive(Debug, Default, PartialEq, Eq)]
struct Expected {
    paid: Decimal,
    returned: Decimal,
    fees: Decimal,
    at_provider: Decimal,
}

fn expected(orders: &[Given]) -> BTreeMap<(String, Currency), Expected> {
    let mut books: BTreeMap<(String, Currency), Expected> = BTreeMap::new();
    for g in orders {
        let mut state = None;
        for env in &g.events {
            let before = state
                .as_ref()
                .map(|p: &giro_domain::payout::Payout| p.status);
            state = PayoutDecider::evolve(state, env);
            let p = state.as_ref().expect("a payout");
            let key = (p.request.provider.to_string(), p.request.money.currency());
            let e = books.entry(key).or_default();
            let amount = p.request.money.amount();
            match (before, p.status, &env.event) {
                (Some(b), S::Succeeded, E::Succeeded(_)) if b != S::Succeeded => {
                    e.paid += amount;
                }
                (Some(S::Succeeded), S::Refunded | S::Reversed, _) => e.returned += amount,
                _ => {}
            }
        }
        let p = state.as_ref().expect("a payout");
        // The fee kept: the one the latest report with a decisive outcome or a fee names (or
        // the success, when it alone names one).
        let kept = g
            .events
            .iter()
            .rev()
            .find_map(|env| match &env.event {
                E::ProviderStatus(r)
                    if r.fee.is_some()
                        || matches!(r.outcome, O::Succeeded | O::Failed | O::Refunded) =>
                {
                    Some(r.fee)
                }
                E::Succeeded(s) if s.fee.is_some() => Some(s.fee),
                _ => None,
            })
            .flatten();
        let key = (p.request.provider.to_string(), p.request.money.currency());
        books.entry(key).or_default().fees += kept.unwrap_or_default();
        if p.status.is_at_provider() {
            let key = (p.request.provider.to_string(), p.request.money.currency());
            books.entry(key).or_default().at_provider += p.request.money.amount();
        }
    }
    books
}

/// Every event twice, as a projector that crashed before its checkpoint may see them.
fn doubled(events: &[Envelope<E>]) -> Vec<Envelope<E>> {
    events.iter().flat_map(|e| [e.clone(), e.clone()]).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_ledger_balances_and_the_prefund_moves_by_what_was_paid(
        (specs, steps, settled) in history(),
        how in 0usize..3,
    ) {
        let mut orders: Vec<Given> = specs
            .iter()
            .enumerate()
            .map(|(i, (b, amount))| {
                let (provider, currency) = BOOKS[*b];
                order(&format!("prop-{i}"), provider, *amount, currency)
            })
            .collect();
        for (i, step) in &steps {
            let cmd = command(&orders[*i], step);
            let _refused_or_done = orders[*i].when(&cmd);
        }
        if settled {
            for (i, g) in orders.iter_mut().enumerate() {
                settle(g, how + i);
            }
        }

        let mut ledger = Ledger::default();
        let mut recomputed: BTreeMap<(Account, Currency), Decimal> = BTreeMap::new();
        let mut reserved_by_order: BTreeMap<OrderId, Decimal> = BTreeMap::new();
        for g in &orders {
            // The per-event shape and the fold agree.
            let mut state = None;
            let mut one_by_one = Vec::new();
            for env in &g.events {
                one_by_one.extend(postings(&state, env));
                state = PayoutDecider::evolve(state, env);
            }
            let folded = order_postings(&g.events);
            prop_assert_eq!(&one_by_one, &folded);
            for p in folded {
                // Every posting balances.
                prop_assert!(p.is_balanced(), "{:?}", p);
                prop_assert!(p.debits() > Decimal::ZERO, "{:?}", p);
                for l in &p.legs {
                    *recomputed.entry((l.account.clone(), p.currency)).or_default() +=
                        l.debit - l.credit;
                    if l.account.book == Book::Reserved {
                        *reserved_by_order.entry(p.key.order).or_default() += l.debit - l.credit;
                    }
                }
                prop_assert!(ledger.record(p.clone()), "key seen twice: {:?}", p.key);
            }
        }

        // Every account's balance is the sum of its postings, and each currency sums to zero.
        prop_assert_eq!(ledger.balances(), &recomputed);
        let mut by_currency: BTreeMap<Currency, Decimal> = BTreeMap::new();
        for ((_, currency), balance) in ledger.balances() {
            *by_currency.entry(*currency).or_default() += *balance;
        }
        prop_assert!(by_currency.values().all(Decimal::is_zero), "{:?}", by_currency);

        // The books hold what the statuses say, to the cent.
        let expected = expected(&orders);
        let mut all_terminal = true;
        for ((provider, currency), e) in &expected {
            let balance = |book| ledger.balance(&account(provider, book), *currency);
            prop_assert_eq!(balance(Book::Reserved), e.at_provider);
            prop_assert_eq!(balance(Book::PaidOut), e.paid - e.returned);
            prop_assert_eq!(balance(Book::Fees), e.fees);
            // Sign convention: balance = debits − credits; money leaving the pre-fund is a credit.
            prop_assert_eq!(
                balance(Book::Prefund),
                -(e.paid - e.returned + e.fees + e.at_provider),
                "{} {}: {:?}", provider, currency, e
            );
            if e.at_provider.is_zero() {
                prop_assert_eq!(balance(Book::Prefund), -(e.paid - e.returned + e.fees));
            }
            all_terminal &= e.at_provider.is_zero();
        }
        if settled {
            prop_assert!(all_terminal);
        }

        // Nothing stays reserved for an order the provider no longer has.
        for g in &orders {
            let p = g.state.as_ref().expect("created");
            let reserved = reserved_by_order.get(&p.id).copied().unwrap_or_default();
            let expected = if p.status.is_at_provider() {
                p.request.money.amount()
            } else {
                Decimal::ZERO
            };
            prop_assert_eq!(reserved, expected, "{} in {}", p.id, p.status);
        }

        // Seeing events again posts nothing twice: doubled deliveries derive the same postings,
        // and a second projector's postings, recorded by key, change nothing.
        let before = ledger.clone();
        for g in &orders {
            prop_assert_eq!(order_postings(&doubled(&g.events)), order_postings(&g.events));
            for p in order_postings(&g.events) {
                prop_assert!(!ledger.record(p));
            }
        }
        prop_assert_eq!(ledger, before);
    }
}

#[test]
fn a_provider_that_pays_another_amount_pays_out_what_it_reported() {
    // Asked 250000, the provider reported paying 247500 (1 % short) with a 2475 fee, then
    // reversed it: the rest of the reservation goes back at once, the reversal returns what was
    // paid, and its report (naming no fee) the fee: the pre-fund ends where it began.
    let mut g = order("ex-short", "cashy-co", dec("250000"), Currency::COP);
    g.when(&C::StartSubmission).unwrap();
    let short = |id: &str, raw: &str, outcome: O, fee: Option<&str>| {
        let mut r = report(id, raw, outcome);
        r.fee = fee.map(dec);
        r.amount = Some(giro_domain::payout::ReportedAmount {
            amount: dec("247500"),
            currency: None,
        });
        C::RecordReport(r)
    };
    g.then(
        short("P1:COMPLETED", "COMPLETED", O::Succeeded, Some("2475")),
        &[
            "payout.provider_status",
            "payout.discrepancy",
            "payout.succeeded",
        ],
        "succeeded",
    );
    g.then(
        short("P1:FAIL", "FAIL", O::Failed, None),
        &["payout.provider_status", "payout.reversed"],
        "reversed",
    );
    let kinds: Vec<(u64, &str)> = shown(&order_postings(&g.events))
        .into_iter()
        .map(|(v, k, _)| (v, k))
        .collect();
    assert_eq!(
        kinds,
        [
            (2, "reserved"),
            (3, "fee"),
            (5, "paid"),
            (5, "released"),
            (6, "fee"),
            (7, "reversed")
        ]
    );
    let ledger = ledger_of(&[&g]);
    let balance = |book| ledger.balance(&account("cashy-co", book), Currency::COP);
    assert_eq!(balance(Book::Reserved), dec("0"));
    assert_eq!(balance(Book::PaidOut), dec("0"));
    assert_eq!(balance(Book::Fees), dec("0"));
    assert_eq!(balance(Book::Prefund), dec("0"));
    let paid = order_postings(&g.events)
        .into_iter()
        .find(|p| p.key.kind.as_str() == "paid")
        .unwrap();
    assert_eq!(paid.legs[0].debit, dec("247500"));
}
