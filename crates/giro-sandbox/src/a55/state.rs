//! What the A55 simulator holds: tokens and charges.

use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;

use super::auth::Tokens;
use super::config::A55Config;
use super::errors::Problem;
use crate::context::Common;
use crate::statement::{StatementLine, StatementSource};

/// The provider name in introspection.
pub(crate) const PROVIDER: &str = "a55";

/// The simulator.
pub(crate) struct A55 {
    pub config: A55Config,
    pub common: Common,
    pub tokens: Tokens,
    /// Base of hosted URLs (`charge_payment_url`, `url_3ds`, `boleto_url`).
    pub base_url: String,
    charges: Mutex<Vec<Charge>>,
}

/// Charge statuses (seed 003 and the public docs' `pre_captured`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Issued,
    Pending,
    PreCaptured,
    Confirmed,
    Paid,
    Error,
    Canceled,
    Refunded,
}

impl Status {
    /// Whether the payer or A55 may still move the charge on its own: created, waiting for the
    /// payer, authorised but not captured, or confirmed but not yet settled.
    pub(crate) fn in_flight(self) -> bool {
        matches!(
            self,
            Self::Issued | Self::Pending | Self::PreCaptured | Self::Confirmed
        )
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Pending => "pending",
            Self::PreCaptured => "pre_captured",
            Self::Confirmed => "confirmed",
            Self::Paid => "paid",
            Self::Error => "error",
            Self::Canceled => "canceled",
            Self::Refunded => "refunded",
        }
    }
}

/// Method-specific payment instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Instructions {
    None,
    /// The PIX BR Code, shown as QR and as copy-paste text.
    Pix(String),
    /// Boleto barcode (44 digits) and digitable line (47 digits).
    Boleto {
        barcode: String,
        digitable_line: String,
    },
}

/// A charge.
#[derive(Debug, Clone)]
pub(crate) struct Charge {
    pub uuid: String,
    pub wallet_uuid: String,
    pub currency: String,
    /// The amount kept (after truncation of CLP/COP).
    pub value: Decimal,
    pub installment_count: u32,
    pub type_charge: String,
    pub description: String,
    pub date: NaiveDate,
    pub due_date: NaiveDate,
    pub status: Status,
    pub problem: Option<Problem>,
    pub webhook_url: Option<String>,
    pub reference_external_id: Option<String>,
    pub subscription: Option<(String, String, Option<NaiveDate>)>,
    pub hosted: bool,
    pub threeds: bool,
    pub instructions: Instructions,
    pub transaction_reference: String,
    /// The optional fields the charge was created with (see `extras::received`).
    pub received: serde_json::Value,
    /// Bumped by cancel/refund/capture so that a running plan stops moving the charge.
    pub generation: u32,
    /// When it last changed status (or was created), by the sandbox's clock.
    pub updated_at: DateTime<Utc>,
}

impl A55 {
    pub(crate) fn new(config: A55Config, common: Common, base_url: String) -> Self {
        Self {
            config,
            common,
            tokens: Tokens::default(),
            base_url,
            charges: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn charges(&self) -> MutexGuard<'_, Vec<Charge>> {
        self.charges.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `value` as what the payer is charged (a partial capture).
    pub(crate) fn set_value(&self, uuid: &str, value: Decimal) {
        if let Some(c) = self.charges().iter_mut().find(|c| c.uuid == uuid) {
            c.value = value;
        }
    }

    pub(crate) fn find(&self, uuid: &str) -> Option<Charge> {
        self.charges().iter().find(|c| c.uuid == uuid).cloned()
    }

    /// Moves a charge to `status` unless a manual operation took it over since `generation`
    /// (`None` for the manual operations themselves, which bump the generation).
    pub(crate) fn move_to(
        &self,
        uuid: &str,
        status: Status,
        problem: Option<Problem>,
        generation: Option<u32>,
    ) -> Option<Charge> {
        let mut charges = self.charges();
        let charge = charges.iter_mut().find(|c| c.uuid == uuid)?;
        match generation {
            Some(g) if g != charge.generation => return None,
            Some(_) => {}
            None => charge.generation += 1,
        }
        charge.status = status;
        charge.updated_at = self.common.clock.now();
        if problem.is_some() {
            charge.problem = problem;
        }
        let snapshot = charge.clone();
        drop(charges);
        let detail = snapshot
            .problem
            .as_ref()
            .filter(|_| status == Status::Error)
            .map(|p| p.code.as_str());
        self.common
            .registry
            .status(PROVIDER, uuid, status.as_str(), detail);
        Some(snapshot)
    }
}

/// A55 documents no statement; the sandbox exports one in the format the other simulators use
/// (see the README): one line per charge settled on the day. `reference` is the
/// `reference_external_id` the merchant sent (the charge's uuid when it sent none), `amount` the
/// charge's `local_currency` — what the payer paid in all, which a refunded charge still shows,
/// as A55's charge keeps no separate refunded figure — and `channel_ref` the
/// `transaction_reference`. A55 states no fee.
impl StatementSource for A55 {
    fn instances(&self) -> Vec<&'static str> {
        vec![PROVIDER]
    }

    fn statement(&self, date: NaiveDate) -> Vec<StatementLine> {
        self.charges()
            .iter()
            .filter(|c| !c.status.in_flight() && c.updated_at.date_naive() == date)
            .map(|c| StatementLine {
                at: c.updated_at,
                provider: PROVIDER.to_owned(),
                reference: c
                    .reference_external_id
                    .clone()
                    .unwrap_or_else(|| c.uuid.clone()),
                provider_ref: c.uuid.clone(),
                status: c.status.as_str().to_owned(),
                amount: self.render(c).local_currency.0.to_string(),
                currency: c.currency.clone(),
                fee: None,
                completed_at: c.updated_at.to_rfc3339_opts(SecondsFormat::Millis, true),
                channel_ref: Some(c.transaction_reference.clone()),
            })
            .collect()
    }
}
