//! A55's `installment_value` is the charge's total, split across installments (seed 003's example:
//! 150.00 in 3 → three of 50.00). The charge's amount, what a report must show as charged and the
//! refund ceiling are that total; the other reading (value × count) is refused, never paid.

mod charge_common;

use charge_common::*;
use giro_domain::charge::{
    AMOUNT_MISMATCH, ChargeCommand as C, ChargeEvent, ChargeOutcome as O, parse_create,
};
use giro_domain::provider::Catalog;
use giro_domain::{ErrorCode, Rejection};
use serde_json::{Value, json};

fn body(amount: &str, currency: &str, count: u32) -> Value {
    json!({
        "idempotency_key": "inst-1", "provider": "a55", "amount": amount,
        "installment_count": count, "currency": currency, "method": "pix",
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "123.456.789-09",
                  "phone": "+5511999999999",
                  "address": {"street": "Av. Paulista", "address_number": "1000",
                              "complement": "Sala 101", "neighborhood": "Bela Vista",
                              "city": "Sao Paulo", "state": "SP", "postal_code": "01310-100"}},
        "due_date": "2026-12-31", "description": "Order 42"
    })
}

fn refusal(body: Value) -> Rejection {
    parse_create(body.to_string().as_bytes(), &Catalog::default()).unwrap_err()
}

/// A 450.00 BRL charge in 3 installments (charge_common), at the provider.
fn pending(key: &str) -> Given {
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
    g
}

#[test]
fn the_amount_is_the_total_whatever_the_installments() {
    let c = parse_create(
        body("150.00", "BRL", 3).to_string().as_bytes(),
        &Catalog::default(),
    )
    .unwrap();
    assert_eq!(c.requested.total(), dec("150.00"));
    assert_eq!(c.requested.money.amount(), dec("150"));
    assert_eq!(c.requested.installment_count, 3);

    // The refund ceiling is the total, not value × count.
    let mut g = pending("total-1");
    assert_eq!(g.charge().request.total(), dec("450.00"));
    g.then(
        C::RecordReport(report("paid", O::Paid)),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
    assert_eq!(g.charge().refundable(), dec("450.00"));
    let r = g.refused(C::Refund {
        amount: Some(dec("450.01")),
        reason: None,
    });
    assert_eq!(
        (r.code, r.field.as_deref()),
        (ErrorCode::AmountOutOfRange, Some("amount"))
    );
    assert!(!r.message.contains("1350"), "{r}");
}

#[test]
fn a_per_installment_field_is_refused_naming_it() {
    for field in ["installment_value", "installment_amount"] {
        let mut b = body("150.00", "BRL", 3);
        b[field] = json!("50.00");
        let r = refusal(b);
        assert_eq!(
            (r.code, r.field.as_deref()),
            (ErrorCode::InvalidField, Some(field)),
            "{r}"
        );
        assert!(r.message.contains("total"), "{r}");
    }
}

#[test]
fn a_total_that_does_not_split_evenly_is_refused_naming_installment_count() {
    for (amount, currency, count) in [
        ("100.00", "BRL", 3),
        ("0.05", "BRL", 2),
        ("100", "CLP", 3),
        ("1001", "COP", 2),
    ] {
        let r = refusal(body(amount, currency, count));
        assert_eq!(
            (r.code, r.field.as_deref()),
            (ErrorCode::InvalidField, Some("installment_count")),
            "{amount} {currency} / {count}: {r}"
        );
    }
    for (amount, currency, count) in [
        ("150.00", "BRL", 3),
        ("100.00", "BRL", 4),
        ("100.01", "BRL", 1),
        ("0.06", "BRL", 3),
        ("150", "CLP", 3),
        ("240000", "COP", 24),
    ] {
        let c = parse_create(
            body(amount, currency, count).to_string().as_bytes(),
            &Catalog::default(),
        );
        assert!(c.is_ok(), "{amount} {currency} / {count}: {c:?}");
    }
}

#[test]
fn a_report_charging_value_times_count_is_never_recorded_as_paid() {
    for (raw, outcome) in [
        ("paid", O::Paid),
        ("confirmed", O::Confirmed),
        ("pre_captured", O::Authorized),
    ] {
        let mut g = pending(&format!("mismatch-{raw}"));
        let mut per_installment = report(raw, outcome);
        per_installment.amount = Some(dec("1350.00"));
        g.then(
            C::RecordReport(per_installment),
            &[
                "charge.provider_status",
                "charge.discrepancy",
                "charge.failed",
            ],
            "failed",
        );
        match &g.events[g.events.len() - 2].event {
            ChargeEvent::Discrepancy(d) => {
                assert_eq!((d.expected.as_str(), d.reported.as_str()), ("450", "1350"));
            }
            other => panic!("{other:?}"),
        }
        match &g.events.last().unwrap().event {
            ChargeEvent::Failed(f) => {
                assert_eq!(f.code, AMOUNT_MISMATCH);
                assert!(f.message.starts_with("local_currency"), "{}", f.message);
                assert!(f.message.contains("1350.00 BRL"), "{}", f.message);
            }
            other => panic!("{other:?}"),
        }
        // A later report of the same mismatch never turns it into paid, and is the same
        // difference: recorded once.
        let mut again = report("paid", O::Paid);
        again.report_id = format!("{raw}-again");
        again.amount = Some(dec("1350.00"));
        g.then(
            C::RecordReport(again),
            &["charge.provider_status"],
            "failed",
        );
    }

    // The total, however written, is the charge being paid.
    let mut g = pending("match");
    let mut at_total = report("paid", O::Paid);
    at_total.amount = Some(dec("450"));
    g.then(
        C::RecordReport(at_total),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
    // A mismatch reported once paid changes nothing but the record, and is raised for a person.
    let mut late = report("confirmed", O::Confirmed);
    late.amount = Some(dec("150.00"));
    g.then(
        C::RecordReport(late),
        &["charge.provider_status", "charge.discrepancy"],
        "paid",
    );
}

#[test]
fn a_report_in_another_currency_is_never_recorded_as_paid_and_is_raised() {
    let mut g = pending("other-currency");
    let mut in_dollars = report("paid", O::Paid);
    in_dollars.amount = Some(dec("450"));
    in_dollars.currency = Some("USD".into());
    g.then(
        C::RecordReport(in_dollars),
        &[
            "charge.provider_status",
            "charge.discrepancy",
            "charge.failed",
        ],
        "failed",
    );
    match &g.events[g.events.len() - 2].event {
        ChargeEvent::Discrepancy(d) => {
            assert_eq!(
                (d.expected.as_str(), d.reported.as_str()),
                ("BRL", "USD"),
                "{d:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    match &g.events.last().unwrap().event {
        ChargeEvent::Failed(f) => {
            assert_eq!(f.code, AMOUNT_MISMATCH);
            assert!(f.message.starts_with("currency"), "{}", f.message);
        }
        other => panic!("{other:?}"),
    }

    // Its own currency, however written, is no difference.
    let mut g = pending("same-currency");
    let mut at_total = report("paid", O::Paid);
    at_total.amount = Some(dec("450"));
    at_total.currency = Some(" brl ".into());
    g.then(
        C::RecordReport(at_total),
        &["charge.provider_status", "charge.paid"],
        "paid",
    );
}
