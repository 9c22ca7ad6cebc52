//! A55 as a [`ChargeProvider`]: the client's answers sorted by what they prove (done, refused,
//! certainly not done, perhaps done).

use giro_domain::charge::ReportSource;
use rust_decimal::Decimal;

use super::client::{A55Client, A55Error};
use super::wire::Charge;
use crate::capability::{
    BoxFuture, ChargeOperation, ChargeOrder, ChargeProvider, ChargeSubmission, ChargeView, Refusal,
    RefusalKind,
};

fn view(charge: &Charge, source: ReportSource) -> ChargeView {
    ChargeView {
        charge_uuid: charge.charge_uuid.clone(),
        raw_status: charge.status.clone(),
        payment: charge.payment(),
        report: charge.report(source),
    }
}

/// A55's "retry with exponential backoff" error: it answers so before creating anything, so a
/// creation that got it is a retryable refusal, not an unknown outcome.
const UNEXPECTED: &str = "errors.unexpected";

fn is_unexpected(e: &A55Error) -> bool {
    matches!(e, A55Error::Server { code, message, .. }
        if code == UNEXPECTED || message.contains(UNEXPECTED))
}

/// The one refusal kind an A55 error means: judged (4xx, or refused by Giro before sending),
/// perhaps done (answer lost, 5xx), rate limited ("come back later", with its wait), or not sent.
fn refusal(e: &A55Error) -> Refusal {
    let (kind, code) = match e {
        A55Error::Refused { code, .. } => (RefusalKind::Final, code.clone()),
        A55Error::Invalid(u) => (RefusalKind::Final, format!("invalid_{}", u.field)),
        _ if is_unexpected(e) => (RefusalKind::Retryable, UNEXPECTED.to_string()),
        _ if e.may_have_happened() => (RefusalKind::OutcomeUnknown, "outcome_unknown".into()),
        A55Error::RateLimited { retry_after } => (
            RefusalKind::ComeBackAfter(*retry_after),
            "rate_limited".into(),
        ),
        A55Error::Auth(_) => (RefusalKind::Retryable, "auth".into()),
        _ => (RefusalKind::Retryable, "not_sent".into()),
    };
    Refusal::new(kind, code, e.to_string())
}

fn operation(result: Result<Charge, A55Error>, source: ReportSource) -> ChargeOperation {
    match result {
        Ok(charge) => ChargeOperation::Done(Box::new(view(&charge, source))),
        // Only a creation has a retryable reading of `errors.unexpected`: for an operation on
        // an existing charge a 5xx may have been carried out.
        Err(e) if e.may_have_happened() => {
            ChargeOperation::Refused(Refusal::unknown(e.to_string()))
        }
        Err(e) => ChargeOperation::Refused(refusal(&e)),
    }
}

impl ChargeProvider for A55Client {
    fn create<'a>(&'a self, order: ChargeOrder<'a>) -> BoxFuture<'a, ChargeSubmission> {
        Box::pin(async move {
            match self.create_charge(order.handle, order.request).await {
                Ok(charge) => ChargeSubmission::Accepted(Box::new(view(
                    &charge,
                    ReportSource::SubmitResponse,
                ))),
                Err(e) => ChargeSubmission::Refused(refusal(&e)),
            }
        })
    }

    fn read<'a>(&'a self, charge_uuid: &'a str) -> BoxFuture<'a, ChargeOperation> {
        Box::pin(async move { operation(self.get_charge(charge_uuid).await, ReportSource::Poll) })
    }

    fn cancel<'a>(&'a self, charge_uuid: &'a str) -> BoxFuture<'a, ChargeOperation> {
        Box::pin(async move {
            operation(
                A55Client::cancel(self, charge_uuid).await,
                ReportSource::SubmitResponse,
            )
        })
    }

    fn capture<'a>(
        &'a self,
        charge_uuid: &'a str,
        amount: Option<Decimal>,
    ) -> BoxFuture<'a, ChargeOperation> {
        Box::pin(async move {
            operation(
                A55Client::capture(self, charge_uuid, amount).await,
                ReportSource::SubmitResponse,
            )
        })
    }

    fn refund<'a>(
        &'a self,
        charge_uuid: &'a str,
        amount: Option<Decimal>,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, ChargeOperation> {
        Box::pin(async move {
            operation(
                A55Client::refund(self, charge_uuid, amount, reason).await,
                ReportSource::SubmitResponse,
            )
        })
    }
}
