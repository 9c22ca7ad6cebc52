//! What an executor does for a payout, given its state rebuilt from the log. Every step is a
//! command decided against the current state and appended with optimistic concurrency, so any
//! number of instances may race on one order and exactly one wins each step.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use giro_domain::payout::{Payout, PayoutCommand, PayoutDecider, PayoutStatus};
use giro_domain::{EventMeta, OrderId};
use giro_eventlog::{EventLog, ExecuteError};

use crate::config::Timings;
use crate::funds::Funds;
use crate::provider::{BoxFuture, Lookup, PayoutOrder, PayoutProvider, Submission};
use crate::runtime::Steps;
pub use crate::runtime::{Next, backoff};

/// Everything a payout step needs.
pub struct PayoutWorker {
    pub log: EventLog,
    pub provider: Arc<dyn PayoutProvider>,
    pub funds: Option<Funds>,
    pub timings: Timings,
}

fn meta(id: OrderId) -> EventMeta {
    EventMeta {
        correlation_id: id.to_string(),
        causation_id: None,
    }
}

fn since(p: &Payout) -> Duration {
    (Utc::now() - p.status_since).to_std().unwrap_or_default()
}

impl Steps for PayoutWorker {
    type Decider = PayoutDecider;
    type Order = Payout;

    fn log(&self) -> &EventLog {
        &self.log
    }

    fn status(order: &Payout) -> &'static str {
        order.status.as_str()
    }

    fn step<'a>(
        &'a self,
        order: &'a Payout,
        deliveries: u64,
    ) -> BoxFuture<'a, Result<Next, ExecuteError>> {
        Box::pin(PayoutWorker::step(self, order, deliveries))
    }
}

impl PayoutWorker {
    async fn command(&self, id: OrderId, cmd: PayoutCommand) -> Result<(), ExecuteError> {
        match self
            .log
            .execute::<PayoutDecider>(id, &cmd, &meta(id), false)
            .await
        {
            Ok(_) => Ok(()),
            Err(ExecuteError::Rejected(r)) => {
                // The order moved on (another instance, a callback); its newest event drives it.
                tracing::debug!(order_id = %id, rejection = %r, "step no longer applies");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// One step for a payout whose latest event woke us; `deliveries` counts how often this
    /// event's message has been delivered (it grows while the order sleeps on it).
    pub async fn step(&self, p: &Payout, deliveries: u64) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        match p.status {
            PayoutStatus::Requested => {
                if p.attempt >= t.max_attempts {
                    let (code, message) = p
                        .failure
                        .as_ref()
                        .map(|f| (f.code.clone(), f.message.clone()))
                        .unwrap_or_else(|| {
                            ("attempts_exhausted".into(), "no attempt succeeded".into())
                        });
                    let message = format!("gave up after {} attempts: {message}", p.attempt);
                    self.command(p.id, PayoutCommand::Fail { code, message })
                        .await?;
                    return Ok(Next::Ack);
                }
                if p.attempt > 0 {
                    let wait = backoff(t.retry_base, t.retry_max, p.attempt - 1);
                    if since(p) < wait {
                        return Ok(Next::After(wait - since(p)));
                    }
                }
                self.fund_and_submit(p).await
            }
            PayoutStatus::Held => {
                if since(p) > t.hold_timeout {
                    let message = format!(
                        "held for more than {:?} waiting for funds: {}",
                        t.hold_timeout,
                        p.hold_reason.clone().unwrap_or_default()
                    );
                    let code = "insufficient_funds".to_string();
                    self.command(p.id, PayoutCommand::Fail { code, message })
                        .await?;
                    return Ok(Next::Ack);
                }
                self.fund_and_submit(p).await
            }
            PayoutStatus::Submitting if !p.outcome_unknown => {
                // A claim whose owner has not reported: still working, or gone.
                if since(p) < t.claim_timeout {
                    return Ok(Next::After(t.claim_timeout - since(p)));
                }
                let reason = "the claiming executor did not report a result in time".to_string();
                self.command(
                    p.id,
                    PayoutCommand::RecordOutcomeUnknown {
                        attempt: p.attempt,
                        reason,
                    },
                )
                .await?;
                Ok(Next::Ack)
            }
            PayoutStatus::Submitting => self.resolve_unknown(p, deliveries).await,
            PayoutStatus::Submitted | PayoutStatus::Processing => {
                let wait = backoff(
                    t.poll_after,
                    t.poll_max,
                    deliveries.saturating_sub(1) as u32,
                );
                if deliveries <= 1 || since(p) < t.poll_after {
                    return Ok(Next::After(wait));
                }
                self.poll(p, wait).await
            }
            PayoutStatus::Succeeded
            | PayoutStatus::Failed
            | PayoutStatus::Cancelled
            | PayoutStatus::Reversed
            | PayoutStatus::Refunded => Ok(Next::Ack),
        }
    }

    fn order<'a>(&self, p: &'a Payout) -> Option<PayoutOrder<'a>> {
        Some(PayoutOrder {
            id: p.id,
            handle: p.handle.as_deref()?,
            request: &p.request,
            provider_ref: p.provider_ref.as_deref(),
        })
    }

    /// Reserves funds (pre-funded providers), claims the next attempt, calls the provider, and
    /// records what came of it.
    async fn fund_and_submit(&self, p: &Payout) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        if let Some(funds) = &self.funds {
            let money = p.request.money;
            let provider = self.provider.clone();
            let reserved = funds
                .reserve(p.id, money.amount(), || {
                    let provider = provider.clone();
                    async move {
                        match provider.balance(money.currency()).await {
                            Some(result) => result,
                            None => Err("the provider reports no balance".to_string()),
                        }
                    }
                })
                .await;
            match reserved {
                Ok(true) => {}
                Ok(false) => {
                    if p.status == PayoutStatus::Requested {
                        let reason = format!("waiting for {money} of pre-funded balance");
                        self.command(p.id, PayoutCommand::Hold { reason }).await?;
                        return Ok(Next::Ack);
                    }
                    return Ok(Next::After(t.hold_recheck));
                }
                Err(e) => {
                    tracing::warn!(order_id = %p.id, error = %e, "cannot check funds; retrying");
                    return Ok(Next::After(backoff(t.retry_base, t.retry_max, 0)));
                }
            }
        }
        let claimed = self
            .log
            .execute::<PayoutDecider>(p.id, &PayoutCommand::StartSubmission, &meta(p.id), false)
            .await;
        let claimed = match claimed {
            Ok(done) => done.order.state,
            Err(ExecuteError::Rejected(_)) => {
                self.release(p.id).await;
                return Ok(Next::Ack);
            }
            Err(e) => {
                self.release(p.id).await;
                return Err(e);
            }
        };
        let Some(claimed) = claimed else {
            return Ok(Next::Ack);
        };
        let Some(order) = self.order(&claimed) else {
            return Ok(Next::Ack);
        };
        let outcome = self.provider.submit(order).await;
        let result = self.record_submission(&claimed, outcome).await;
        self.release(p.id).await;
        result
    }

    async fn release(&self, id: OrderId) {
        if let Some(funds) = &self.funds
            && let Err(e) = funds.release(id).await
        {
            tracing::warn!(order_id = %id, error = %e, "could not release a funds reservation");
        }
    }

    async fn record_submission(
        &self,
        p: &Payout,
        outcome: Submission,
    ) -> Result<Next, ExecuteError> {
        let attempt = p.attempt;
        match outcome {
            Submission::Accepted {
                provider_ref,
                raw_status,
                report,
            } => {
                let cmd = PayoutCommand::RecordSubmitted {
                    attempt,
                    provider_ref,
                    raw_status: Some(raw_status),
                };
                self.command(p.id, cmd).await?;
                if let Some(report) = report {
                    self.command(p.id, PayoutCommand::RecordReport(report))
                        .await?;
                }
            }
            Submission::Refused { code, message, .. } if is_insufficient_funds(&code, &message) => {
                // The provider's own balance check disagreed with ours: a retryable refusal, so
                // the payout goes back to waiting rather than failing.
                let cmd = PayoutCommand::RecordSubmissionFailure {
                    attempt,
                    code,
                    message,
                    retryable: true,
                };
                self.command(p.id, cmd).await?;
            }
            Submission::Refused {
                code,
                message,
                retryable,
                ..
            } => {
                let cmd = PayoutCommand::RecordSubmissionFailure {
                    attempt,
                    code,
                    message,
                    retryable,
                };
                self.command(p.id, cmd).await?;
            }
            Submission::Unknown { reason } => {
                self.command(
                    p.id,
                    PayoutCommand::RecordOutcomeUnknown { attempt, reason },
                )
                .await?;
            }
        }
        Ok(Next::Ack)
    }

    /// The attempt may have reached the provider: ask before anything else. If the provider has
    /// no payout under the attempt's handle, send it again under the same handle (the provider's
    /// idempotency makes a late original and the resend one payout).
    async fn resolve_unknown(&self, p: &Payout, deliveries: u64) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        let Some(order) = self.order(p) else {
            return Ok(Next::Ack);
        };
        match self.provider.lookup(order).await {
            Lookup::Found(report) => {
                if p.submitted_attempt != Some(p.attempt) {
                    let cmd = PayoutCommand::RecordSubmitted {
                        attempt: p.attempt,
                        provider_ref: report.provider_ref.clone(),
                        raw_status: Some(report.raw_status.clone()),
                    };
                    self.command(p.id, cmd).await?;
                }
                self.command(p.id, PayoutCommand::RecordReport(report))
                    .await?;
                Ok(Next::Ack)
            }
            Lookup::NotFound => {
                let outcome = self.provider.submit(order).await;
                match outcome {
                    Submission::Unknown { reason } => {
                        tracing::info!(order_id = %p.id, %reason, "resend's outcome unknown too; will look up again");
                        Ok(Next::After(backoff(
                            t.retry_base,
                            t.retry_max,
                            deliveries as u32,
                        )))
                    }
                    other => self.record_submission(p, other).await,
                }
            }
            Lookup::Failed {
                reason,
                retry_after,
            } => {
                tracing::info!(order_id = %p.id, %reason, "lookup failed; retrying");
                Ok(Next::After(retry_after.unwrap_or_else(|| {
                    backoff(t.retry_base, t.retry_max, deliveries as u32)
                })))
            }
        }
    }

    /// A submitted payout whose callback is late: poll and record what the provider says.
    async fn poll(&self, p: &Payout, next: Duration) -> Result<Next, ExecuteError> {
        let Some(order) = self.order(p) else {
            return Ok(Next::Ack);
        };
        match self.provider.lookup(order).await {
            Lookup::Found(report) => {
                let known = p.report_ids.contains(&report.report_id);
                self.command(p.id, PayoutCommand::RecordReport(report))
                    .await?;
                // A new report appended a newer event, which now drives the order.
                Ok(if known { Next::After(next) } else { Next::Ack })
            }
            Lookup::NotFound => {
                tracing::warn!(order_id = %p.id, "provider does not know a submitted payout");
                Ok(Next::After(next))
            }
            Lookup::Failed {
                reason,
                retry_after,
            } => {
                tracing::info!(order_id = %p.id, %reason, "poll failed; retrying");
                Ok(Next::After(retry_after.unwrap_or(next)))
            }
        }
    }
}

fn is_insufficient_funds(code: &str, message: &str) -> bool {
    let text = format!("{code} {message}").to_ascii_lowercase();
    text.contains("insufficient") || text.contains("balance")
}
