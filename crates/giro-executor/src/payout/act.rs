//! The interpreter of [`super::plan`]'s actions for payouts: the provider calls, the funds
//! ledger, and the commands that record what came of them. Every step is a command decided
//! against the current state and appended with optimistic concurrency, so any number of instances
//! may race on one order and exactly one wins each step.

use std::sync::Arc;

use giro_domain::payout::{Payout, PayoutCommand, PayoutDecider, PayoutStatus, RerouteReason};
use giro_domain::{EventMeta, OrderId, OrderKind};
use giro_eventlog::{EventLog, ExecuteError};
use giro_providers::{BoxFuture, PayoutOrder, PayoutProvider, Refusal};

use super::plan::{PayoutAction, plan};
use crate::attempt::AttemptRecord;
use crate::balances::Balances;
use crate::config::Timings;
use crate::funds::Funds;
use crate::retry::Clock;
use crate::runtime::{Next, Steps};
use crate::wakes::Wakes;

/// Everything a payout step needs.
pub struct PayoutWorker {
    pub log: EventLog,
    pub provider: Arc<dyn PayoutProvider>,
    pub funds: Option<Funds>,
    /// Where the provider account's balance readings go, when it has a balance API.
    pub balances: Option<Balances>,
    pub timings: Timings,
    /// Where scheduled payouts' wakes are stored.
    pub wakes: Wakes,
    /// The provider's health, as this process's calls saw it.
    pub breaker: crate::breaker::Breaker,
}

pub(super) fn meta(id: OrderId) -> EventMeta {
    EventMeta {
        correlation_id: id.to_string(),
        causation_id: None,
    }
}

/// The command that records a refused (or perhaps refused) attempt, by the refusal's kind.
pub fn refusal_command(attempt: u32, refusal: Refusal) -> PayoutCommand {
    match AttemptRecord::of(attempt, refusal) {
        AttemptRecord::Unknown { reason } => {
            PayoutCommand::RecordOutcomeUnknown { attempt, reason }
        }
        AttemptRecord::Wait(wait) => PayoutCommand::RecordProviderWait(wait),
        AttemptRecord::Failed {
            code,
            message,
            retryable,
        } => PayoutCommand::RecordSubmissionFailure {
            attempt,
            code,
            message,
            retryable,
        },
    }
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

    /// Every payout step is guarded by its append (the claim before a submission, the record of
    /// an outcome or report) except resolving an unknown outcome, which may send again after a
    /// lookup: that one is taken on the order read on to its latest event.
    fn trusts(order: &Payout) -> bool {
        !(order.status == PayoutStatus::Submitting && order.outcome_unknown)
    }

    fn step<'a>(
        &'a self,
        order: &'a Payout,
        deliveries: u64,
    ) -> BoxFuture<'a, Result<Next, ExecuteError>> {
        Box::pin(self.act(order, Clock::now(deliveries)))
    }
}

impl PayoutWorker {
    /// Carries out the plan for `p`.
    pub async fn act(&self, p: &Payout, clock: Clock) -> Result<Next, ExecuteError> {
        match plan(p, &self.timings, &clock) {
            PayoutAction::Done => Ok(Next::Ack),
            PayoutAction::Wait(wait) => Ok(Next::After(wait)),
            PayoutAction::Schedule { at } => {
                self.wakes.set(OrderKind::Payout, p.id, at).await?;
                Ok(Next::Ack)
            }
            PayoutAction::Wake => {
                self.decide(p, PayoutCommand::Wake).await?;
                Ok(Next::Ack)
            }
            PayoutAction::Unschedule => {
                self.wakes.clear(OrderKind::Payout, p.id).await?;
                Ok(Next::Ack)
            }
            PayoutAction::Submit if self.circuit_open_for(p) => {
                self.reroute(p, RerouteReason::CircuitOpen).await
            }
            PayoutAction::Submit => self.fund_and_submit(p, &clock).await,
            PayoutAction::Fail { code, message } => {
                tracing::warn!(order_id = %p.id, %code, %message, "payout failed without a provider");
                if self
                    .decide(p, PayoutCommand::Fail { code, message })
                    .await?
                {
                    self.release(p.id).await;
                }
                Ok(Next::Ack)
            }
            PayoutAction::ClaimTimedOut => {
                let reason = "the claiming executor did not report a result in time".to_string();
                let attempt = p.attempt;
                self.decide(p, PayoutCommand::RecordOutcomeUnknown { attempt, reason })
                    .await?;
                Ok(Next::Ack)
            }
            PayoutAction::Resolve { if_not_found } => {
                self.resolve_unknown(p, if_not_found, &clock).await
            }
            PayoutAction::Poll { next } => self.poll(p, next).await,
            PayoutAction::Reroute(reason) => self.reroute(p, reason).await,
        }
    }

    /// Whether `p`, which could go to another candidate of its route, is kept from this provider
    /// by its open circuit breaker. A payout with nowhere else to go is always sent.
    fn circuit_open_for(&self, p: &Payout) -> bool {
        p.status == PayoutStatus::Requested
            && p.next_candidate().is_some()
            && p.no_attempt_can_be_paid()
            && !self.breaker.admits(std::time::Instant::now())
    }

    /// Moves `p` to the next candidate of its route (`payout.rerouted`).
    async fn reroute(&self, p: &Payout, reason: RerouteReason) -> Result<Next, ExecuteError> {
        let to = p
            .next_candidate()
            .map(ToString::to_string)
            .unwrap_or_default();
        if !self.decide(p, PayoutCommand::Reroute { reason }).await? {
            // Moved on (its newer event drives it, and supersedes this look) or refused.
            return Ok(Next::After(self.timings.retry_base));
        }
        tracing::info!(order_id = %p.id, from = %p.provider(), %to, reason = reason.as_str(),
            "payout rerouted");
        Ok(Next::Ack)
    }

    pub(super) async fn command(
        &self,
        id: OrderId,
        cmd: PayoutCommand,
    ) -> Result<(), ExecuteError> {
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

    /// Appends a step's decision `cmd`, made on `p` as the step saw it, only if the payout is
    /// still there: true when stored (or nothing needed storing), false when the payout moved on
    /// (a newer event, whose message drives it now) or refuses the command.
    pub(super) async fn decide(
        &self,
        p: &Payout,
        cmd: PayoutCommand,
    ) -> Result<bool, ExecuteError> {
        match self
            .log
            .execute_at::<PayoutDecider>(p.id, p.version, &cmd, &meta(p.id))
            .await
        {
            Ok(Some(_)) => Ok(true),
            Ok(None) => {
                tracing::debug!(order_id = %p.id, "the payout moved on before its step was stored");
                Ok(false)
            }
            Err(ExecuteError::Rejected(r)) => {
                tracing::debug!(order_id = %p.id, rejection = %r, "step no longer applies");
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    pub(super) fn order<'a>(&self, p: &'a Payout) -> Option<PayoutOrder<'a>> {
        Some(PayoutOrder {
            id: p.id,
            handle: p.handle.as_deref()?,
            request: &p.request,
            provider_ref: p.provider_ref.as_deref(),
        })
    }
}
