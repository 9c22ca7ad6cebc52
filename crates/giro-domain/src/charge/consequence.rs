//! What a provider report means for a charge. A report is recorded once (by its id); its
//! consequence follows when it is new, or when it repeats the newest decisive report whose
//! consequence was never stored: that re-derives what a crash between the two appends lost, while
//! a repeat of an older report (a stale `pending` after `paid`) changes nothing.

use rust_decimal::Decimal;

use super::capture::pending_amount;
use super::event::{
    ChargeCancelled, ChargeCaptured, ChargeEvent, ChargeRefunded, ChargeUnmatchedReport, Failure,
    Reported,
};
use super::report::{ChargeOutcome, ChargeReport};
use super::state::{Charge, Dispute};
use super::status::{ChargeStatus, fits, next_status};
use crate::payout::{DiscrepancyField, Unmatched, new_report_differences};

/// The events recording `report` produces for `c`.
pub(super) fn decide_report(c: &Charge, report: &ChargeReport) -> Vec<ChargeEvent> {
    let seen = c.report_ids.iter().any(|id| id == &report.report_id);
    if let Some(reason) = unmatched(c, report) {
        if seen {
            return vec![];
        }
        let paid = matches!(
            report.outcome,
            ChargeOutcome::Paid | ChargeOutcome::Confirmed | ChargeOutcome::Authorized
        );
        return vec![ChargeEvent::ReportUnmatched(ChargeUnmatchedReport {
            reason,
            current_attempt: c.attempt,
            possible_double_charge: reason != Unmatched::NeverMade && paid,
            report: report.clone(),
        })];
    }
    let unapplied_newest = c
        .last_decisive_report
        .as_ref()
        .is_some_and(|d| d.report_id == report.report_id && !d.applied);
    let mut events = Vec::new();
    let mut status = c.status;
    if !seen {
        let recorded = ChargeEvent::ProviderStatus(report.clone());
        status = next_status(status, &recorded).unwrap_or(status);
        events.push(recorded);
        events.extend(discrepancies(c, report));
    }
    if !seen || unapplied_newest {
        if let Some(captured) = captured(c, status, report) {
            status = next_status(status, &captured).unwrap_or(status);
            events.push(captured);
        }
        events.extend(consequence(c, status, report));
    }
    events
}

/// The capture Giro asked for, done: a report that an authorised charge with a capture pending
/// is confirmed or paid, at the amount asked (the provider's `local_currency` must say it, as
/// for any payment). `None` otherwise.
fn captured(c: &Charge, status: ChargeStatus, report: &ChargeReport) -> Option<ChargeEvent> {
    let amount = pending_amount(c)?;
    if status != ChargeStatus::Authorized
        || !matches!(
            report.outcome,
            ChargeOutcome::Confirmed | ChargeOutcome::Paid
        )
        || report.amount.is_some_and(|a| a != amount)
        || other_currency(c, report).is_some()
    {
        return None;
    }
    Some(ChargeEvent::Captured(ChargeCaptured {
        amount,
        raw_status: report.raw_status.clone(),
        reason: c.capture_requested.as_ref().and_then(|r| r.reason.clone()),
    }))
}

/// What the payer must be reported charged for an authorisation, confirmation or payment: the
/// total authorised, or what was (or is being) captured of it.
fn expected(c: &Charge, outcome: ChargeOutcome) -> Decimal {
    match outcome {
        ChargeOutcome::Authorized => c.request.total(),
        _ => c
            .captured
            .or_else(|| pending_amount(c))
            .unwrap_or_else(|| c.request.total()),
    }
}

/// Why `report` is not about the charge's current attempt, if it is not: it names another
/// attempt, or the current one under a `charge_uuid` other than the one A55 gave it. A report
/// that names no attempt is taken as the current attempt's.
fn unmatched(c: &Charge, report: &ChargeReport) -> Option<Unmatched> {
    match report.attempt {
        Some(named) if named == 0 || named > c.attempt => return Some(Unmatched::NeverMade),
        Some(named) if named < c.attempt => return Some(Unmatched::Superseded),
        _ => {}
    }
    let accepted_as = c
        .charge_uuid
        .as_deref()
        .filter(|_| c.submitted_attempt == Some(c.attempt));
    match (accepted_as, report.charge_uuid.as_deref()) {
        (Some(known), Some(named)) if known.trim() != named.trim() => {
            Some(Unmatched::OtherReference)
        }
        _ => None,
    }
}

/// The consequence of a report's outcome for `c` once the report is recorded (`status`), if the
/// outcome still fits: a charge is only authorized, confirmed, failed or cancelled while a
/// provider has it, paid from there or after a failure, refunded or disputed once the payer may
/// have paid, and a dispute is won only while there is one.
fn consequence(c: &Charge, status: ChargeStatus, report: &ChargeReport) -> Option<ChargeEvent> {
    use ChargeOutcome as O;
    use ChargeStatus as S;
    let collected = status.is_at_provider() || status == S::Paid;
    let reported = || Reported {
        raw_status: report.raw_status.clone(),
        reason: report.reason.clone(),
    };
    if let Some(event) = charged_another_amount(c, status, report) {
        return event;
    }
    let event = match report.outcome {
        O::Pending | O::RefundFailed | O::Unknown => return None,
        O::Authorized if status.is_at_provider() => ChargeEvent::Authorized(reported()),
        O::Confirmed if status.is_at_provider() => ChargeEvent::Confirmed(reported()),
        O::Paid if status.is_at_provider() || status == S::Failed => ChargeEvent::Paid(reported()),
        O::Failed if status.is_at_provider() => ChargeEvent::Failed(Failure {
            code: report.raw_status.clone(),
            message: report
                .reason
                .clone()
                .unwrap_or_else(|| report.raw_status.clone()),
        }),
        O::Cancelled if status.is_at_provider() => ChargeEvent::Cancelled(ChargeCancelled {
            reason: report
                .reason
                .clone()
                .or_else(|| c.cancel_requested.as_ref().and_then(|r| r.reason.clone())),
        }),
        O::Refunded if collected => ChargeEvent::Refunded(refunded(c, report)),
        O::ChargebackOpened if collected => ChargeEvent::ChargebackOpened(reported()),
        O::ChargebackLost
            if collected || (status == S::Chargeback && c.dispute != Some(Dispute::Lost)) =>
        {
            ChargeEvent::ChargebackLost(reported())
        }
        O::ChargebackWon if status == S::Chargeback => ChargeEvent::ChargebackWon(reported()),
        _ => return None,
    };
    fits(status, &event).then_some(event)
}

/// The currency a report states when it is not the charge's.
fn other_currency<'a>(c: &Charge, report: &'a ChargeReport) -> Option<&'a str> {
    let stated = report.currency.as_deref()?.trim();
    (!stated.eq_ignore_ascii_case(c.request.money.currency().code())).then_some(stated)
}

/// A report that the payer was authorised or charged an amount other than the charge's total, or
/// that states another currency, is also a `charge.discrepancy` (from the report) for each
/// differing field, whatever its consequence, so that it reaches a person as an exception; a
/// difference already recorded (the same field and reported value) is not recorded again.
fn discrepancies(c: &Charge, report: &ChargeReport) -> Vec<ChargeEvent> {
    use ChargeOutcome as O;
    let total = expected(c, report.outcome);
    let mut found = Vec::new();
    if let Some(charged) = report.amount
        && matches!(report.outcome, O::Authorized | O::Confirmed | O::Paid)
        && charged != total
    {
        found.push((
            DiscrepancyField::Amount,
            total.normalize().to_string(),
            charged.normalize().to_string(),
        ));
    }
    if let Some(stated) = other_currency(c, report) {
        found.push((
            DiscrepancyField::Currency,
            c.request.money.currency().code().to_string(),
            stated.to_string(),
        ));
    }
    new_report_differences(&c.discrepancies, &report.report_id, found)
        .into_iter()
        .map(ChargeEvent::Discrepancy)
        .collect()
}

/// A report that the payer was authorised or charged an amount other than the charge's total, or
/// in another currency: the provider read the amount as each installment's (total × count) or
/// otherwise charged something Giro did not ask for. It is never taken as the charge being paid at
/// Giro's amount: a charge the provider still has fails with `amount_mismatch`, naming
/// `local_currency` (or `currency`); any other is left as it is (the report itself is recorded,
/// with its amount, and a `charge.discrepancy`). `None` when the report is not such.
fn charged_another_amount(
    c: &Charge,
    status: ChargeStatus,
    report: &ChargeReport,
) -> Option<Option<ChargeEvent>> {
    use ChargeOutcome as O;
    let total = expected(c, report.outcome);
    let elsewhere = other_currency(c, report);
    let charged = match report.amount {
        Some(charged) => charged,
        None if elsewhere.is_some() => total,
        None => return None,
    };
    if !matches!(report.outcome, O::Authorized | O::Confirmed | O::Paid)
        || (charged == total && elsewhere.is_none())
    {
        return None;
    }
    let currency = c.request.money.currency();
    let message = match elsewhere {
        Some(stated) => format!(
            "currency: the provider reports {charged} {stated} {} for a charge of {total} \
             {currency}; not recorded as {}",
            report.raw_status, report.raw_status
        ),
        None => format!(
            "local_currency: the provider reports {charged} {currency} {} for a charge of \
             {total} {currency} in all (sent as installment_value with installment_count {}); \
             not recorded as {}",
            report.raw_status, c.request.installment_count, report.raw_status
        ),
    };
    let failed = ChargeEvent::Failed(Failure {
        code: AMOUNT_MISMATCH.to_string(),
        message,
    });
    Some((status.is_at_provider() && fits(status, &failed)).then_some(failed))
}

/// The failure code of a charge the provider reports at an amount (or in a currency) other than
/// its total's.
pub const AMOUNT_MISMATCH: &str = "amount_mismatch";

/// A refund report: the amount the provider names, else the one asked for, else the whole rest;
/// never more than is still charged.
fn refunded(c: &Charge, report: &ChargeReport) -> ChargeRefunded {
    let rest = c.refundable();
    let asked = c.refund_requested.as_ref();
    let amount = report
        .amount
        .or_else(|| asked.and_then(|r| r.amount))
        .unwrap_or(rest)
        .clamp(Decimal::ZERO, rest);
    ChargeRefunded {
        amount,
        reason: report
            .reason
            .clone()
            .or_else(|| asked.and_then(|r| r.reason.clone())),
        remaining: rest - amount,
    }
}
