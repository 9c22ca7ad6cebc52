//! Builders shared by the charge tests: a BRL hosted-checkout charge of 3 × 150.00 and a
//! given/when/then harness over `ChargeDecider`.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use giro_domain::charge::{
    Charge, ChargeCommand, ChargeDecider, ChargeEvent, ChargeOutcome, ChargeReport,
    ChargeSubmitted, CreateCharge, PaymentDetails, ReportSource, parse_create,
};
use giro_domain::provider::Catalog;
use giro_domain::{Decider, Envelope, EventId, EventMeta, EventType, OrderId, Rejection};
use rust_decimal::Decimal;
use serde_json::json;

pub const UUID: &str = "51dcca6e-7310-4b73-a94c-90835408f2ff";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
        .single()
        .unwrap()
}

pub fn create(key: &str) -> CreateCharge {
    let body = json!({
        "idempotency_key": key, "provider": "a55", "amount": "450.00", "installment_count": 3,
        "currency": "BRL", "method": "credit_card",
        "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "123.456.789-09",
                  "phone": "+5511999999999",
                  "address": {"street": "Av. Paulista", "address_number": "1000", "complement": "Sala 101",
                              "neighborhood": "Bela Vista", "city": "Sao Paulo", "state": "SP",
                              "postal_code": "01310-100", "country": "BR"}},
        "due_date": "2026-12-31", "description": "Order 42", "redirect_url": "https://shop.example/done"
    });
    parse_create(body.to_string().as_bytes(), &Catalog::default()).unwrap()
}

/// A report as A55's webhook gives it: the id is `<uuid>:<STATUS>`.
pub fn report(raw: &str, outcome: ChargeOutcome) -> ChargeReport {
    ChargeReport {
        source: ReportSource::Webhook,
        raw_status: raw.into(),
        outcome,
        report_id: format!("{UUID}:{}", raw.to_ascii_uppercase()),
        charge_uuid: Some(UUID.into()),
        reason: None,
        amount: None,
        attempt: None,
        reported_at: None,
        currency: None,
    }
}

pub fn submitted(attempt: u32) -> ChargeSubmitted {
    ChargeSubmitted {
        attempt,
        charge_uuid: UUID.into(),
        raw_status: "issued".into(),
        payment: PaymentDetails {
            payment_url: Some(format!("https://checkout.a55.example/checkout/{UUID}")),
            ..PaymentDetails::default()
        },
    }
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Given history, runs commands in order, keeping every stored envelope.
pub struct Given {
    pub events: Vec<Envelope<ChargeEvent>>,
    pub state: Option<Charge>,
    pub id: OrderId,
}

impl Given {
    pub fn new(key: &str) -> Self {
        let c = create(key);
        let mut g = Given {
            events: vec![],
            state: None,
            id: c.order_id,
        };
        g.when(&ChargeCommand::Create(Box::new(c))).unwrap();
        g
    }

    /// Stores an event as if decided (to build histories a crash left behind).
    pub fn store(&mut self, event: ChargeEvent) {
        let env = Envelope {
            id: EventId::new(),
            event,
            order_id: self.id,
            version: self.events.len() as u64 + 1,
            at: now(),
            meta: EventMeta::default(),
        };
        self.state = ChargeDecider::evolve(self.state.take(), &env);
        self.events.push(env);
    }

    /// Decides and applies a command; returns the event types it produced.
    pub fn when(&mut self, cmd: &ChargeCommand) -> Result<Vec<&'static str>, Rejection> {
        let events = ChargeDecider::decide(&self.state, cmd, now())?;
        let mut types = vec![];
        for event in events {
            types.push(event.event_type());
            self.store(event);
        }
        Ok(types)
    }

    pub fn charge(&self) -> &Charge {
        self.state.as_ref().unwrap()
    }

    pub fn status(&self) -> &'static str {
        self.charge().status.as_str()
    }

    pub fn then(&mut self, cmd: ChargeCommand, types: &[&str], status: &str) {
        let got = self
            .when(&cmd)
            .unwrap_or_else(|r| panic!("{cmd:?} refused: {r}"));
        assert_eq!(got, types, "events of {cmd:?}");
        assert_eq!(self.status(), status, "status after {cmd:?}");
    }

    pub fn refused(&mut self, cmd: ChargeCommand) -> Rejection {
        let before = self.events.len();
        let r = self
            .when(&cmd)
            .expect_err(&format!("{cmd:?} should be refused"));
        assert_eq!(self.events.len(), before);
        r
    }
}
