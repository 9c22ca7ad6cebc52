//! A scripted provider for runtime tests: it keeps payouts by handle, can lose responses after
//! storing (the double-payout trap), refuse while busy, and pays from a balance.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use giro_domain::Currency;
use giro_domain::payout::{ProviderReport, ReportSource, ReportedOutcome};
use giro_providers::{
    BoxFuture, Lookup, PayoutOrder, PayoutProvider, Refusal, RefusalKind, Submission,
};
use rust_decimal::Decimal;

#[derive(Default)]
pub struct Behaviour {
    /// Every n-th submission is stored but answered as unknown (0: never).
    pub lose_every: u64,
    /// The first n submissions are refused as busy.
    pub busy_first: u64,
    /// The code of those refusals (`System_busy` when `None`) and the wait they announce.
    pub busy_code: Option<&'static str>,
    pub busy_retry_after: Option<Duration>,
    /// Every submission fails like a 5xx before the payout is stored: an unknown outcome, and
    /// the provider has nothing.
    pub unknown_without_storing: bool,
    /// Every lookup fails (the provider cannot be asked).
    pub lookup_fails: bool,
    /// Pay from this balance (refuse when short); None: no balance.
    pub balance: Option<Decimal>,
    /// Lookups before a payout reports success.
    pub polls_to_success: u32,
    /// How long each submission takes to answer.
    pub submit_delay: Option<Duration>,
}

pub struct FakeProvider {
    pub behaviour: Behaviour,
    state: Mutex<State>,
    calls: AtomicU64,
    /// Every submission call: its handle and when it came.
    sends: Mutex<Vec<(String, Instant)>>,
}

#[derive(Default)]
struct State {
    /// handle -> (provider ref, lookups so far)
    payouts: HashMap<String, (String, u32)>,
    /// handle -> create requests that referenced it
    submissions: HashMap<String, u64>,
    balance: Decimal,
    min_balance: Decimal,
}

impl FakeProvider {
    pub fn new(behaviour: Behaviour) -> Self {
        let balance = behaviour.balance.unwrap_or_default();
        FakeProvider {
            behaviour,
            state: Mutex::new(State {
                balance,
                min_balance: balance,
                ..Default::default()
            }),
            calls: AtomicU64::new(0),
            sends: Mutex::new(Vec::new()),
        }
    }

    /// When each submission call for `order` came (refused, unknown or accepted).
    pub fn sends_for(&self, order: giro_domain::OrderId) -> Vec<(String, Instant)> {
        self.sends
            .lock()
            .unwrap()
            .iter()
            .filter(|(h, _)| {
                h.parse::<giro_domain::SubmissionHandle>()
                    .map(|h| h.order_id)
                    == Ok(order)
            })
            .cloned()
            .collect()
    }

    /// Payouts created at the provider (not requests).
    pub fn created(&self) -> usize {
        self.state.lock().unwrap().payouts.len()
    }

    pub fn created_for_order(&self, order: giro_domain::OrderId) -> usize {
        let st = self.state.lock().unwrap();
        st.payouts
            .keys()
            .filter(|h| {
                h.parse::<giro_domain::SubmissionHandle>()
                    .map(|h| h.order_id)
                    == Ok(order)
            })
            .count()
    }

    pub fn lowest_balance(&self) -> Decimal {
        self.state.lock().unwrap().min_balance
    }

    pub fn top_up(&self, amount: Decimal) {
        self.state.lock().unwrap().balance += amount;
    }

    fn report(handle_ref: &str, raw: &str, outcome: ReportedOutcome) -> ProviderReport {
        ProviderReport {
            source: ReportSource::Poll,
            raw_status: raw.into(),
            outcome,
            report_id: format!("{handle_ref}:{raw}"),
            provider_ref: Some(handle_ref.into()),
            reason: None,
            fee: None,
            attempt: None,
            amount: None,
            completed_at: None,
            channel_ref: None,
            reported_at: None,
        }
    }
}

impl PayoutProvider for FakeProvider {
    fn submit<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Submission> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            self.sends
                .lock()
                .unwrap()
                .push((order.handle.to_string(), Instant::now()));
            if let Some(delay) = self.behaviour.submit_delay {
                tokio::time::sleep(delay).await;
            }
            if n <= self.behaviour.busy_first {
                let code = self.behaviour.busy_code.unwrap_or("System_busy");
                return Submission::Refused(Refusal::new(
                    RefusalKind::ComeBackAfter(self.behaviour.busy_retry_after),
                    code,
                    format!("not taking payouts now ({code})"),
                ));
            }
            if self.behaviour.unknown_without_storing {
                return Submission::Refused(Refusal::unknown("HTTP 500 System_error"));
            }
            let mut st = self.state.lock().unwrap();
            *st.submissions.entry(order.handle.to_string()).or_default() += 1;
            if let Some((r, _)) = st.payouts.get(order.handle) {
                return Submission::Accepted {
                    provider_ref: Some(r.clone()),
                    raw_status: "PENDING".into(),
                    report: None,
                };
            }
            if self.behaviour.balance.is_some() {
                let amount = order.request.money.amount();
                if st.balance < amount {
                    return Submission::Refused(Refusal::new(
                        RefusalKind::InsufficientFunds,
                        "insufficient_balance",
                        "balance too low",
                    ));
                }
                st.balance -= amount;
                st.min_balance = st.min_balance.min(st.balance);
            }
            let r = format!("P-{}", order.handle);
            st.payouts.insert(order.handle.to_string(), (r.clone(), 0));
            if self.behaviour.lose_every > 0 && n.is_multiple_of(self.behaviour.lose_every) {
                return Submission::Refused(Refusal::unknown("response lost"));
            }
            Submission::Accepted {
                provider_ref: Some(r),
                raw_status: "PENDING".into(),
                report: None,
            }
        })
    }

    fn lookup<'a>(&'a self, order: PayoutOrder<'a>) -> BoxFuture<'a, Lookup> {
        Box::pin(async move {
            if self.behaviour.lookup_fails {
                return Lookup::Failed {
                    reason: "HTTP 503".into(),
                    retry_after: None,
                };
            }
            let mut st = self.state.lock().unwrap();
            match st.payouts.get_mut(order.handle) {
                None => Lookup::NotFound,
                Some((r, polls)) => {
                    *polls += 1;
                    if *polls > self.behaviour.polls_to_success {
                        Lookup::Found(Self::report(r, "SUCCESS", ReportedOutcome::Succeeded))
                    } else {
                        Lookup::Found(Self::report(r, "PROCESSING", ReportedOutcome::InFlight))
                    }
                }
            }
        })
    }

    fn balance<'a>(
        &'a self,
        _currency: Currency,
    ) -> BoxFuture<'a, Option<Result<Decimal, String>>> {
        Box::pin(async move {
            self.behaviour
                .balance
                .map(|_| Ok(self.state.lock().unwrap().balance))
        })
    }
}
