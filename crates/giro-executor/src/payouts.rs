//! What an executor does for a payout, given its state rebuilt from the log. Every step is a
//! command decided against the current state and appended with optimistic concurrency, so any
//! number of instances may race on one order and exactly one wins each step.
//!
//! Retries follow [`retry_decision`]: ordinary retryable refusals and resends after a lookup
//! found nothing count against `max_attempts`; "come back later" refusals (maintenance, busy,
//! rate limited) wait at least what the provider announced and are bounded by time instead.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use giro_domain::payout::{
    Payout, PayoutCommand, PayoutDecider, PayoutEvent, PayoutStatus, ProviderReport, ReportSource,
    ReportedOutcome,
};
use giro_domain::{Envelope, EventMeta, OrderId};
use giro_eventlog::{EventLog, ExecuteError};

use crate::config::Timings;
use crate::funds::Funds;
use crate::runtime::{Attempts, Retry, Steps, come_back_later, is_come_back_later, retry_decision};
pub use crate::runtime::{Next, backoff};
use giro_providers::{BoxFuture, Lookup, PayoutOrder, PayoutProvider, Submission};

/// The raw status of the report that records a lookup finding nothing under the current
/// attempt's handle, after which the attempt was sent again under the same handle and its
/// outcome was unknown once more (report id `<handle>:not_found:<n>`, the reason that outcome's).
/// Each such resend counts as an attempt.
pub const NOT_FOUND: &str = "not_found";

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
    age(p.status_since)
}

fn age(at: DateTime<Utc>) -> Duration {
    (Utc::now() - at).to_std().unwrap_or_default()
}

fn n(deliveries: u64) -> u32 {
    u32::try_from(deliveries.saturating_sub(1)).unwrap_or(u32::MAX)
}

/// What a payout's log says about its attempts.
#[derive(Debug, Default)]
struct History {
    attempts: Attempts,
    /// Resends of the current attempt after lookups found nothing.
    resends: u32,
    /// When the current attempt was last sent: its claim, or its latest resend.
    last_send: Option<DateTime<Utc>>,
    /// Why the current attempt's outcome is unknown (the latest reason given).
    unknown_reason: Option<String>,
}

impl History {
    fn of(events: &[Arc<Envelope<PayoutEvent>>]) -> Self {
        let mut h = History::default();
        for env in events {
            match &env.event {
                PayoutEvent::SubmissionStarted(_) => {
                    h.resends = 0;
                    h.last_send = Some(env.at);
                    h.unknown_reason = None;
                }
                PayoutEvent::SubmissionFailed(f) => h.attempts.refused(&f.message, env.at),
                PayoutEvent::OutcomeUnknown(u) => {
                    h.attempts.ended_run();
                    h.unknown_reason = Some(u.reason.clone());
                }
                PayoutEvent::ProviderStatus(r) if is_resend(r) => {
                    h.attempts.resends += 1;
                    h.resends += 1;
                    h.last_send = Some(env.at);
                    if let Some(reason) = &r.reason {
                        h.unknown_reason = Some(reason.clone());
                    }
                }
                PayoutEvent::Submitted(_) => h.attempts.ended_run(),
                _ => {}
            }
        }
        h
    }
}

fn is_resend(r: &ProviderReport) -> bool {
    r.raw_status == NOT_FOUND
        && r.outcome == ReportedOutcome::Unknown
        && r.report_id.contains(":not_found:")
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
        Box::pin(PayoutWorker::step(self, order, deliveries))
    }

    fn step_with_events<'a>(
        &'a self,
        order: &'a Payout,
        events: &'a [Arc<Envelope<PayoutEvent>>],
        deliveries: u64,
    ) -> BoxFuture<'a, Result<Next, ExecuteError>> {
        Box::pin(self.step_with(order, events, deliveries))
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

    /// Appends a step's decision `cmd`, made on `p` as the step saw it, only if the payout is
    /// still there: true when stored (or nothing needed storing), false when the payout moved on
    /// (a newer event, whose message drives it now) or refuses the command.
    async fn decide(&self, p: &Payout, cmd: PayoutCommand) -> Result<bool, ExecuteError> {
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

    /// One step for a payout whose latest event woke us; `deliveries` counts how often this
    /// event's message has been delivered (it grows while the order sleeps on it). Reads the
    /// order's events for its attempts' history.
    pub async fn step(&self, p: &Payout, deliveries: u64) -> Result<Next, ExecuteError> {
        let loaded = self.log.load::<PayoutDecider>(p.id).await?;
        self.step_with(p, &loaded.events, deliveries).await
    }

    /// One step, given the payout's events (oldest first).
    pub async fn step_with(
        &self,
        p: &Payout,
        events: &[Arc<Envelope<PayoutEvent>>],
        deliveries: u64,
    ) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        match p.status {
            PayoutStatus::Requested => {
                let history = History::of(events);
                let failure = p
                    .failure
                    .as_ref()
                    .map(|f| (f.code.as_str(), f.message.as_str()));
                match retry_decision(
                    t,
                    p.attempt,
                    &history.attempts,
                    failure,
                    since(p),
                    Utc::now(),
                ) {
                    Retry::Now => self.fund_and_submit(p, deliveries).await,
                    Retry::After(wait) => Ok(Next::After(wait)),
                    Retry::GiveUp { code, message } => {
                        tracing::warn!(order_id = %p.id, %code, %message, "payout failed: no attempts left");
                        if self
                            .decide(p, PayoutCommand::Fail { code, message })
                            .await?
                        {
                            self.release(p.id).await;
                        }
                        Ok(Next::Ack)
                    }
                }
            }
            PayoutStatus::Held => {
                if since(p) > t.hold_timeout {
                    let message = format!(
                        "held for more than {:?} waiting for funds: {}",
                        t.hold_timeout,
                        p.hold_reason.clone().unwrap_or_default()
                    );
                    let code = "insufficient_funds".to_string();
                    if self
                        .decide(p, PayoutCommand::Fail { code, message })
                        .await?
                    {
                        self.release(p.id).await;
                    }
                    return Ok(Next::Ack);
                }
                self.fund_and_submit(p, deliveries).await
            }
            PayoutStatus::Submitting if !p.outcome_unknown => {
                // A claim whose owner has not reported: still working, or gone.
                if since(p) < t.claim_timeout {
                    return Ok(Next::After(t.claim_timeout - since(p)));
                }
                let reason = "the claiming executor did not report a result in time".to_string();
                self.decide(
                    p,
                    PayoutCommand::RecordOutcomeUnknown {
                        attempt: p.attempt,
                        reason,
                    },
                )
                .await?;
                Ok(Next::Ack)
            }
            PayoutStatus::Submitting => {
                self.resolve_unknown(p, &History::of(events), deliveries)
                    .await
            }
            PayoutStatus::Submitted | PayoutStatus::Processing => {
                let wait = backoff(t.poll_after, t.poll_max, n(deliveries));
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

    /// Reserves `p`'s amount against the provider's balance (pre-funded providers only; true
    /// without them). A reservation the order already holds is kept as it is.
    async fn reserve(&self, p: &Payout) -> Result<bool, crate::funds::FundsError> {
        let Some(funds) = &self.funds else {
            return Ok(true);
        };
        let money = p.request.money;
        let provider = self.provider.clone();
        funds
            .reserve(p.id, money.amount(), move || {
                let provider = provider.clone();
                async move {
                    match provider.balance(money.currency()).await {
                        Some(result) => result,
                        None => Err("the provider reports no balance".to_string()),
                    }
                }
            })
            .await
    }

    /// Reserves funds (pre-funded providers), claims the next attempt, calls the provider, and
    /// records what came of it. The reservation is released once the outcome is recorded and
    /// known; an unknown outcome keeps it until the attempt is resolved.
    async fn fund_and_submit(&self, p: &Payout, deliveries: u64) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        match self.reserve(p).await {
            Ok(true) => {}
            Ok(false) => {
                if p.status == PayoutStatus::Requested {
                    let money = p.request.money;
                    let reason = format!("waiting for {money} of pre-funded balance");
                    self.decide(p, PayoutCommand::Hold { reason }).await?;
                    return Ok(Next::Ack);
                }
                return Ok(Next::After(t.hold_recheck));
            }
            Err(e) => {
                tracing::warn!(order_id = %p.id, error = %e, "cannot check funds; retrying");
                return Ok(Next::After(backoff(
                    t.retry_base,
                    t.retry_max,
                    n(deliveries),
                )));
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
                &meta(p.id),
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
        self.record_and_release(&claimed, outcome).await
    }

    /// Records `outcome`, and releases the reservation when the outcome is known and recorded.
    async fn record_and_release(
        &self,
        p: &Payout,
        outcome: Submission,
    ) -> Result<Next, ExecuteError> {
        let known = !matches!(outcome, Submission::Unknown { .. });
        let result = self.record_submission(p, outcome).await;
        if known && result.is_ok() {
            self.release(p.id).await;
        }
        result
    }

    async fn release(&self, id: OrderId) {
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
                retry_after,
            } => {
                // "Come back later" is written into the event with the provider's wait, so that
                // whichever instance takes the next attempt honours it.
                let message = if retryable && is_come_back_later(&code, retry_after) {
                    come_back_later(&message, retry_after)
                } else {
                    message
                };
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
    /// idempotency makes a late original and the resend one payout), paced like a new attempt and
    /// counted as one. When the attempts are spent and the provider still affirms it has no such
    /// payout (and the last send is older than a claim may run), the payout fails with the last
    /// reason; a provider that cannot be asked never fails it.
    async fn resolve_unknown(
        &self,
        p: &Payout,
        history: &History,
        deliveries: u64,
    ) -> Result<Next, ExecuteError> {
        let t = &self.timings;
        let Some(order) = self.order(p) else {
            return Ok(Next::Ack);
        };
        let spent = history.attempts.spent(p.attempt);
        if let Some(last) = history.last_send {
            let wait = backoff(t.retry_base, t.retry_max, spent.saturating_sub(1));
            if age(last) < wait {
                return Ok(Next::After(wait - age(last)));
            }
        }
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
                self.release(p.id).await;
                Ok(Next::Ack)
            }
            Lookup::NotFound if spent >= t.max_attempts => {
                let quiet = history.last_send.map_or(Duration::MAX, age);
                if quiet < t.claim_timeout {
                    // A send still in flight could yet arrive: ask again once it cannot.
                    return Ok(Next::After(t.claim_timeout - quiet));
                }
                let reason = history
                    .unknown_reason
                    .clone()
                    .unwrap_or_else(|| "the provider never answered".into());
                let message = format!("gave up after {spent} attempts: {reason}");
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
            Lookup::NotFound => {
                match self.reserve(p).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(order_id = %p.id,
                        "sending again without a reservation: the balance is short (the provider's own check refuses an overdraft)"),
                    Err(e) => tracing::warn!(order_id = %p.id, error = %e,
                        "sending again without a reservation: funds unavailable"),
                }
                match self.provider.submit(order).await {
                    Submission::Unknown { reason } => {
                        let handle = order.handle;
                        tracing::info!(order_id = %p.id, %reason, "resend's outcome unknown too; will look up again");
                        let report = ProviderReport {
                            source: ReportSource::Poll,
                            raw_status: NOT_FOUND.into(),
                            outcome: ReportedOutcome::Unknown,
                            report_id: format!("{handle}:{NOT_FOUND}:{}", history.resends + 1),
                            provider_ref: None,
                            reason: Some(reason),
                            fee: None,
                            reported_at: None,
                        };
                        self.command(p.id, PayoutCommand::RecordReport(report))
                            .await?;
                        Ok(Next::Ack)
                    }
                    other => self.record_and_release(p, other).await,
                }
            }
            Lookup::Failed {
                reason,
                retry_after,
            } => {
                tracing::info!(order_id = %p.id, %reason, "lookup failed; retrying");
                let wait = backoff(t.retry_base, t.retry_max, n(deliveries));
                Ok(Next::After(retry_after.map_or(wait, |r| r.max(wait))))
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
                Ok(Next::After(retry_after.map_or(next, |r| r.max(next))))
            }
        }
    }
}

fn is_insufficient_funds(code: &str, message: &str) -> bool {
    let text = format!("{code} {message}").to_ascii_lowercase();
    text.contains("insufficient") || text.contains("balance")
}
