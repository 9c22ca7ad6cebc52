//! A charge's statement differences: given a paid charge, when reconciliation records what the
//! provider's statement says differently, then one `charge.discrepancy`, folded on the charge and
//! never moving its status.

mod charge_common;

use charge_common::*;
use giro_domain::ErrorCode;
use giro_domain::charge::{
    ChargeCommand as C, ChargeOutcome as O, Discrepancy, DiscrepancyField, DiscrepancySource,
};

fn paid(key: &str) -> Given {
    let mut g = Given::new(key);
    g.then(
        C::StartSubmission,
        &["charge.submission_started"],
        "submitting",
    );
    g.then(
        C::RecordSubmitted(submitted(1)),
        &["charge.submitted"],
        "pending",
    );
    g.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
    g
}

fn amount(reported: &str) -> Discrepancy {
    Discrepancy {
        source: DiscrepancySource::Statement,
        reference: "statement a55 2026-12-06 H1".into(),
        field: DiscrepancyField::Amount,
        expected: "150".into(),
        reported: reported.into(),
    }
}

#[test]
fn a_statement_difference_on_a_charge_is_recorded_once_and_moves_nothing() {
    let mut g = paid("cd1");
    g.then(
        C::RecordDiscrepancy(amount("149")),
        &["charge.discrepancy"],
        "paid",
    );
    g.then(C::RecordDiscrepancy(amount("149")), &[], "paid");
    // Another figure on the same line is another difference.
    g.then(
        C::RecordDiscrepancy(amount("148")),
        &["charge.discrepancy"],
        "paid",
    );
    let c = g.charge();
    assert_eq!(c.discrepancies.len(), 2);
    assert_eq!(c.discrepancies[0], amount("149"));
}

#[test]
fn a_difference_about_no_charge_is_refused() {
    let rejection = giro_domain::charge::decide(&None, &C::RecordDiscrepancy(amount("1")), now())
        .expect_err("no charge, nothing to record");
    assert_eq!(rejection.code, ErrorCode::NotFound);
}

#[test]
fn each_provider_outcome_names_the_status_a_charge_holds_under_it() {
    use giro_domain::charge::ChargeStatus as S;
    for (outcome, status) in [
        (O::Pending, Some(S::Pending)),
        (O::Authorized, Some(S::Authorized)),
        (O::Confirmed, Some(S::Confirmed)),
        (O::Paid, Some(S::Paid)),
        (O::Failed, Some(S::Failed)),
        (O::Cancelled, Some(S::Cancelled)),
        (O::Refunded, Some(S::Refunded)),
        (O::RefundFailed, Some(S::Paid)),
        (O::ChargebackOpened, Some(S::Chargeback)),
        (O::ChargebackLost, Some(S::Chargeback)),
        (O::ChargebackWon, Some(S::Paid)),
        (O::Unknown, None),
    ] {
        assert_eq!(outcome.status(), status, "{outcome:?}");
    }
}
