//! Charges whose outcome the A55 simulator decides (`giro demo`, the end-to-end harness): the
//! amount's last two whole digits pick the scenario.

use serde_json::{Value, json};

use crate::simulator::{Sample, SampleKind, SampleOrder};

/// A BRL charge of `amount` by `method`, ending `outcome`.
fn charge(amount: u64, method: &'static str, outcome: &'static str) -> Sample {
    Sample {
        instance: super::NAME,
        kind: SampleKind::Charge,
        amount,
        method,
        outcome,
        body: brl_charge,
    }
}

/// A BRL charge in one installment, with a payer in São Paulo.
fn brl_charge(order: &SampleOrder<'_>) -> Value {
    const NAMES: [&str; 4] = [
        "Maria Garcia",
        "Andres Lopez",
        "Camila Rojas",
        "Juan Moreno",
    ];
    json!({
        "idempotency_key": order.key, "provider": order.instance, "amount": order.amount,
        "currency": "BRL", "installment_count": 1, "method": order.method,
        "payer": {"name": NAMES[order.n % NAMES.len()], "email": "payer@example.com",
                  "tax_id": "12345678909", "phone": "+5511999999999",
                  "address": {"street": "Av. Paulista", "address_number": "1000",
                              "complement": "Sala 101", "neighborhood": "Bela Vista",
                              "city": "Sao Paulo", "state": "SP", "postal_code": "01310-100",
                              "country": "BR"}},
        "due_date": "2030-12-31", "description": format!("Order {}", order.key),
        "redirect_url": "https://shop.example.com/done"
    })
}

/// Paid by card; failed (payment_declined) by PIX.
pub(super) fn samples() -> Vec<Sample> {
    vec![
        charge(150, "credit_card", "paid"),
        charge(211, "pix", "failed"),
    ]
}
