//! Payouts whose outcome the Cashy simulator decides (`giro demo`, `giro bench e2e`, the
//! end-to-end harness): the amount's last two whole digits pick the scenario.

use serde_json::{Value, json};

use super::config::Country;
use crate::simulator::{Sample, SampleKind, SampleOrder, co_bank_payout};

/// A payout of `amount` through the merchant of `country`, ending `outcome`.
fn payout(country: Country, amount: u64, outcome: &'static str) -> Sample {
    Sample {
        instance: country.provider(),
        kind: SampleKind::Payout,
        amount,
        method: "",
        outcome,
        body: match country {
            Country::Co => co_bank_payout,
            Country::Tz => tz_mobile_payout,
        },
    }
}

/// A Tanzanian mobile-wallet payout (`tz_mobile`).
fn tz_mobile_payout(order: &SampleOrder<'_>) -> Value {
    const NAMES: [&str; 3] = ["Juma Hamisi", "Neema Mushi", "Baraka Mrema"];
    let n = order.n;
    json!({
        "idempotency_key": order.key, "provider": order.instance, "amount": order.amount,
        "currency": "TZS", "external_id": order.key,
        "beneficiary": {"rail": "tz_mobile", "name": NAMES[n % NAMES.len()],
                        "msisdn": format!("2557123456{:02}", n % 100), "operator": "tigo"}
    })
}

/// Each country: succeeded; then failed (ACCOUNT NOT EXITS) and cancelled (ORDER_CANCELLED).
pub(super) fn samples() -> Vec<Sample> {
    vec![
        payout(Country::Co, 150_000, "succeeded"),
        payout(Country::Tz, 5_000, "succeeded"),
        payout(Country::Co, 120_011, "failed"),
        payout(Country::Tz, 7_016, "cancelled"),
        payout(Country::Co, 130_016, "cancelled"),
    ]
}
