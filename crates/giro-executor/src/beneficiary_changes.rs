//! Requested changes of a beneficiary's account, sent to the accounts provider exactly once in
//! effect. An update (`PATCH` with the new values) is simply sent again after an unknown outcome:
//! the same values twice are harmless. A removal is never sent blind: the account is read first,
//! and one already INACTIVE or no longer listed is recorded as removed; only an account still
//! there is deleted, so a delete whose answer was lost is not repeated once it took effect.

use std::time::Duration;

use giro_domain::beneficiary::{
    Beneficiary, BeneficiaryChangeFailed, BeneficiaryCommand, BeneficiaryStatus,
};
use giro_eventlog::ExecuteError;
use giro_providers::AccountAnswer;

use crate::beneficiaries::BeneficiaryWorker;
use crate::retry::backoff;
use crate::runtime::Next;

impl BeneficiaryWorker {
    /// The step for a requested update or removal, if one waits for the provider.
    pub(crate) async fn change(
        &self,
        b: &Beneficiary,
        n: u32,
    ) -> Option<Result<Next, ExecuteError>> {
        if b.removed {
            return Some(Ok(Next::Ack));
        }
        let provider_ref = b.provider_ref.as_deref()?;
        if b.removal_requested {
            Some(self.remove(b, provider_ref, n).await)
        } else if let Some(update) = &b.pending_update {
            let answer = self
                .provider
                .update_account(provider_ref, &update.changes)
                .await;
            Some(match answer {
                AccountAnswer::Account { status, .. } => {
                    self.decide(b, &BeneficiaryCommand::RecordUpdated(status), self.later(n))
                        .await
                }
                AccountAnswer::Refused { reason } => {
                    tracing::warn!(beneficiary_id = %b.id, %reason, "the provider refused the update");
                    let failed = BeneficiaryChangeFailed { reason };
                    let command = BeneficiaryCommand::RecordUpdateFailed(failed);
                    self.decide(b, &command, self.later(n)).await
                }
                AccountAnswer::Failed {
                    reason,
                    retry_after,
                } => Ok(self.retry(b, &reason, retry_after, n)),
            })
        } else {
            None
        }
    }

    /// Reads the account, then deletes it only if it is still there.
    async fn remove(
        &self,
        b: &Beneficiary,
        provider_ref: &str,
        n: u32,
    ) -> Result<Next, ExecuteError> {
        let answer = match self.provider.read_account(provider_ref).await {
            AccountAnswer::Account {
                status: BeneficiaryStatus::Inactive,
                ..
            } => {
                return self
                    .decide(b, &BeneficiaryCommand::RecordRemoved, self.later(n))
                    .await;
            }
            AccountAnswer::Refused { reason } => {
                tracing::info!(beneficiary_id = %b.id, %reason, "the provider no longer lists the account");
                return self
                    .decide(b, &BeneficiaryCommand::RecordRemoved, self.later(n))
                    .await;
            }
            AccountAnswer::Failed {
                reason,
                retry_after,
            } => return Ok(self.retry(b, &reason, retry_after, n)),
            AccountAnswer::Account { .. } => self.provider.delete_account(provider_ref).await,
        };
        match answer {
            AccountAnswer::Account { .. } => {
                self.decide(b, &BeneficiaryCommand::RecordRemoved, self.later(n))
                    .await
            }
            AccountAnswer::Refused { reason } => {
                tracing::warn!(beneficiary_id = %b.id, %reason, "the provider refused the removal");
                let failed = BeneficiaryChangeFailed { reason };
                let command = BeneficiaryCommand::RecordRemovalFailed(failed);
                self.decide(b, &command, self.later(n)).await
            }
            AccountAnswer::Failed {
                reason,
                retry_after,
            } => Ok(self.retry(b, &reason, retry_after, n)),
        }
    }

    fn later(&self, n: u32) -> Duration {
        backoff(self.timings.poll_after, self.timings.poll_max, n)
    }

    fn retry(&self, b: &Beneficiary, reason: &str, retry_after: Option<Duration>, n: u32) -> Next {
        tracing::info!(beneficiary_id = %b.id, %reason, "provider not reachable; will retry");
        let t = &self.timings;
        Next::After(retry_after.unwrap_or_else(|| backoff(t.retry_base, t.retry_max, n)))
    }
}
