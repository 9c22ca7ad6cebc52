//! Operations on a charge the provider has: polling, cancelling, and the pending refund, each
//! refund attempt claimed in the log before it is sent so that none is ever sent twice.

use std::time::Duration;

use giro_domain::charge::{Charge, ChargeCommand, ChargeOutcome, ChargeReport};
use giro_eventlog::ExecuteError;
use giro_providers::{ChargeOperation, RefusalKind};

use super::act::{ChargeWorker, asked_wait};
use crate::retry::Clock;
use crate::runtime::Next;

impl ChargeWorker {
    /// Reads the charge and records its status; the next look after `wait` if nothing changed.
    pub(super) async fn poll(&self, c: &Charge, wait: Duration) -> Result<Next, ExecuteError> {
        let Some(uuid) = c.charge_uuid.as_deref() else {
            return Ok(Next::After(wait));
        };
        match self.provider.read(uuid).await {
            ChargeOperation::Done(view) => {
                let appended = self
                    .command(c.id, ChargeCommand::RecordReport(view.report))
                    .await?;
                Ok(if appended {
                    Next::Ack
                } else {
                    Next::After(wait)
                })
            }
            ChargeOperation::Refused(r) => {
                tracing::info!(order_id = %c.id, reason = %r.message, "poll gave no status; retrying");
                Ok(Next::After(asked_wait(&r).unwrap_or(wait)))
            }
        }
    }

    /// Asks the provider to cancel; its answer (or, if it refuses, the charge as it now is) is
    /// recorded, and the `canceled` report completes the cancellation.
    pub(super) async fn cancel(&self, c: &Charge, clock: &Clock) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        let retry = clock.backoff(t.retry_base, t.retry_max, clock.redeliveries());
        let wait = clock.backoff(t.poll_after, t.poll_max, clock.redeliveries());
        let Some(uuid) = c.charge_uuid.as_deref() else {
            return Ok(Next::After(wait));
        };
        let view = match self.provider.cancel(uuid).await {
            ChargeOperation::Done(view) => view,
            ChargeOperation::Refused(r) if r.kind == RefusalKind::Final => {
                tracing::info!(order_id = %c.id, code = %r.code, reason = %r.message, "the provider refused the cancellation; reading the charge");
                match self.provider.read(uuid).await {
                    ChargeOperation::Done(view) => view,
                    ChargeOperation::Refused(_) => return Ok(Next::After(retry)),
                }
            }
            ChargeOperation::Refused(r) => {
                tracing::info!(order_id = %c.id, reason = %r.message, "cancellation not done or its outcome unknown; asking again");
                return Ok(Next::After(asked_wait(&r).unwrap_or(retry)));
            }
        };
        let appended = self
            .command(c.id, ChargeCommand::RecordReport(view.report))
            .await?;
        Ok(if appended {
            Next::Ack
        } else {
            Next::After(wait)
        })
    }

    /// Claims refund attempt `attempt`, asks the provider, and records what came of it.
    pub(super) async fn send_refund(&self, c: &Charge, attempt: u32) -> Result<Next, ExecuteError> {
        let (Some(uuid), Some(request)) = (c.charge_uuid.as_deref(), c.refund_requested.as_ref())
        else {
            tracing::error!(order_id = %c.id, "a refund of a charge with no provider id");
            return Ok(Next::Ack);
        };
        if !self
            .command(c.id, ChargeCommand::StartRefundAttempt { attempt })
            .await?
        {
            // Another instance claimed this attempt; its record drives the charge.
            return Ok(Next::Ack);
        }
        let reason = request.reason.as_deref();
        let cmd = match self.provider.refund(uuid, request.amount, reason).await {
            ChargeOperation::Done(view) => return self.record_refund(c, view.report).await,
            ChargeOperation::Refused(r) => match r.kind {
                RefusalKind::Final => {
                    tracing::warn!(order_id = %c.id, code = %r.code, reason = %r.message, "the provider refused the refund");
                    ChargeCommand::FailRefund {
                        code: "refund_refused".into(),
                        reason: format!("{}: {}", r.code, r.message),
                    }
                }
                RefusalKind::OutcomeUnknown => {
                    tracing::warn!(order_id = %c.id, reason = %r.message, "refund outcome unknown; reading before anything else");
                    ChargeCommand::RecordRefundUnknown {
                        attempt,
                        reason: r.message,
                    }
                }
                RefusalKind::Retryable
                | RefusalKind::InsufficientFunds
                | RefusalKind::ComeBackAfter(_) => {
                    tracing::info!(order_id = %c.id, reason = %r.message, "refund not sent; retrying");
                    let wait_ms = asked_wait(&r).map(crate::attempt::millis);
                    ChargeCommand::RecordRefundNotSent {
                        attempt,
                        reason: r.message,
                        wait_ms,
                    }
                }
            },
        };
        self.command(c.id, cmd).await?;
        Ok(Next::Ack)
    }

    /// A refund attempt may have reached the provider: read the charge. A first refund shows in
    /// its status (`refunded`: it happened; still `paid` or `confirmed`: it did not, and may be
    /// sent again); anything else cannot be told apart, and is not sent again: the provider shows
    /// one `refunded` status whatever the amount, so the refund is closed as `refund_unknown` for a
    /// person to decide.
    pub(super) async fn resolve_refund(
        &self,
        c: &Charge,
        attempt: u32,
        why: &str,
        retry: Duration,
    ) -> Result<Next, ExecuteError> {
        let Some(uuid) = c.charge_uuid.as_deref() else {
            return Ok(Next::Ack);
        };
        let view = match self.provider.read(uuid).await {
            ChargeOperation::Done(view) => view,
            ChargeOperation::Refused(r) => {
                tracing::info!(order_id = %c.id, reason = %r.message, "cannot read the charge to resolve a refund; retrying");
                return Ok(Next::After(asked_wait(&r).map_or(retry, |w| w.max(retry))));
            }
        };
        if c.refunded.is_zero() {
            match view.report.outcome {
                ChargeOutcome::Refunded => return self.record_refund(c, view.report).await,
                ChargeOutcome::Paid | ChargeOutcome::Confirmed => {
                    let reason = format!(
                        "the charge still reads {}: refund attempt {attempt} did not happen ({why})",
                        view.raw_status
                    );
                    tracing::info!(order_id = %c.id, %reason, "sending the refund again");
                    let cmd = ChargeCommand::RecordRefundNotSent {
                        attempt,
                        reason,
                        wait_ms: None,
                    };
                    self.command(c.id, cmd).await?;
                    return Ok(Next::Ack);
                }
                _ => {}
            }
        }
        let reason = format!(
            "refund attempt {attempt} may have reached the provider ({why}) and reading the charge ({}) \
             cannot tell whether it happened: the provider shows one refunded status whatever the \
             amount. It is not sent again; check the charge at the provider before asking for this \
             refund again",
            view.raw_status
        );
        tracing::error!(order_id = %c.id, %reason, "refund outcome cannot be resolved");
        let cmd = ChargeCommand::FailRefund {
            code: "refund_unknown".into(),
            reason,
        };
        self.command(c.id, cmd).await?;
        Ok(Next::Ack)
    }

    /// Records the provider's answer to a refund with the amount asked. The first refund's report
    /// is the webhook's (`<uuid>:REFUNDED`, so the two are one); later ones are told apart by what
    /// was refunded before them.
    async fn record_refund(
        &self,
        c: &Charge,
        mut report: ChargeReport,
    ) -> Result<Next, ExecuteError> {
        report.amount = c.refund_requested.as_ref().and_then(|r| r.amount);
        if !c.refunded.is_zero() {
            report.report_id = format!("{}:{}", report.report_id, c.refunded);
        }
        let appended = self
            .command(c.id, ChargeCommand::RecordReport(report))
            .await?;
        Ok(if appended {
            Next::Ack
        } else {
            Next::After(self.timings.poll_after)
        })
    }
}
