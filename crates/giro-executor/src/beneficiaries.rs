//! Beneficiary accounts at KillB (seed 002): a registered beneficiary is created as a KillB account
//! under its beneficiary id as `externalId` (KillB answers a known `externalId` with the account it
//! has, so a creation whose answer was lost is sent again safely), then followed until KillB
//! decides: PENDING is polled with backoff, ACTIVE is looked at now and then (KillB may deactivate
//! it), REJECTED and INACTIVE are final. Intake lets payouts name only ACTIVE beneficiaries.
//! Requested updates and removals are sent first (see [`crate::beneficiary_changes`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use giro_domain::EventMeta;
use giro_domain::beneficiary::{
    Beneficiary, BeneficiaryCommand, BeneficiaryDecider, BeneficiaryStatus,
    BeneficiaryStatusChanged,
};
use giro_eventlog::{EventLog, ExecuteError};

use crate::config::Timings;
use crate::retry::backoff;
use crate::runtime::{Next, Steps};
pub use giro_providers::{AccountAnswer, AccountProvider, BoxFuture};

/// Everything a beneficiary step needs.
pub struct BeneficiaryWorker {
    pub log: EventLog,
    pub provider: Arc<dyn AccountProvider>,
    pub timings: Timings,
}

impl Steps for BeneficiaryWorker {
    type Decider = BeneficiaryDecider;
    type Order = Beneficiary;

    fn log(&self) -> &EventLog {
        &self.log
    }

    fn status(order: &Beneficiary) -> &'static str {
        match order.status {
            BeneficiaryStatus::Active => "ACTIVE",
            BeneficiaryStatus::Pending => "PENDING",
            BeneficiaryStatus::Rejected => "REJECTED",
            BeneficiaryStatus::Inactive => "INACTIVE",
        }
    }

    fn step<'a>(
        &'a self,
        order: &'a Beneficiary,
        deliveries: u64,
    ) -> BoxFuture<'a, Result<Next, ExecuteError>> {
        Box::pin(BeneficiaryWorker::step(self, order, deliveries))
    }
}

impl BeneficiaryWorker {
    /// Records what the provider said; `Ack` when that appended an event (it drives the order
    /// now), else a timer `wait` from now.
    async fn record(
        &self,
        b: &Beneficiary,
        status: BeneficiaryStatus,
        provider_ref: Option<String>,
        reason: Option<String>,
        wait: Duration,
    ) -> Result<Next, ExecuteError> {
        let command = BeneficiaryCommand::RecordStatus(BeneficiaryStatusChanged {
            status,
            provider_ref,
            reason,
        });
        self.decide(b, &command, wait).await
    }

    /// Decides `command` for `b`: `Ack` when that appended an event (it drives the order now),
    /// else a timer `wait` from now.
    pub(crate) async fn decide(
        &self,
        b: &Beneficiary,
        command: &BeneficiaryCommand,
        wait: Duration,
    ) -> Result<Next, ExecuteError> {
        let meta = EventMeta {
            correlation_id: b.id.to_string(),
            causation_id: None,
        };
        match self
            .log
            .execute::<BeneficiaryDecider>(b.id, command, &meta, false)
            .await
        {
            Ok(done) if !done.appended.is_empty() => Ok(Next::Ack),
            Ok(_) => Ok(Next::After(wait)),
            Err(ExecuteError::Rejected(r)) => {
                tracing::debug!(beneficiary_id = %b.id, rejection = %r, "step no longer applies");
                Ok(Next::Ack)
            }
            Err(e) => Err(e),
        }
    }

    /// One step for a beneficiary whose latest event woke us.
    pub async fn step(&self, b: &Beneficiary, deliveries: u64) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        let n = u32::try_from(deliveries.saturating_sub(1)).unwrap_or(u32::MAX);
        if let Some(next) = self.change(b, n).await {
            return next;
        }
        let answer = match (&b.provider_ref, b.status) {
            (_, BeneficiaryStatus::Rejected | BeneficiaryStatus::Inactive) => return Ok(Next::Ack),
            (None, _) => self.provider.create_account(b.id, &b.registration).await,
            (Some(provider_ref), status) => {
                // PENDING is polled with backoff from poll_after; ACTIVE only every poll_max.
                let wait = match status {
                    BeneficiaryStatus::Active => t.poll_max,
                    _ => backoff(t.poll_after, t.poll_max, n),
                };
                let since = (Utc::now() - b.updated_at).to_std().unwrap_or_default();
                if deliveries <= 1 && since < wait {
                    return Ok(Next::After(wait - since));
                }
                self.provider.read_account(provider_ref).await
            }
        };
        let later = backoff(t.poll_after, t.poll_max, n);
        match answer {
            AccountAnswer::Account {
                provider_ref,
                status,
            } => {
                self.record(b, status, Some(provider_ref), None, later)
                    .await
            }
            AccountAnswer::Refused { reason } => {
                tracing::warn!(beneficiary_id = %b.id, %reason, "the provider refused the account");
                self.record(b, BeneficiaryStatus::Rejected, None, Some(reason), later)
                    .await
            }
            AccountAnswer::Failed {
                reason,
                retry_after,
            } => {
                tracing::info!(beneficiary_id = %b.id, %reason, "provider not reachable; will retry");
                Ok(Next::After(
                    retry_after.unwrap_or_else(|| backoff(t.retry_base, t.retry_max, n)),
                ))
            }
        }
    }
}
