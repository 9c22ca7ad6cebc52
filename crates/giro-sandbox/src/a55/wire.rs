//! A55's JSON, as it sends it.

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::errors::Problem;
use super::state::{A55, Charge, Instructions};
use crate::json::Number;

/// A charge as the create, read and operation endpoints return it (and the signed webhook body).
#[derive(Debug, Serialize)]
pub(crate) struct ChargeOut {
    pub charge_uuid: String,
    pub status: &'static str,
    pub local_currency: Number,
    pub currency: String,
    pub usd_currency: Number,
    pub eur_currency: Number,
    #[serde(rename = "type")]
    pub kind: String,
    pub date: String,
    pub description: String,
    pub due_date: String,
    pub installment_count: u32,
    pub installments: Vec<InstallmentOut>,
    pub charge_payment_url: Option<String>,
    pub url_3ds: Option<String>,
    pub message: Option<Vec<Problem>>,
    pub subscription: Option<SubscriptionOut>,
    pub reference_external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pix_qr_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pix_copy_paste: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digitable_line: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boleto_url: Option<String>,
}

/// One installment.
#[derive(Debug, Serialize)]
pub(crate) struct InstallmentOut {
    pub local_currency: Number,
    pub currency: String,
    pub usd_currency: Number,
    pub eur_currency: Number,
    pub due_date: String,
    pub status: &'static str,
    pub installment_number: u32,
}

/// The subscription created with a charge.
#[derive(Debug, Serialize)]
pub(crate) struct SubscriptionOut {
    pub subscription_uuid: String,
    pub cycle: String,
    pub end_date: Option<String>,
    pub status: &'static str,
}

/// The older, unsigned webhook.
#[derive(Debug, Serialize)]
pub(crate) struct LegacyWebhook<'a> {
    pub charge_uuid: &'a str,
    pub status: &'static str,
    pub transaction_reference: &'a str,
    pub subscription_uuid: Option<&'a str>,
    pub payment_link_uuid: Option<&'a str>,
}

/// Sandbox exchange rates (USD, EUR per unit), fixed so answers are reproducible; BRL matches the
/// seed's example (150.00 BRL → 26.90 USD, 23.58 EUR).
fn rates(currency: &str) -> (Decimal, Decimal) {
    let (usd, eur) = match currency {
        "BRL" => (1793, 1572),
        "MXN" => (585, 513),
        "CLP" => (11, 9),
        "COP" => (3, 2),
        "PEN" => (2700, 2370),
        "ARS" => (10, 9),
        _ => (10_000, 8770),
    };
    (Decimal::new(usd, 4), Decimal::new(eur, 4))
}

/// Decimals a currency is kept with: CLP and COP have none.
pub(crate) fn exponent(currency: &str) -> u32 {
    if matches!(currency, "CLP" | "COP") {
        0
    } else {
        2
    }
}

fn money(value: Decimal, scale: u32) -> Number {
    let mut value = value.round_dp(scale);
    value.rescale(scale);
    Number(value)
}

/// Splits `total` into `count` installments, the rounding remainder on the first.
fn split(total: Decimal, count: u32, scale: u32) -> Vec<Decimal> {
    let count = count.max(1);
    let each = (total / Decimal::from(count))
        .round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::ToZero);
    let first = total - each * Decimal::from(count - 1);
    std::iter::once(first)
        .chain((1..count).map(|_| each))
        .collect()
}

fn due(date: NaiveDate, months: u32) -> String {
    date.checked_add_months(Months::new(months))
        .unwrap_or(date)
        .format("%Y-%m-%d")
        .to_string()
}

impl A55 {
    /// The charge as A55 shows it.
    pub(crate) fn render(&self, charge: &Charge) -> ChargeOut {
        let scale = exponent(&charge.currency);
        let (usd, eur) = rates(&charge.currency);
        let status = charge.status.as_str();
        let installments = split(charge.value, charge.installment_count, scale)
            .into_iter()
            .zip(0..)
            .map(|(value, n)| InstallmentOut {
                local_currency: money(value, scale),
                currency: charge.currency.clone(),
                usd_currency: money(value * usd, 2),
                eur_currency: money(value * eur, 2),
                due_date: due(charge.due_date, n),
                status,
                installment_number: n + 1,
            })
            .collect();
        let url = |kind: &str| format!("{}/{kind}/{}", self.base_url, charge.uuid);
        let (pix, boleto) = match &charge.instructions {
            Instructions::None => (None, None),
            Instructions::Pix(code) => (Some(code.clone()), None),
            Instructions::Boleto {
                barcode,
                digitable_line,
            } => (None, Some((barcode.clone(), digitable_line.clone()))),
        };
        ChargeOut {
            charge_uuid: charge.uuid.clone(),
            status,
            local_currency: money(charge.value, scale),
            currency: charge.currency.clone(),
            usd_currency: money(charge.value * usd, 2),
            eur_currency: money(charge.value * eur, 2),
            kind: charge.type_charge.clone(),
            date: charge.date.format("%Y-%m-%d").to_string(),
            description: charge.description.clone(),
            due_date: charge.due_date.format("%Y-%m-%d").to_string(),
            installment_count: charge.installment_count,
            installments,
            charge_payment_url: charge.hosted.then(|| url("checkout")),
            url_3ds: charge.threeds.then(|| url("3ds")),
            message: charge.problem.clone().map(|p| vec![p]),
            subscription: charge
                .subscription
                .as_ref()
                .map(|(id, cycle, end)| SubscriptionOut {
                    subscription_uuid: id.clone(),
                    cycle: cycle.clone(),
                    end_date: end.map(|d| d.format("%Y-%m-%d").to_string()),
                    status: "active",
                }),
            reference_external_id: charge.reference_external_id.clone(),
            pix_copy_paste: pix.clone(),
            pix_qr_code: pix,
            boleto_url: boleto.is_some().then(|| url("boleto")),
            barcode: boleto.as_ref().map(|b| b.0.clone()),
            digitable_line: boleto.map(|b| b.1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installments_add_up() {
        let parts = split(Decimal::new(10000, 2), 3, 2);
        assert_eq!(parts.iter().sum::<Decimal>(), Decimal::new(10000, 2));
        assert_eq!(parts[1], Decimal::new(3333, 2));
    }
}
