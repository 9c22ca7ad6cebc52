//! The interpreter of [`super::plan`]'s actions for charges: the provider calls and the commands
//! that record what came of them, appended with optimistic concurrency as for payouts.

use std::sync::Arc;
use std::time::Duration;

use giro_domain::charge::{Charge, ChargeCommand, ChargeDecider, ChargeSubmitted};
use giro_domain::{EventMeta, OrderId};
use giro_eventlog::{EventLog, ExecuteError};
use giro_providers::{
    BoxFuture, ChargeOperation, ChargeOrder, ChargeProvider, ChargeSubmission, ChargeView, Refusal,
    RefusalKind,
};

use super::plan::{ChargeAction, plan};
use crate::attempt::AttemptRecord;
use crate::config::Timings;
use crate::retry::Clock;
use crate::runtime::{Next, Steps};

/// Everything a charge step needs.
pub struct ChargeWorker {
    pub log: EventLog,
    pub provider: Arc<dyn ChargeProvider>,
    pub timings: Timings,
}

fn meta(id: OrderId) -> EventMeta {
    EventMeta {
        correlation_id: id.to_string(),
        causation_id: None,
    }
}

/// The wait a refusal asks for ("come back later", after how long), if any.
pub(super) fn asked_wait(r: &Refusal) -> Option<Duration> {
    match r.kind {
        RefusalKind::ComeBackAfter(wait) => wait,
        _ => None,
    }
}

/// The command that records a refused (or perhaps refused) creation, by the refusal's kind.
pub fn refusal_command(attempt: u32, refusal: Refusal) -> ChargeCommand {
    match AttemptRecord::of(attempt, refusal) {
        AttemptRecord::Unknown { reason } => {
            ChargeCommand::RecordOutcomeUnknown { attempt, reason }
        }
        AttemptRecord::Wait(wait) => ChargeCommand::RecordProviderWait(wait),
        AttemptRecord::Failed {
            code,
            message,
            retryable,
        } => ChargeCommand::RecordSubmissionFailure {
            attempt,
            code,
            message,
            retryable,
        },
    }
}

impl Steps for ChargeWorker {
    type Decider = ChargeDecider;
    type Order = Charge;

    fn log(&self) -> &EventLog {
        &self.log
    }

    fn status(order: &Charge) -> &'static str {
        order.status.as_str()
    }

    fn step<'a>(
        &'a self,
        order: &'a Charge,
        deliveries: u64,
    ) -> BoxFuture<'a, Result<Next, ExecuteError>> {
        Box::pin(self.act(order, Clock::now(deliveries)))
    }
}

impl ChargeWorker {
    /// Carries out the plan for `c`.
    pub async fn act(&self, c: &Charge, clock: Clock) -> Result<Next, ExecuteError> {
        let retry = || {
            clock.backoff(
                self.timings.retry_base,
                self.timings.retry_max,
                clock.redeliveries(),
            )
        };
        match plan(c, &self.timings, &clock) {
            ChargeAction::Done => Ok(Next::Ack),
            ChargeAction::Wait(wait) => Ok(Next::After(wait)),
            ChargeAction::Submit => self.submit(c).await,
            ChargeAction::Fail { code, message } => {
                tracing::warn!(order_id = %c.id, %code, %message, "charge failed: no attempts left");
                self.command(c.id, ChargeCommand::Fail { code, message })
                    .await?;
                Ok(Next::Ack)
            }
            ChargeAction::ClaimTimedOut => {
                let reason = "the claiming executor did not report a result in time".to_string();
                let attempt = c.attempt;
                self.command(
                    c.id,
                    ChargeCommand::RecordOutcomeUnknown { attempt, reason },
                )
                .await?;
                Ok(Next::Ack)
            }
            ChargeAction::ReadSubmitted => self.read_submitted(c, retry()).await,
            ChargeAction::AbandonUnknown { message } => {
                tracing::error!(order_id = %c.id, %message, "giving up on an unknown charge attempt");
                let cmd = ChargeCommand::RecordSubmissionFailure {
                    attempt: c.attempt,
                    code: "outcome_unknown".into(),
                    message,
                    retryable: false,
                };
                self.command(c.id, cmd).await?;
                Ok(Next::Ack)
            }
            ChargeAction::Cancel => self.cancel(c, &clock).await,
            ChargeAction::Poll { next } => self.poll(c, next).await,
            ChargeAction::SendCapture { attempt } => self.send_capture(c, attempt, retry()).await,
            ChargeAction::ResolveCapture { attempt } => {
                self.resolve_capture(c, attempt, retry()).await
            }
            ChargeAction::SendRefund { attempt } => self.send_refund(c, attempt).await,
            ChargeAction::ResolveRefund { attempt, why } => {
                self.resolve_refund(c, attempt, &why, retry()).await
            }
            ChargeAction::AbandonRefund { code, reason } => {
                tracing::warn!(order_id = %c.id, %code, %reason, "giving up on a refund");
                self.command(c.id, ChargeCommand::FailRefund { code, reason })
                    .await?;
                Ok(Next::Ack)
            }
        }
    }

    /// Decides and appends `cmd`; whether anything was appended. A refusal means the charge moved
    /// on (another instance, a webhook): its newest event drives it.
    pub(super) async fn command(
        &self,
        id: OrderId,
        cmd: ChargeCommand,
    ) -> Result<bool, ExecuteError> {
        match self
            .log
            .execute::<ChargeDecider>(id, &cmd, &meta(id), false)
            .await
        {
            Ok(done) => Ok(!done.appended.is_empty()),
            Err(ExecuteError::Rejected(r)) => {
                tracing::debug!(order_id = %id, rejection = %r, "step no longer applies");
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Claims the next attempt, creates the charge under its handle, records what came of it.
    async fn submit(&self, c: &Charge) -> Result<Next, ExecuteError> {
        let claimed = self
            .log
            .execute::<ChargeDecider>(c.id, &ChargeCommand::StartSubmission, &meta(c.id), false)
            .await;
        let claimed = match claimed {
            Ok(done) => done.order.state,
            Err(ExecuteError::Rejected(_)) => return Ok(Next::Ack),
            Err(e) => return Err(e),
        };
        let Some(claimed) = claimed else {
            return Ok(Next::Ack);
        };
        let Some(handle) = claimed.handle.as_deref() else {
            return Ok(Next::Ack);
        };
        let order = ChargeOrder {
            id: claimed.id,
            handle,
            request: &claimed.request,
            charge_uuid: claimed.charge_uuid.as_deref(),
        };
        let attempt = claimed.attempt;
        match self.provider.create(order).await {
            ChargeSubmission::Accepted(view) => {
                self.record_view(c.id, attempt, *view).await?;
            }
            ChargeSubmission::Refused(refusal) => {
                if refusal.kind == RefusalKind::OutcomeUnknown {
                    tracing::warn!(order_id = %c.id, attempt, reason = %refusal.message, "charge creation outcome unknown; waiting for the provider to name it");
                }
                self.command(c.id, refusal_command(attempt, refusal))
                    .await?;
            }
        }
        Ok(Next::Ack)
    }

    /// Records that the provider has the attempt's charge (with how the payer pays) and the
    /// status it showed.
    async fn record_view(
        &self,
        id: OrderId,
        attempt: u32,
        view: ChargeView,
    ) -> Result<bool, ExecuteError> {
        let submitted = ChargeSubmitted {
            attempt,
            charge_uuid: view.charge_uuid,
            raw_status: view.raw_status,
            payment: view.payment,
        };
        let a = self
            .command(id, ChargeCommand::RecordSubmitted(submitted))
            .await?;
        let b = self
            .command(id, ChargeCommand::RecordReport(view.report))
            .await?;
        Ok(a || b)
    }

    /// Reads the charge the provider named and records it as the attempt's submission.
    async fn read_submitted(&self, c: &Charge, retry: Duration) -> Result<Next, ExecuteError> {
        let Some(uuid) = c.charge_uuid.as_deref() else {
            return Ok(Next::After(retry));
        };
        match self.provider.read(uuid).await {
            ChargeOperation::Done(view) => {
                self.record_view(c.id, c.attempt, *view).await?;
                Ok(Next::Ack)
            }
            other => {
                tracing::info!(order_id = %c.id, result = ?other, "cannot read the charge yet");
                Ok(Next::After(retry))
            }
        }
    }
}
