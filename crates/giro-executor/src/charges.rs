//! What an executor does for a charge, given its state rebuilt from the log: claim an attempt,
//! create the charge at the provider, resolve an unknown outcome by asking (never by sending
//! again), poll when webhooks are late, and carry out the cancellations and refunds the log asks
//! for. Every step is a command appended with optimistic concurrency, as for payouts.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use giro_domain::charge::{
    Charge, ChargeCommand, ChargeDecider, ChargeOutcome, ChargeReport, ChargeStatus,
    ChargeSubmitted, ReportSource,
};
use giro_domain::{EventMeta, OrderId};
use giro_eventlog::{EventLog, ExecuteError};

use crate::config::Timings;
use crate::provider::{
    BoxFuture, ChargeOperation, ChargeOrder, ChargeProvider, ChargeSubmission, ChargeView,
};
use crate::runtime::{Next, Steps, backoff};

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

fn since(c: &Charge) -> Duration {
    (Utc::now() - c.status_since).to_std().unwrap_or_default()
}

fn n(deliveries: u64) -> u32 {
    u32::try_from(deliveries.saturating_sub(1)).unwrap_or(u32::MAX)
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
        Box::pin(ChargeWorker::step(self, order, deliveries))
    }
}

impl ChargeWorker {
    /// Decides and appends `cmd`; whether anything was appended. A refusal means the charge moved
    /// on (another instance, a webhook): its newest event drives it.
    async fn command(&self, id: OrderId, cmd: ChargeCommand) -> Result<bool, ExecuteError> {
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

    /// One step for a charge whose latest event woke us; `deliveries` counts how often this
    /// event's message has been delivered.
    pub async fn step(&self, c: &Charge, deliveries: u64) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        match c.status {
            ChargeStatus::Requested => {
                if c.attempt >= t.max_attempts {
                    let (code, message) = c
                        .failure
                        .as_ref()
                        .map(|f| (f.code.clone(), f.message.clone()))
                        .unwrap_or_else(|| {
                            ("attempts_exhausted".into(), "no attempt succeeded".into())
                        });
                    let message = format!("gave up after {} attempts: {message}", c.attempt);
                    self.command(c.id, ChargeCommand::Fail { code, message })
                        .await?;
                    return Ok(Next::Ack);
                }
                if c.attempt > 0 {
                    let wait = backoff(t.retry_base, t.retry_max, c.attempt - 1);
                    if since(c) < wait {
                        return Ok(Next::After(wait - since(c)));
                    }
                }
                self.submit(c).await
            }
            ChargeStatus::Submitting if !c.outcome_unknown => {
                if since(c) < t.claim_timeout {
                    return Ok(Next::After(t.claim_timeout - since(c)));
                }
                let reason = "the claiming executor did not report a result in time".to_string();
                let cmd = ChargeCommand::RecordOutcomeUnknown {
                    attempt: c.attempt,
                    reason,
                };
                self.command(c.id, cmd).await?;
                Ok(Next::Ack)
            }
            ChargeStatus::Submitting => self.resolve_unknown(c, deliveries).await,
            ChargeStatus::Pending | ChargeStatus::Authorized | ChargeStatus::Confirmed => {
                self.at_provider(c, deliveries).await
            }
            ChargeStatus::Paid if c.refund_requested.is_some() => self.refund(c, deliveries).await,
            ChargeStatus::Paid
            | ChargeStatus::Failed
            | ChargeStatus::Cancelled
            | ChargeStatus::Refunded
            | ChargeStatus::Chargeback => Ok(Next::Ack),
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
        let outcome = self.provider.create(order).await;
        let attempt = claimed.attempt;
        match outcome {
            ChargeSubmission::Accepted(view) => {
                self.record_view(c.id, attempt, *view).await?;
            }
            ChargeSubmission::Refused {
                code,
                message,
                retryable,
                ..
            } => {
                let cmd = ChargeCommand::RecordSubmissionFailure {
                    attempt,
                    code,
                    message,
                    retryable,
                };
                self.command(c.id, cmd).await?;
            }
            ChargeSubmission::Unknown { reason } => {
                tracing::warn!(order_id = %c.id, attempt, %reason, "charge creation outcome unknown; waiting for the provider to name it");
                let cmd = ChargeCommand::RecordOutcomeUnknown { attempt, reason };
                self.command(c.id, cmd).await?;
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

    /// The creation may have reached the provider. With the charge's id (from a webhook) it is
    /// read; without it, only the provider's webhook (carrying our handle) can name it, so the
    /// attempt waits for it, and fails (never resends) once the provider would have given up.
    async fn resolve_unknown(&self, c: &Charge, deliveries: u64) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        if let Some(uuid) = c.charge_uuid.as_deref() {
            return match self.provider.read(uuid).await {
                ChargeOperation::Done(view) => {
                    self.record_view(c.id, c.attempt, *view).await?;
                    Ok(Next::Ack)
                }
                other => {
                    tracing::info!(order_id = %c.id, result = ?other, "cannot read the charge yet");
                    Ok(Next::After(backoff(
                        t.retry_base,
                        t.retry_max,
                        n(deliveries),
                    )))
                }
            };
        }
        let waited = since(c);
        if waited >= t.unknown_timeout {
            let message = format!(
                "the provider's answer to attempt {} was lost and no webhook named the charge \
                 within {:?}; it is not sent again",
                c.attempt, t.unknown_timeout
            );
            tracing::error!(order_id = %c.id, %message, "giving up on an unknown charge attempt");
            let cmd = ChargeCommand::RecordSubmissionFailure {
                attempt: c.attempt,
                code: "outcome_unknown".into(),
                message,
                retryable: false,
            };
            self.command(c.id, cmd).await?;
            return Ok(Next::Ack);
        }
        tracing::info!(order_id = %c.id, attempt = c.attempt, "waiting for the provider's webhook to name a charge whose answer was lost");
        let wait = backoff(t.poll_after, t.poll_max, n(deliveries)).min(t.unknown_timeout - waited);
        Ok(Next::After(wait))
    }

    /// A charge the provider has: complete a submission known only from a webhook, carry out a
    /// requested cancellation, or poll when the webhooks are late.
    async fn at_provider(&self, c: &Charge, deliveries: u64) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        let wait = backoff(t.poll_after, t.poll_max, n(deliveries));
        let Some(uuid) = c.charge_uuid.as_deref() else {
            tracing::warn!(order_id = %c.id, "a charge at the provider without its id");
            return Ok(Next::After(wait));
        };
        if c.submitted_attempt != Some(c.attempt) {
            // Named by a webhook after a lost answer: read how the payer pays.
            return match self.provider.read(uuid).await {
                ChargeOperation::Done(view) => {
                    self.record_view(c.id, c.attempt, *view).await?;
                    Ok(Next::Ack)
                }
                other => {
                    tracing::info!(order_id = %c.id, result = ?other, "cannot read the charge yet");
                    Ok(Next::After(backoff(
                        t.retry_base,
                        t.retry_max,
                        n(deliveries),
                    )))
                }
            };
        }
        if c.cancel_requested.is_some() {
            return self.cancel(c, uuid, deliveries).await;
        }
        if deliveries <= 1 || since(c) < t.poll_after {
            return Ok(Next::After(wait));
        }
        self.poll(c, uuid, wait).await
    }

    /// Reads the charge and records its status; the next look after `wait` if nothing changed.
    async fn poll(&self, c: &Charge, uuid: &str, wait: Duration) -> Result<Next, ExecuteError> {
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
            ChargeOperation::Failed {
                reason,
                retry_after,
            } => {
                tracing::info!(order_id = %c.id, %reason, "poll failed; retrying");
                Ok(Next::After(retry_after.unwrap_or(wait)))
            }
            other => {
                tracing::warn!(order_id = %c.id, result = ?other, "poll gave no status");
                Ok(Next::After(wait))
            }
        }
    }

    /// Asks the provider to cancel; its answer (or, if it refuses, the charge as it now is) is
    /// recorded, and the `canceled` report completes the cancellation.
    async fn cancel(&self, c: &Charge, uuid: &str, deliveries: u64) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        let retry = backoff(t.retry_base, t.retry_max, n(deliveries));
        let wait = backoff(t.poll_after, t.poll_max, n(deliveries));
        let view = match self.provider.cancel(uuid).await {
            ChargeOperation::Done(view) => view,
            ChargeOperation::Refused { code, message } => {
                tracing::info!(order_id = %c.id, %code, %message, "the provider refused the cancellation; reading the charge");
                match self.provider.read(uuid).await {
                    ChargeOperation::Done(view) => view,
                    _ => return Ok(Next::After(retry)),
                }
            }
            ChargeOperation::Failed {
                reason,
                retry_after,
            } => {
                tracing::info!(order_id = %c.id, %reason, "cancellation not sent; retrying");
                return Ok(Next::After(retry_after.unwrap_or(retry)));
            }
            ChargeOperation::Unknown { reason } => {
                tracing::info!(order_id = %c.id, %reason, "cancellation outcome unknown; asking again");
                return Ok(Next::After(retry));
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

    /// Carries out the requested refund. A retry after an unknown outcome reads the charge first,
    /// so a refund that happened is recorded rather than asked again.
    async fn refund(&self, c: &Charge, deliveries: u64) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        let retry = backoff(t.retry_base, t.retry_max, n(deliveries));
        let (Some(uuid), Some(request)) = (c.charge_uuid.as_deref(), c.refund_requested.as_ref())
        else {
            tracing::error!(order_id = %c.id, "a refund of a charge with no provider id");
            return Ok(Next::Ack);
        };
        // A55 shows one `refunded` status whatever the amount, so only a first refund can be
        // recognised by reading the charge.
        if deliveries > 1 && c.refunded.is_zero() {
            match self.provider.read(uuid).await {
                ChargeOperation::Done(view) if view.report.outcome == ChargeOutcome::Refunded => {
                    return self.record_refund(c, view.report).await;
                }
                ChargeOperation::Done(_) => {}
                _ => return Ok(Next::After(retry)),
            }
        }
        let reason = request.reason.as_deref();
        match self.provider.refund(uuid, request.amount, reason).await {
            ChargeOperation::Done(view) => self.record_refund(c, view.report).await,
            ChargeOperation::Refused { code, message } => {
                tracing::warn!(order_id = %c.id, %code, %message, "the provider refused the refund");
                let report = ChargeReport {
                    source: ReportSource::SubmitResponse,
                    raw_status: "refund_error".into(),
                    outcome: ChargeOutcome::RefundFailed,
                    report_id: format!("{uuid}:REFUND_REFUSED:{}", c.version),
                    charge_uuid: Some(uuid.to_string()),
                    reason: Some(format!("{code}: {message}")),
                    amount: request.amount,
                    reported_at: None,
                };
                self.command(c.id, ChargeCommand::RecordReport(report))
                    .await?;
                Ok(Next::Ack)
            }
            ChargeOperation::Failed {
                reason,
                retry_after,
            } => {
                tracing::info!(order_id = %c.id, %reason, "refund not sent; retrying");
                Ok(Next::After(retry_after.unwrap_or(retry)))
            }
            ChargeOperation::Unknown { reason } => {
                tracing::warn!(order_id = %c.id, %reason, "refund outcome unknown; reading before asking again");
                Ok(Next::After(retry))
            }
        }
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
        let t = &self.timings;
        Ok(if appended {
            Next::Ack
        } else {
            Next::After(t.poll_after)
        })
    }
}
