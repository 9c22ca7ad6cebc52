//! Asking the provider about a payout: an attempt whose outcome is unknown (resolved by lookup,
//! sent again under its handle when the provider has nothing), and a submitted payout whose
//! callback is late (polled).

use std::time::Duration;

use giro_domain::payout::{Payout, PayoutCommand, PayoutDecider};
use giro_eventlog::ExecuteError;
use giro_providers::Lookup;

use super::act::PayoutWorker;
use super::plan::{NotFound, after_failed_call};
use crate::retry::Clock;
use crate::runtime::Next;

impl PayoutWorker {
    /// The attempt may have reached the provider: ask before anything else, then do what the
    /// plan said for a provider that has nothing.
    pub(super) async fn resolve_unknown(
        &self,
        p: &Payout,
        if_not_found: NotFound,
        clock: &Clock,
    ) -> Result<Next, ExecuteError> {
        let Some(order) = self.order(p) else {
            return Ok(Next::Ack);
        };
        match self.provider.lookup(order).await {
            Lookup::Found(mut report) => {
                report.attempt = Some(p.attempt);
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
                self.release(p.id).await;
                Ok(Next::Ack)
            }
            Lookup::NotFound => match if_not_found {
                NotFound::Resend => self.resend(p).await,
                NotFound::AskAgainAfter(wait) => Ok(Next::After(wait)),
                NotFound::GiveUp { message } => {
                    tracing::warn!(order_id = %p.id, %message, "the provider has no such payout and no attempts are left");
                    let cmd = PayoutCommand::RecordSubmissionFailure {
                        attempt: p.attempt,
                        code: "attempts_exhausted".into(),
                        message,
                        retryable: false,
                    };
                    if self.decide(p, cmd).await? {
                        self.release(p.id).await;
                    }
                    Ok(Next::Ack)
                }
            },
            Lookup::Failed {
                reason,
                retry_after,
            } => {
                tracing::info!(order_id = %p.id, %reason, "lookup failed; retrying");
                Ok(Next::After(after_failed_call(
                    &self.timings,
                    clock,
                    retry_after,
                )))
            }
        }
    }

    /// Sends the current attempt again under its handle: the provider affirmed it has nothing.
    /// The resend is recorded first, on the payout as this step saw it, so that of several
    /// instances exactly one resends; then its outcome is recorded like a submission's.
    async fn resend(&self, p: &Payout) -> Result<Next, ExecuteError> {
        let claimed = self
            .log
            .execute_at::<PayoutDecider>(
                p.id,
                p.version,
                &PayoutCommand::RecordResent { attempt: p.attempt },
                &super::act::meta(p.id),
            )
            .await;
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
        match self.reserve(&claimed).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(order_id = %p.id,
                "sending again without a reservation: the balance is short (the provider's own check refuses an overdraft)"),
            Err(e) => tracing::warn!(order_id = %p.id, error = %e,
                "sending again without a reservation: funds unavailable"),
        }
        let outcome = self.provider.submit(order).await;
        self.record_and_release(&claimed, outcome).await
    }

    /// A submitted payout whose callback is late: poll and record what the provider says.
    pub(super) async fn poll(&self, p: &Payout, next: Duration) -> Result<Next, ExecuteError> {
        let Some(order) = self.order(p) else {
            return Ok(Next::Ack);
        };
        match self.provider.lookup(order).await {
            Lookup::Found(mut report) => {
                report.attempt = Some(p.attempt);
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
                Ok(Next::After(retry_after.map_or(next, |r| r.max(next))))
            }
        }
    }
}
