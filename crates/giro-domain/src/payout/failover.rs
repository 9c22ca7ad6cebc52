//! Failover: a payout its provider certainly did not pay is sent to the next eligible candidate
//! of its route (`payout.requested`'s `route.candidates`) as a new attempt, recorded as
//! `payout.rerouted`. Never while any attempt may still be paid: an attempt whose outcome is or
//! was unknown, one a provider accepted, or one a provider reported anything about keeps the
//! payout where it is. Reports that later arrive about an attempt at a former provider are
//! `payout.report_unmatched` (a success among them flagged as a possible double payment): a
//! person decides, the engine never pays again because of them.

use serde::{Deserialize, Serialize};

use super::event::{PayoutEvent, SubmissionFailed};
use super::state::{Payout, PayoutStatus};
use crate::ids::ProviderId;
use crate::rejection::{ErrorCode, Rejection};

/// Why a payout left its provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RerouteReason {
    /// The provider refused the submission for good before processing it (a final refusal).
    Refused,
    /// The provider kept answering "down for maintenance" for longer than the failover wait.
    Maintenance,
    /// The executor's circuit breaker for the provider is open: nothing was sent to it.
    CircuitOpen,
}

impl RerouteReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RerouteReason::Refused => "refused",
            RerouteReason::Maintenance => "maintenance",
            RerouteReason::CircuitOpen => "circuit_open",
        }
    }
}

/// The payout leaves provider `from` for `to`, the next candidate of its route not yet tried;
/// its next attempt (`attempt + 1`, under a handle of its own) is made at `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Rerouted {
    pub from: ProviderId,
    pub to: ProviderId,
    /// The last attempt made at `from` (0 when none was): every attempt up to it was `from`'s.
    pub attempt: u32,
    pub reason: RerouteReason,
    /// The routing rule whose candidates the payout moves along.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// Which provider a payout is at, and what it left behind: folded by `evolve` from
/// `payout.requested` and each `payout.rerouted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failover {
    /// The provider instance that makes the payout's next attempt: `request.provider` until a
    /// reroute.
    pub provider: ProviderId,
    /// Every provider the payout was at, the current one last.
    pub tried: Vec<ProviderId>,
    /// The last attempt made at a former provider (0 when never rerouted): reports about these
    /// attempts are not the current provider's.
    pub former_attempts: u32,
    /// Whether any attempt's outcome was ever unknown: such a payout is never sent elsewhere.
    pub ever_unknown: bool,
}

impl Failover {
    /// Where a payout requested at `provider` starts.
    pub fn at(provider: ProviderId) -> Failover {
        Failover {
            tried: vec![provider.clone()],
            provider,
            former_attempts: 0,
            ever_unknown: false,
        }
    }

    /// Folds one `payout.rerouted`.
    pub(super) fn rerouted(&mut self, r: &Rerouted) {
        self.provider = r.to.clone();
        self.tried.push(r.to.clone());
        self.former_attempts = r.attempt;
    }
}

impl Payout {
    /// The provider instance the payout is at now: the one whose executor acts on it, whose
    /// ledger accounts it posts to, and whose name read models and notifications show.
    pub fn provider(&self) -> &ProviderId {
        &self.failover.provider
    }

    /// The next eligible candidate of the payout's route not yet tried, if any. A payout whose
    /// caller named its provider has no route and so no other candidate.
    pub fn next_candidate(&self) -> Option<&ProviderId> {
        let route = self.request.route.as_ref()?;
        route
            .candidates
            .iter()
            .find(|c| !self.failover.tried.contains(c))
    }

    /// Whether no provider ever took, may have taken, or reported on any attempt: none was
    /// accepted (`payout.submitted`), none's outcome was ever unknown, and no report arrived about
    /// any (even a "failed" report: a provider that had the payout can still reverse to success).
    fn nothing_reached_a_provider(&self) -> bool {
        !self.outcome_unknown
            && !self.failover.ever_unknown
            && !self.attempts.may_have_reached
            && self.submitted_attempt.is_none()
            && self.report_ids.is_empty()
            && self.provider_ref.is_none()
    }

    /// True when no attempt of this payout can still be paid: none is in flight (no claim or
    /// resend awaiting its answer) and [no provider ever took, may have taken, or reported on
    /// any](Self::nothing_reached_a_provider). Only then may the payout be made again as a new
    /// attempt, at this provider or another, without any risk of paying twice. Failover and an
    /// operator's retry of a failed payout both rely on it.
    pub fn no_attempt_can_be_paid(&self) -> bool {
        !matches!(
            self.status,
            PayoutStatus::Submitting
                | PayoutStatus::Submitted
                | PayoutStatus::Processing
                | PayoutStatus::Succeeded
                | PayoutStatus::Reversed
                | PayoutStatus::Refunded
        ) && self.nothing_reached_a_provider()
    }

    fn rerouted(&self, to: &ProviderId, reason: RerouteReason) -> PayoutEvent {
        PayoutEvent::Rerouted(Rerouted {
            from: self.provider().clone(),
            to: to.clone(),
            attempt: self.attempt,
            reason,
            rule: self.request.route.as_ref().map(|r| r.rule.clone()),
        })
    }
}

/// The events of attempt `attempt`'s final refusal (`retryable` false) when the payout can fail
/// over: the refusal, then `payout.rerouted` to the next candidate instead of `payout.failed`.
/// `None` when it cannot (no other candidate, or something may have reached a provider).
pub(super) fn refused(p: &Payout, refusal: &SubmissionFailed) -> Option<Vec<PayoutEvent>> {
    if refusal.retryable || p.status != PayoutStatus::Submitting || !p.nothing_reached_a_provider()
    {
        return None;
    }
    let to = p.next_candidate()?;
    Some(vec![
        PayoutEvent::SubmissionFailed(refusal.clone()),
        p.rerouted(to, RerouteReason::Refused),
    ])
}

/// `PayoutCommand::Reroute`: the executor asks to move a payout that waits before its provider
/// (after "come back later" answers, or with the provider's circuit open) to the next candidate.
/// Refused unless no attempt can be paid and another candidate exists; the payout then goes on at
/// its provider as before.
pub(super) fn reroute(p: &Payout, reason: RerouteReason) -> Result<Vec<PayoutEvent>, Rejection> {
    if !matches!(p.status, PayoutStatus::Requested) || !p.no_attempt_can_be_paid() {
        return Err(Rejection::new(
            ErrorCode::InvalidState,
            format!(
                "cannot reroute: payout is {} and an attempt may still be paid",
                p.status
            ),
        ));
    }
    let Some(to) = p.next_candidate() else {
        return Err(Rejection::new(
            ErrorCode::InvalidState,
            "cannot reroute: no other eligible provider of its route is left",
        ));
    };
    Ok(vec![p.rerouted(to, reason)])
}
