//! The pending capture of an authorised charge, at most once: each attempt is claimed in the log
//! (`charge.capture_attempt_started`) before it is sent; an attempt whose outcome Giro did not
//! learn is resolved by reading the charge (still `pre_captured`: it did not happen, and the next
//! attempt is claimed and sent; `confirmed` or later: it did), never by sending it again blindly.

use std::time::Duration;

use giro_domain::charge::{Charge, ChargeCommand, ChargeOutcome};
use giro_eventlog::ExecuteError;
use giro_providers::{ChargeOperation, RefusalKind};

use super::act::{ChargeWorker, asked_wait};
use crate::runtime::Next;

impl ChargeWorker {
    /// Claims capture attempt `attempt`, asks the provider, and records what came of it.
    pub(super) async fn send_capture(
        &self,
        c: &Charge,
        attempt: u32,
        retry: Duration,
    ) -> Result<Next, ExecuteError> {
        let (Some(uuid), Some(request)) = (c.charge_uuid.as_deref(), c.capture_requested.as_ref())
        else {
            return Ok(Next::Ack);
        };
        if !self
            .command(c.id, ChargeCommand::StartCaptureAttempt { attempt })
            .await?
        {
            // Another instance claimed this attempt; its record drives the charge.
            return Ok(Next::Ack);
        }
        match self.provider.capture(uuid, request.amount).await {
            ChargeOperation::Done(view) => {
                let appended = self
                    .command(c.id, ChargeCommand::RecordReport(view.report))
                    .await?;
                Ok(if appended {
                    Next::Ack
                } else {
                    Next::After(self.timings.poll_after)
                })
            }
            ChargeOperation::Refused(r) if r.kind == RefusalKind::Final => {
                tracing::warn!(order_id = %c.id, code = %r.code, reason = %r.message, "the provider refused the capture");
                let cmd = ChargeCommand::FailCapture {
                    code: "capture_refused".into(),
                    reason: format!("{}: {}", r.code, r.message),
                };
                self.command(c.id, cmd).await?;
                Ok(Next::Ack)
            }
            ChargeOperation::Refused(r) => {
                // Not sent, or perhaps sent: the charge is read once the claim has lapsed.
                tracing::info!(order_id = %c.id, attempt, reason = %r.message, "capture outcome not known; the charge will be read before anything is sent again");
                Ok(Next::After(asked_wait(&r).map_or(retry, |w| w.max(retry))))
            }
        }
    }

    /// Capture attempt `attempt` may or may not have happened: read the charge. Still authorised:
    /// it did not, and the next attempt goes (up to `max_attempts`); anything else is recorded as
    /// the provider's report, whose consequence (`charge.captured`, `charge.cancelled`, …) ends
    /// the capture.
    pub(super) async fn resolve_capture(
        &self,
        c: &Charge,
        attempt: u32,
        retry: Duration,
    ) -> Result<Next, ExecuteError> {
        let Some(uuid) = c.charge_uuid.as_deref() else {
            return Ok(Next::Ack);
        };
        let view = match self.provider.read(uuid).await {
            ChargeOperation::Done(view) => view,
            ChargeOperation::Refused(r) => {
                tracing::info!(order_id = %c.id, reason = %r.message, "cannot read the charge to resolve a capture; retrying");
                return Ok(Next::After(asked_wait(&r).map_or(retry, |w| w.max(retry))));
            }
        };
        if view.report.outcome == ChargeOutcome::Authorized {
            if attempt >= self.timings.max_attempts {
                let cmd = ChargeCommand::FailCapture {
                    code: "attempts_exhausted".into(),
                    reason: format!(
                        "the charge still reads {} after {attempt} capture attempts",
                        view.raw_status
                    ),
                };
                self.command(c.id, cmd).await?;
                return Ok(Next::Ack);
            }
            return self.send_capture(c, attempt + 1, retry).await;
        }
        let appended = self
            .command(c.id, ChargeCommand::RecordReport(view.report))
            .await?;
        Ok(if appended {
            Next::Ack
        } else {
            Next::After(retry)
        })
    }
}
