//! A55 as a [`ChargeProvider`]: the client's answers sorted by what they prove (done, refused,
//! certainly not done, perhaps done).

use giro_domain::charge::ReportSource;
use rust_decimal::Decimal;

use super::client::{A55Client, A55Error};
use super::wire::Charge;
use crate::capability::{
    BoxFuture, ChargeOperation, ChargeOrder, ChargeProvider, ChargeSubmission, ChargeView,
};

fn view(charge: &Charge, source: ReportSource) -> ChargeView {
    ChargeView {
        charge_uuid: charge.charge_uuid.clone(),
        raw_status: charge.status.clone(),
        payment: charge.payment(),
        report: charge.report(source),
    }
}

fn retry_after(e: &A55Error) -> Option<std::time::Duration> {
    match e {
        A55Error::RateLimited { retry_after } => *retry_after,
        _ => None,
    }
}

/// A55's "retry with exponential backoff" error: it answers so before creating anything, so a
/// creation that got it is a retryable refusal, not an unknown outcome.
const UNEXPECTED: &str = "errors.unexpected";

fn is_unexpected(e: &A55Error) -> bool {
    matches!(e, A55Error::Server { code, message, .. }
        if code == UNEXPECTED || message.contains(UNEXPECTED))
}

fn operation(result: Result<Charge, A55Error>, source: ReportSource) -> ChargeOperation {
    match result {
        Ok(charge) => ChargeOperation::Done(Box::new(view(&charge, source))),
        Err(A55Error::Refused { code, message, .. }) => ChargeOperation::Refused { code, message },
        Err(e) if e.may_have_happened() => ChargeOperation::Unknown {
            reason: e.to_string(),
        },
        Err(e) => ChargeOperation::Failed {
            retry_after: retry_after(&e),
            reason: e.to_string(),
        },
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
                Err(e) if is_unexpected(&e) => ChargeSubmission::Refused {
                    code: UNEXPECTED.into(),
                    message: e.to_string(),
                    retryable: true,
                    retry_after: None,
                },
                Err(e) if e.may_have_happened() => ChargeSubmission::Unknown {
                    reason: e.to_string(),
                },
                Err(e) => {
                    let code = match &e {
                        A55Error::Refused { code, .. } => code.clone(),
                        A55Error::Invalid(u) => format!("invalid_{}", u.field),
                        A55Error::RateLimited { .. } => "rate_limited".into(),
                        A55Error::Auth(_) => "auth".into(),
                        _ => "not_sent".into(),
                    };
                    ChargeSubmission::Refused {
                        code,
                        retryable: e.is_retryable(),
                        retry_after: retry_after(&e),
                        message: e.to_string(),
                    }
                }
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
