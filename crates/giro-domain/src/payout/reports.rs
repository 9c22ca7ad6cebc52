//! What a provider report means for a payout: recorded once, matched to the attempt it names,
//! compared with the order's figures, and followed by its consequence for the status.

use rust_decimal::Decimal;

use super::event::*;
use super::state::{Payout, PayoutStatus};

/// The fee the provider keeps for the order, when `event` states it: `Some(fee)` (`Some(None)`
/// for no fee), or `None` when the event says nothing of it. A report with a decisive outcome
/// states it (Cashy sets `fee` only on success, so the FAIL that reverses a success says the fee
/// is not kept), as does any report carrying a fee and a success carrying one. The one rule the
/// order's state, the ledger and the read models follow, so their fees always agree.
pub fn fee_stated(event: &PayoutEvent) -> Option<Option<Decimal>> {
    match event {
        PayoutEvent::ProviderStatus(r)
            if r.fee.is_some()
                || matches!(
                    r.outcome,
                    ReportedOutcome::Succeeded
                        | ReportedOutcome::Failed
                        | ReportedOutcome::Refunded
                ) =>
        {
            Some(r.fee)
        }
        PayoutEvent::Succeeded(s) if s.fee.is_some() => Some(s.fee),
        _ => None,
    }
}

/// The consequence of a provider outcome for a payout in `status`, if any.
fn consequence(status: PayoutStatus, report: &ProviderReport) -> Option<PayoutEvent> {
    use PayoutStatus as S;
    let failure = || Failure {
        code: report.raw_status.clone(),
        message: report
            .reason
            .clone()
            .unwrap_or_else(|| report.raw_status.clone()),
    };
    match report.outcome {
        ReportedOutcome::Succeeded if status.is_at_provider() || status == S::Failed => {
            Some(PayoutEvent::Succeeded(Succeeded {
                provider_ref: report.provider_ref.clone(),
                fee: report.fee,
            }))
        }
        ReportedOutcome::Failed if status.is_at_provider() => Some(PayoutEvent::Failed(failure())),
        ReportedOutcome::Failed if status == S::Succeeded => Some(PayoutEvent::Reversed(failure())),
        ReportedOutcome::Refunded if status.is_at_provider() || status == S::Succeeded => {
            Some(PayoutEvent::Refunded(Refunded {
                reason: report.reason.clone(),
            }))
        }
        _ => None,
    }
}

/// A report is recorded once (by its id); its consequence follows when it is new, or when it is a
/// repeat of the newest decisive report: that re-derives a consequence a crash between the two
/// appends lost, while a repeat of an older report (a stale SUCCESS after a reversal) changes
/// nothing.
///
/// A report belongs to the attempt it names. One about an attempt never made, or about an attempt
/// a later one replaced, is recorded as `payout.report_unmatched` and moves nothing: only a person
/// can tell what it means (a success on a replaced attempt may be a second payment). A report on
/// the current attempt whose amount or currency differs from the order's is followed by
/// `payout.discrepancy`; the status still follows the provider.
pub(super) fn decide_report(p: &Payout, report: &ProviderReport) -> Vec<PayoutEvent> {
    let seen = p.report_ids.iter().any(|id| id == &report.report_id);
    if let Some(reason) = unmatched(p, report) {
        if seen {
            return vec![];
        }
        return vec![PayoutEvent::ReportUnmatched(UnmatchedReport {
            reason,
            current_attempt: p.attempt,
            possible_double_payment: reason != Unmatched::NeverMade
                && report.outcome == ReportedOutcome::Succeeded,
            report: report.clone(),
        })];
    }
    let newest = p
        .last_decisive_report
        .as_ref()
        .is_some_and(|(id, _)| id == &report.report_id);
    let mut events = Vec::new();
    let mut status = p.status;
    if !seen {
        if report.outcome == ReportedOutcome::InFlight
            && matches!(status, PayoutStatus::Submitting | PayoutStatus::Submitted)
        {
            status = PayoutStatus::Processing;
        }
        events.push(PayoutEvent::ProviderStatus(report.clone()));
        events.extend(discrepancies(p, report));
    }
    if !seen || newest {
        events.extend(consequence(status, report));
    }
    events
}

/// A difference found outside a report (a statement line) is recorded once: the same field, value
/// and reference again is a repeat.
pub(super) fn record_discrepancy(p: &Payout, d: &Discrepancy) -> Vec<PayoutEvent> {
    if repeats_discrepancy(&p.discrepancies, d) {
        vec![]
    } else {
        vec![PayoutEvent::Discrepancy(d.clone())]
    }
}

/// Whether `d` is one of the `known` discrepancies again: the same source, reference, field and
/// reported value. Payouts and charges record a difference once.
pub fn repeats_discrepancy(known: &[Discrepancy], d: &Discrepancy) -> bool {
    known.iter().any(|k| {
        k.source == d.source
            && k.reference == d.reference
            && k.field == d.field
            && k.reported == d.reported
    })
}

/// Why `report` is not about the payout's current attempt, if it is not: it names another attempt,
/// or the current one under a reference other than the one the provider accepted it under. A
/// report that names no attempt is taken as the current attempt's.
fn unmatched(p: &Payout, report: &ProviderReport) -> Option<Unmatched> {
    // Attempts up to `former_attempts` were a former provider's (`payout.rerouted`); before the
    // current provider makes its first, a report naming none is about them too.
    let former = p.failover.former_attempts;
    match report.attempt {
        Some(named) if named == 0 || named > p.attempt => return Some(Unmatched::NeverMade),
        Some(named) if named < p.attempt || named <= former => {
            return Some(Unmatched::Superseded);
        }
        None if former > 0 && p.attempt <= former => return Some(Unmatched::Superseded),
        _ => {}
    }
    let accepted_as = p
        .provider_ref
        .as_deref()
        .filter(|_| p.submitted_attempt == Some(p.attempt));
    match (accepted_as, report.provider_ref.as_deref()) {
        (Some(accepted), Some(named)) if accepted.trim() != named.trim() => {
            Some(Unmatched::OtherReference)
        }
        _ => None,
    }
}

/// Where the amount or currency a report states differs from the order's; a difference already
/// recorded (the same field, the same reported value) is not recorded again.
fn discrepancies(p: &Payout, report: &ProviderReport) -> Vec<PayoutEvent> {
    let Some(reported) = &report.amount else {
        return vec![];
    };
    let money = &p.request.money;
    let mut found = Vec::new();
    if let Some(currency) = &reported.currency
        && !currency
            .trim()
            .eq_ignore_ascii_case(money.currency().code())
    {
        found.push((
            DiscrepancyField::Currency,
            money.currency().code().to_string(),
            currency.trim().to_string(),
        ));
    }
    if reported.amount.normalize() != money.amount().normalize() {
        found.push((
            DiscrepancyField::Amount,
            money.amount().normalize().to_string(),
            reported.amount.normalize().to_string(),
        ));
    }
    new_report_differences(&p.discrepancies, &report.report_id, found)
        .into_iter()
        .map(PayoutEvent::Discrepancy)
        .collect()
}

/// The differences `found` in report `report_id` as (field, expected, reported), less those
/// already recorded (`known`: the same field, the same reported value). Payouts and charges raise
/// report differences by this one rule.
pub fn new_report_differences(
    known: &[Discrepancy],
    report_id: &str,
    found: Vec<(DiscrepancyField, String, String)>,
) -> Vec<Discrepancy> {
    found
        .into_iter()
        .filter(|(field, _, value)| {
            !known
                .iter()
                .any(|d| d.field == *field && &d.reported == value)
        })
        .map(|(field, expected, reported)| Discrepancy {
            source: DiscrepancySource::Report,
            reference: report_id.to_string(),
            field,
            expected,
            reported,
        })
        .collect()
}
