//! Builders shared by the domain's tests.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use giro_domain::payout::{
    CreatePayout, PayoutCommand, PayoutDecider, PayoutEvent, ProviderReport, ReportSource,
    ReportedOutcome,
};
use giro_domain::provider::Catalog;
use giro_domain::{Decider, Envelope, EventId, EventMeta};
use serde_json::{Value, json};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
        .single()
        .unwrap()
}

pub fn co_bank_body(key: &str) -> Value {
    json!({
        "idempotency_key": key,
        "provider": "cashy-co",
        "amount": "500000",
        "currency": "COP",
        "external_id": "payout-2024-001",
        "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                         "email": "maria@example.com", "phone": "3001234567",
                         "document": {"type": "CC", "number": "12345678"},
                         "bank_code": "001", "account_number": "123456789", "account_type": "savings" },
        "metadata": {"invoice": "F-991"}
    })
}

pub fn create(key: &str) -> CreatePayout {
    let draft =
        giro_domain::payout::parse_create(co_bank_body(key).to_string().as_bytes()).unwrap();
    draft.into_command(&Catalog::default(), None).unwrap()
}

pub fn report(id: &str, raw: &str, outcome: ReportedOutcome) -> ProviderReport {
    ProviderReport {
        source: ReportSource::Webhook,
        raw_status: raw.into(),
        outcome,
        report_id: id.into(),
        provider_ref: Some("PAYOUT1".into()),
        reason: None,
        fee: None,
        attempt: None,
        amount: None,
        completed_at: None,
        channel_ref: None,
        reported_at: None,
    }
}

/// Given history, runs commands in order, returning every stored envelope.
pub struct Given {
    pub events: Vec<Envelope<PayoutEvent>>,
    pub state: Option<giro_domain::payout::Payout>,
    pub id: giro_domain::OrderId,
}

impl Given {
    pub fn new(key: &str) -> Self {
        Given::with(create(key))
    }

    /// A payout created by `c`.
    pub fn with(c: CreatePayout) -> Self {
        let mut g = Given {
            events: vec![],
            state: None,
            id: c.order_id,
        };
        g.when(&PayoutCommand::Create(Box::new(c))).unwrap();
        g
    }

    /// Decides and applies a command; returns the event types it produced.
    pub fn when(
        &mut self,
        cmd: &PayoutCommand,
    ) -> Result<Vec<&'static str>, giro_domain::Rejection> {
        self.when_at(cmd, now())
    }

    /// [`Given::when`] decided at `at`.
    pub fn when_at(
        &mut self,
        cmd: &PayoutCommand,
        at: DateTime<Utc>,
    ) -> Result<Vec<&'static str>, giro_domain::Rejection> {
        let events = PayoutDecider::decide(&self.state, cmd, at)?;
        let mut types = vec![];
        for event in events {
            types.push(giro_domain::EventType::event_type(&event));
            let env = Envelope {
                id: EventId::new(),
                event,
                order_id: self.id,
                version: self.events.len() as u64 + 1,
                at,
                meta: EventMeta::default(),
            };
            self.state = PayoutDecider::evolve(self.state.take(), &env);
            self.events.push(env);
        }
        Ok(types)
    }

    /// Claims the first attempt and records the provider's acceptance of it (`PAYOUT1`).
    pub fn submitted(mut self) -> Self {
        self.then(
            PayoutCommand::StartSubmission,
            &["payout.submission_started"],
            "submitting",
        );
        self.then(
            PayoutCommand::RecordSubmitted {
                attempt: 1,
                provider_ref: Some("PAYOUT1".into()),
                raw_status: None,
            },
            &["payout.submitted"],
            "submitted",
        );
        self
    }

    pub fn status(&self) -> &'static str {
        self.state.as_ref().unwrap().status.as_str()
    }

    pub fn then(&mut self, cmd: PayoutCommand, types: &[&str], status: &str) {
        let got = self
            .when(&cmd)
            .unwrap_or_else(|r| panic!("{cmd:?} refused: {r}"));
        assert_eq!(got, types, "events of {cmd:?}");
        assert_eq!(self.status(), status, "status after {cmd:?}");
    }
}
