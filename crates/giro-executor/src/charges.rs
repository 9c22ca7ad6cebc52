//! What an executor does for a charge, given its state rebuilt from the log: claim an attempt,
//! create the charge at the provider, resolve an unknown outcome by asking (never by sending
//! again), poll when webhooks are late, and carry out the cancellations and refunds the log asks
//! for. Every step is a command appended with optimistic concurrency, as for payouts.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use giro_domain::charge::{
    Charge, ChargeCommand, ChargeDecider, ChargeEvent, ChargeOutcome, ChargeReport, ChargeStatus,
    ChargeSubmitted, RefundRequested, ReportSource,
};
use giro_domain::{Envelope, EventMeta, OrderId};
use giro_eventlog::{EventLog, ExecuteError};

use crate::config::Timings;
use crate::runtime::{
    Attempts, Next, Retry, Steps, backoff, come_back_later, come_back_wait, is_come_back_later,
    retry_decision,
};
use giro_providers::{
    BoxFuture, ChargeOperation, ChargeOrder, ChargeProvider, ChargeSubmission, ChargeView,
};

/// The raw statuses of the reports that record a refund's attempts, so that whichever instance
/// looks at the charge next knows what may have reached the provider. Their ids are
/// `<charge_uuid>:refund:<k>:<n>:<what>`, `k` the version of the refund request and `n` the
/// attempt: `sent` is appended before the call (the claim), `not_sent` when the call certainly
/// did not happen (with the provider's wait), `unknown` when it may have.
pub const REFUND_SENT: &str = "refund_sent";
pub const REFUND_NOT_SENT: &str = "refund_not_sent";
pub const REFUND_UNKNOWN: &str = "refund_unknown";

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
    age(c.status_since)
}

fn age(at: DateTime<Utc>) -> Duration {
    (Utc::now() - at).to_std().unwrap_or_default()
}

/// What a charge's log says about its attempts.
fn attempts_of(events: &[Arc<Envelope<ChargeEvent>>]) -> Attempts {
    let mut attempts = Attempts::default();
    for env in events {
        match &env.event {
            ChargeEvent::SubmissionFailed(f) => attempts.refused(&f.message, env.at),
            ChargeEvent::OutcomeUnknown(_) | ChargeEvent::Submitted(_) => attempts.ended_run(),
            _ => {}
        }
    }
    attempts
}

/// The latest attempt at the charge's pending refund, as its reports record it.
#[derive(Debug, Default)]
struct RefundAttempt {
    n: u32,
    sent_at: Option<DateTime<Utc>>,
    /// When it was found not to have happened, and why.
    not_sent: Option<(DateTime<Utc>, String)>,
    /// Why its outcome is unknown.
    unknown: Option<String>,
}

/// The prefix of the pending refund's attempt reports, and its latest attempt.
fn refund_attempts(
    events: &[Arc<Envelope<ChargeEvent>>],
    uuid: &str,
) -> (String, Option<RefundAttempt>) {
    let k = events
        .iter()
        .rev()
        .find(|e| matches!(e.event, ChargeEvent::RefundRequested(_)))
        .map_or(0, |e| e.version);
    let prefix = format!("{uuid}:refund:{k}:");
    let mut latest: Option<RefundAttempt> = None;
    for env in events {
        let ChargeEvent::ProviderStatus(r) = &env.event else {
            continue;
        };
        let Some((n, what)) = r
            .report_id
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split_once(':'))
            .and_then(|(n, what)| Some((n.parse::<u32>().ok()?, what)))
        else {
            continue;
        };
        if latest.as_ref().is_none_or(|a| a.n < n) {
            latest = Some(RefundAttempt {
                n,
                ..Default::default()
            });
        }
        let Some(a) = latest.as_mut().filter(|a| a.n == n) else {
            continue;
        };
        let reason = r.reason.clone().unwrap_or_default();
        match what {
            "sent" => a.sent_at = Some(env.at),
            "not_sent" => a.not_sent = Some((env.at, reason)),
            "unknown" => a.unknown = Some(reason),
            _ => {}
        }
    }
    (prefix, latest)
}

/// A report about the pending refund that is Giro's own record, not a provider status.
fn refund_marker(
    uuid: &str,
    id: String,
    raw_status: &str,
    outcome: ChargeOutcome,
    reason: Option<String>,
    amount: Option<rust_decimal::Decimal>,
) -> ChargeReport {
    ChargeReport {
        source: ReportSource::SubmitResponse,
        raw_status: raw_status.into(),
        outcome,
        report_id: id,
        charge_uuid: Some(uuid.to_string()),
        reason,
        amount,
        reported_at: None,
    }
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

    fn step_with_events<'a>(
        &'a self,
        order: &'a Charge,
        events: &'a [Arc<Envelope<ChargeEvent>>],
        deliveries: u64,
    ) -> BoxFuture<'a, Result<Next, ExecuteError>> {
        Box::pin(self.step_with(order, events, deliveries))
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
    /// event's message has been delivered. Reads the charge's events for its history.
    pub async fn step(&self, c: &Charge, deliveries: u64) -> Result<Next, ExecuteError> {
        let loaded = self.log.load::<ChargeDecider>(c.id).await?;
        self.step_with(c, &loaded.events, deliveries).await
    }

    /// One step, given the charge's events (oldest first).
    pub async fn step_with(
        &self,
        c: &Charge,
        events: &[Arc<Envelope<ChargeEvent>>],
        deliveries: u64,
    ) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        match c.status {
            ChargeStatus::Requested => {
                let failure = c
                    .failure
                    .as_ref()
                    .map(|f| (f.code.as_str(), f.message.as_str()));
                let attempts = attempts_of(events);
                match retry_decision(t, c.attempt, &attempts, failure, since(c), Utc::now()) {
                    Retry::Now => self.submit(c).await,
                    Retry::After(wait) => Ok(Next::After(wait)),
                    Retry::GiveUp { code, message } => {
                        tracing::warn!(order_id = %c.id, %code, %message, "charge failed: no attempts left");
                        self.command(c.id, ChargeCommand::Fail { code, message })
                            .await?;
                        Ok(Next::Ack)
                    }
                }
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
            ChargeStatus::Paid if c.refund_requested.is_some() => {
                self.refund(c, events, deliveries).await
            }
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
                retry_after,
            } => {
                // "Come back later" travels in the event with the provider's wait (see
                // `runtime::retry_decision`).
                let message = if retryable && is_come_back_later(&code, retry_after) {
                    come_back_later(&message, retry_after)
                } else {
                    message
                };
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

    /// Carries out the requested refund, at most once: each attempt is claimed in the log (a
    /// `refund_sent` report) before the provider is asked, so that an attempt that may have
    /// reached the provider (its answer lost, or its executor gone) is resolved by reading the
    /// charge before anything is sent again. A55 shows one `refunded` status whatever the amount
    /// and lists no refunds, so reading settles only a first refund; a later one whose outcome is
    /// unknown is never sent again: the refund is closed as `refund_unknown` (a refund failure
    /// whose reason says to check the charge at A55), for a person to decide.
    async fn refund(
        &self,
        c: &Charge,
        events: &[Arc<Envelope<ChargeEvent>>],
        deliveries: u64,
    ) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        let (Some(uuid), Some(request)) = (c.charge_uuid.as_deref(), c.refund_requested.as_ref())
        else {
            tracing::error!(order_id = %c.id, "a refund of a charge with no provider id");
            return Ok(Next::Ack);
        };
        let (prefix, latest) = refund_attempts(events, uuid);
        let Some(attempt) = latest else {
            return self.send_refund(c, uuid, request, &prefix, 1).await;
        };
        if let Some((at, reason)) = &attempt.not_sent {
            if attempt.n >= t.max_attempts {
                let reason = format!(
                    "gave up after {} attempts: {}",
                    attempt.n,
                    crate::runtime::without_mark(reason)
                );
                let report = refund_marker(
                    uuid,
                    format!("{prefix}gave_up"),
                    "refund_error",
                    ChargeOutcome::RefundFailed,
                    Some(reason),
                    request.amount,
                );
                self.command(c.id, ChargeCommand::RecordReport(report))
                    .await?;
                return Ok(Next::Ack);
            }
            let asked = come_back_wait(reason).unwrap_or_default();
            let wait = asked.max(backoff(t.retry_base, t.retry_max, attempt.n - 1));
            if age(*at) < wait {
                return Ok(Next::After(wait - age(*at)));
            }
            return self
                .send_refund(c, uuid, request, &prefix, attempt.n + 1)
                .await;
        }
        if attempt.unknown.is_none()
            && let Some(sent) = attempt.sent_at
            && age(sent) < t.claim_timeout
        {
            // Claimed and perhaps still being sent: look once its sender must be done.
            return Ok(Next::After(t.claim_timeout - age(sent)));
        }
        self.resolve_refund(c, uuid, request, &prefix, &attempt, deliveries)
            .await
    }

    /// Claims refund attempt `n`, asks the provider, and records what came of it.
    async fn send_refund(
        &self,
        c: &Charge,
        uuid: &str,
        request: &RefundRequested,
        prefix: &str,
        n: u32,
    ) -> Result<Next, ExecuteError> {
        let claim = refund_marker(
            uuid,
            format!("{prefix}{n}:sent"),
            REFUND_SENT,
            ChargeOutcome::Unknown,
            None,
            request.amount,
        );
        if !self
            .command(c.id, ChargeCommand::RecordReport(claim))
            .await?
        {
            // Another instance claimed this attempt; its record drives the charge.
            return Ok(Next::Ack);
        }
        let reason = request.reason.as_deref();
        let marker = |what: &str, raw: &str, why: String| {
            refund_marker(
                uuid,
                format!("{prefix}{n}:{what}"),
                raw,
                ChargeOutcome::Unknown,
                Some(why),
                request.amount,
            )
        };
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
                let why = match retry_after {
                    Some(_) => come_back_later(&reason, retry_after),
                    None => reason,
                };
                let report = marker("not_sent", REFUND_NOT_SENT, why);
                self.command(c.id, ChargeCommand::RecordReport(report))
                    .await?;
                Ok(Next::Ack)
            }
            ChargeOperation::Unknown { reason } => {
                tracing::warn!(order_id = %c.id, %reason, "refund outcome unknown; reading before anything else");
                let report = marker("unknown", REFUND_UNKNOWN, reason);
                self.command(c.id, ChargeCommand::RecordReport(report))
                    .await?;
                Ok(Next::Ack)
            }
        }
    }

    /// A refund attempt may have reached the provider: read the charge. A first refund shows in
    /// its status (`refunded`: it happened; still `paid` or `confirmed`: it did not, and may be
    /// sent again); anything else cannot be told apart, and is not sent again.
    async fn resolve_refund(
        &self,
        c: &Charge,
        uuid: &str,
        request: &RefundRequested,
        prefix: &str,
        attempt: &RefundAttempt,
        deliveries: u64,
    ) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        let retry = backoff(t.retry_base, t.retry_max, n(deliveries));
        let why = attempt
            .unknown
            .clone()
            .unwrap_or_else(|| "the executor sending it did not report in time".into());
        let view = match self.provider.read(uuid).await {
            ChargeOperation::Done(view) => view,
            ChargeOperation::Failed {
                reason,
                retry_after,
            } => {
                tracing::info!(order_id = %c.id, %reason, "cannot read the charge to resolve a refund; retrying");
                return Ok(Next::After(retry_after.map_or(retry, |r| r.max(retry))));
            }
            other => {
                tracing::info!(order_id = %c.id, result = ?other, "cannot read the charge to resolve a refund; retrying");
                return Ok(Next::After(retry));
            }
        };
        if c.refunded.is_zero() {
            match view.report.outcome {
                ChargeOutcome::Refunded => return self.record_refund(c, view.report).await,
                ChargeOutcome::Paid | ChargeOutcome::Confirmed => {
                    let reason = format!(
                        "the charge still reads {}: refund attempt {} did not happen ({why})",
                        view.raw_status, attempt.n
                    );
                    tracing::info!(order_id = %c.id, %reason, "sending the refund again");
                    let report = refund_marker(
                        uuid,
                        format!("{prefix}{}:not_sent", attempt.n),
                        REFUND_NOT_SENT,
                        ChargeOutcome::Unknown,
                        Some(reason),
                        request.amount,
                    );
                    self.command(c.id, ChargeCommand::RecordReport(report))
                        .await?;
                    return Ok(Next::Ack);
                }
                _ => {}
            }
        }
        let reason = format!(
            "refund attempt {} may have reached A55 ({why}) and reading the charge ({}) cannot \
             tell whether it happened: A55 shows one refunded status whatever the amount. It is \
             not sent again; check the charge at A55 before asking for this refund again",
            attempt.n, view.raw_status
        );
        tracing::error!(order_id = %c.id, %reason, "refund outcome cannot be resolved");
        let report = refund_marker(
            uuid,
            format!("{prefix}unresolved"),
            REFUND_UNKNOWN,
            ChargeOutcome::RefundFailed,
            Some(reason),
            request.amount,
        );
        self.command(c.id, ChargeCommand::RecordReport(report))
            .await?;
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
        let t = &self.timings;
        Ok(if appended {
            Next::Ack
        } else {
            Next::After(t.poll_after)
        })
    }
}
