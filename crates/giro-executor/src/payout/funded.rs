//! Submitting a payout, with its reservation against a pre-funded balance: reserve, claim, send,
//! record, release; and the sweep that releases what a dead step could not.

use giro_domain::OrderId;
use giro_domain::payout::{Payout, PayoutCommand, PayoutDecider, PayoutStatus};
use giro_eventlog::ExecuteError;
use giro_providers::Submission;

use super::act::{PayoutWorker, refusal_command};
use super::plan::after_failed_call;
use crate::retry::Clock;
use crate::runtime::Next;

impl PayoutWorker {
    /// Reserves `p`'s amount against the provider's balance (pre-funded providers only; true
    /// without them). A reservation the order already holds is kept as it is.
    pub(super) async fn reserve(&self, p: &Payout) -> Result<bool, crate::funds::FundsError> {
        let Some(funds) = &self.funds else {
            return Ok(true);
        };
        let money = p.request.money;
        let provider = self.provider.clone();
        let recorder = funds.balances().clone();
        funds
            .reserve(p.id, money.amount(), move || {
                let provider = provider.clone();
                let recorder = recorder.clone();
                async move {
                    match provider.balance(money.currency()).await {
                        Some(Ok(balance)) => {
                            // Kept for the treasury view off the reservation's path.
                            tokio::spawn(async move {
                                recorder.record(money.currency().code(), balance).await;
                            });
                            Ok(balance)
                        }
                        Some(Err(e)) => Err(e),
                        None => Err("the provider reports no balance".to_string()),
                    }
                }
            })
            .await
    }

    /// Reserves funds (pre-funded providers), claims the next attempt, calls the provider, and
    /// records what came of it. The reservation is released once the outcome is recorded and
    /// known; an unknown outcome keeps it until the attempt is resolved.
    pub(super) async fn fund_and_submit(
        &self,
        p: &Payout,
        clock: &Clock,
    ) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        match self.reserve(p).await {
            Ok(true) => {}
            Ok(false) if p.status == PayoutStatus::Requested => {
                let money = p.request.money;
                let reason = format!("waiting for {money} of pre-funded balance");
                self.decide(p, PayoutCommand::Hold { reason }).await?;
                return Ok(Next::Ack);
            }
            Ok(false) => return Ok(Next::After(t.hold_recheck)),
            Err(e) => {
                tracing::warn!(order_id = %p.id, error = %e, "cannot check funds; retrying");
                return Ok(Next::After(after_failed_call(t, clock, None)));
            }
        }
        // The claim is made on the payout as this step saw it, never decided again on a newer
        // one: an order that moved on (another claim, a failure, a report) is driven by its newer
        // event, whose step applies the retry policy afresh.
        let claimed = self
            .log
            .execute_at::<PayoutDecider>(
                p.id,
                p.version,
                &PayoutCommand::StartSubmission,
                &super::act::meta(p.id),
            )
            .await;
        // A lost claim leaves the reservation to the order's life: the winner may be using it,
        // and an order that moved on without it has it released by the sweep.
        let claimed = match claimed {
            Ok(Some(done)) if !done.appended.is_empty() => done.order.state,
            Ok(_) | Err(ExecuteError::Rejected(_)) => return Ok(Next::Ack),
            Err(e) => return Err(e),
        };
        let Some(claimed) = claimed else {
            return Ok(Next::Ack);
        };
        let Some(order) = self.order(&claimed) else {
            return Ok(Next::Ack);
        };
        let outcome = self.provider.submit(order).await;
        self.breaker
            .record(crate::breaker::healthy(&outcome), std::time::Instant::now());
        self.record_and_release(&claimed, outcome).await
    }

    /// Records `outcome`, and releases the reservation when the outcome is known and recorded.
    pub(super) async fn record_and_release(
        &self,
        p: &Payout,
        outcome: Submission,
    ) -> Result<Next, ExecuteError> {
        let known = !matches!(
            &outcome,
            Submission::Refused(r) if r.kind == giro_providers::RefusalKind::OutcomeUnknown
        );
        let result = self.record_submission(p, outcome).await;
        if known && result.is_ok() {
            self.release(p.id).await;
        }
        result
    }

    pub(super) async fn release(&self, id: OrderId) {
        if let Some(funds) = &self.funds
            && let Err(e) = funds.release(id).await
        {
            tracing::warn!(order_id = %id, error = %e, "could not release a funds reservation");
        }
    }

    /// Releases the reservations of orders that moved on (submitted, or ended) without their
    /// step releasing them: an executor died, or the ledger was unavailable. Only orders that may
    /// still send money without the provider having debited it keep theirs: `requested`, `held`
    /// and `submitting`, states an order never returns to once it has left them for these.
    /// Reads the balance of every currency watched (the instance's payout currencies from its
    /// start, and any a reservation read), for the treasury view and its gauge: an account no
    /// payout reserves against still shows a reading no older than a sweep. A currency the
    /// provider has no balance API for is not asked again.
    pub(crate) async fn refresh_balances(&self) {
        let Some(balances) = &self.balances else {
            return;
        };
        for code in balances.watched() {
            let Ok(currency) = code.parse::<giro_domain::Currency>() else {
                balances.unwatch(&code);
                continue;
            };
            match self.provider.balance(currency).await {
                Some(Ok(balance)) => balances.record(&code, balance).await,
                Some(Err(e)) => tracing::info!(currency = %code, error = %e, "balance not read"),
                None => balances.unwatch(&code),
            }
        }
    }

    pub(crate) async fn sweep_reservations(&self) {
        let Some(funds) = &self.funds else {
            return;
        };
        let reserved = match funds.reservations().await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(error = %e, "cannot read the funds ledger to sweep it");
                return;
            }
        };
        for id in reserved.into_keys() {
            let open = match self.log.load::<PayoutDecider>(id).await {
                Ok(order) => order.state.is_some_and(|p| {
                    matches!(
                        p.status,
                        PayoutStatus::Requested | PayoutStatus::Held | PayoutStatus::Submitting
                    )
                }),
                Err(e) => {
                    tracing::debug!(order_id = %id, error = %e, "cannot load a reserved order");
                    continue;
                }
            };
            if !open {
                tracing::info!(order_id = %id, "releasing the reservation of an order that moved on");
                self.release(id).await;
            }
        }
    }

    /// Records what a submission came to.
    pub(super) async fn record_submission(
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
                if let Some(mut report) = report {
                    report.attempt = Some(attempt);
                    self.command(p.id, PayoutCommand::RecordReport(*report))
                        .await?;
                }
            }
            Submission::Refused(refusal) => {
                self.command(p.id, refusal_command(attempt, refusal))
                    .await?;
            }
        }
        Ok(Next::Ack)
    }
}
