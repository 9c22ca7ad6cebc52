//! A scripted A55 for charge runtime tests: charges are paid as soon as they are created, a read
//! shows one `refunded` status whatever was refunded (as A55 does), and refunds answer as
//! scripted, so a lost answer after the refund happened can be staged exactly.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use giro_domain::charge::{ChargeOutcome, ChargeReport, PaymentDetails, ReportSource};
use giro_providers::{
    BoxFuture, ChargeOperation, ChargeOrder, ChargeProvider, ChargeSubmission, ChargeView, Refusal,
    RefusalKind,
};
use rust_decimal::Decimal;

/// How the next refund call answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundAnswer {
    /// Refunded, and the answer says so.
    Done,
    /// Refunded, but the answer was lost.
    Lost,
    /// Certainly not sent (rate limited), with the wait the provider announced.
    NotSent(Option<Duration>),
}

/// One refund call.
#[derive(Debug, Clone)]
pub struct RefundCall {
    pub amount: Option<Decimal>,
    pub at: Instant,
    /// Whether the provider refunded.
    pub refunded: bool,
}

#[derive(Default)]
pub struct FakeCharges {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// charge_uuid -> status
    charges: HashMap<String, String>,
    script: VecDeque<RefundAnswer>,
    refunds: Vec<RefundCall>,
}

fn view(uuid: &str, status: &str) -> ChargeView {
    let outcome = match status {
        "paid" => ChargeOutcome::Paid,
        "refunded" => ChargeOutcome::Refunded,
        _ => ChargeOutcome::Unknown,
    };
    ChargeView {
        charge_uuid: uuid.into(),
        raw_status: status.into(),
        payment: PaymentDetails::default(),
        report: ChargeReport {
            source: ReportSource::Poll,
            raw_status: status.into(),
            outcome,
            report_id: format!("{uuid}:{}", status.to_uppercase()),
            charge_uuid: Some(uuid.into()),
            reason: None,
            amount: None,
            attempt: None,
            reported_at: None,
            currency: None,
        },
    }
}

impl FakeCharges {
    /// Refund calls answer as `script` says, then `Done`.
    pub fn new(script: Vec<RefundAnswer>) -> Self {
        FakeCharges {
            state: Mutex::new(State {
                script: script.into(),
                ..Default::default()
            }),
        }
    }

    pub fn refund_calls(&self) -> Vec<RefundCall> {
        self.state.lock().unwrap().refunds.clone()
    }
}

impl ChargeProvider for FakeCharges {
    fn create<'a>(&'a self, order: ChargeOrder<'a>) -> BoxFuture<'a, ChargeSubmission> {
        Box::pin(async move {
            let uuid = format!("ch-{}", order.handle);
            let mut st = self.state.lock().unwrap();
            st.charges.insert(uuid.clone(), "paid".into());
            ChargeSubmission::Accepted(Box::new(view(&uuid, "paid")))
        })
    }

    fn read<'a>(&'a self, charge_uuid: &'a str) -> BoxFuture<'a, ChargeOperation> {
        Box::pin(async move {
            let st = self.state.lock().unwrap();
            match st.charges.get(charge_uuid) {
                Some(status) => ChargeOperation::Done(Box::new(view(charge_uuid, status))),
                None => ChargeOperation::Refused(Refusal::new(
                    RefusalKind::Final,
                    "errors.charge.not_found",
                    "no such charge",
                )),
            }
        })
    }

    fn cancel<'a>(&'a self, _charge_uuid: &'a str) -> BoxFuture<'a, ChargeOperation> {
        Box::pin(async move {
            ChargeOperation::Refused(Refusal::new(
                RefusalKind::Final,
                "errors.charge.already_settled",
                "paid",
            ))
        })
    }

    /// Every charge of this fake is paid at once: none is ever authorised only.
    fn capture<'a>(
        &'a self,
        _charge_uuid: &'a str,
        _amount: Option<Decimal>,
    ) -> BoxFuture<'a, ChargeOperation> {
        Box::pin(async move {
            ChargeOperation::Refused(Refusal::new(
                RefusalKind::Final,
                "errors.charge.not_capturable",
                "A paid charge cannot be captured",
            ))
        })
    }

    fn refund<'a>(
        &'a self,
        charge_uuid: &'a str,
        amount: Option<Decimal>,
        _reason: Option<&'a str>,
    ) -> BoxFuture<'a, ChargeOperation> {
        Box::pin(async move {
            let mut st = self.state.lock().unwrap();
            let answer = st.script.pop_front().unwrap_or(RefundAnswer::Done);
            let refunded = !matches!(answer, RefundAnswer::NotSent(_));
            st.refunds.push(RefundCall {
                amount,
                at: Instant::now(),
                refunded,
            });
            if refunded {
                st.charges.insert(charge_uuid.into(), "refunded".into());
            }
            match answer {
                RefundAnswer::Done => {
                    ChargeOperation::Done(Box::new(view(charge_uuid, "refunded")))
                }
                RefundAnswer::Lost => ChargeOperation::Refused(Refusal::unknown(
                    "A55's answer was lost: connection closed",
                )),
                RefundAnswer::NotSent(retry_after) => ChargeOperation::Refused(Refusal::new(
                    RefusalKind::ComeBackAfter(retry_after),
                    "rate_limited",
                    "A55 is rate limiting (HTTP 429)",
                )),
            }
        })
    }
}
