//! The stack's helpers for charges: create one as intake would, carry out a command, read it
//! back and wait for it.

use std::time::{Duration, Instant};

use giro_domain::charge::{Charge, ChargeCommand, ChargeDecider};
use giro_domain::{EventMeta, OrderId};
use giro_sandbox::{SampleKind, SampleOrder};

use crate::Stack;

impl Stack {
    /// Creates a charge as intake would (the body of the first charge sample, with `amount`
    /// and `method`); returns its id.
    pub async fn create_charge(&self, key: &str, amount: &str, method: &str) -> OrderId {
        let sample = giro_sandbox::simulator::sample_for(SampleKind::Charge, None)
            .expect("a simulator takes charges");
        let body = sample.body(&SampleOrder {
            method,
            ..sample.order(key, amount, 0)
        });
        let cmd = giro_domain::charge::parse_create(
            body.to_string().as_bytes(),
            &self.registry.catalog(),
        )
        .expect("valid charge");
        let id = cmd.order_id;
        self.charge_command(id, ChargeCommand::Create(Box::new(cmd)))
            .await
            .expect("charge stored");
        id
    }

    /// Carries out a charge command as intake would.
    pub async fn charge_command(
        &self,
        id: OrderId,
        command: ChargeCommand,
    ) -> Result<usize, giro_eventlog::ExecuteError> {
        self.log
            .log
            .execute::<ChargeDecider>(id, &command, &EventMeta::default(), false)
            .await
            .map(|done| done.appended.len())
    }

    /// The charge's events and state, read from the log.
    async fn load_charge(&self, id: OrderId) -> giro_eventlog::Loaded<ChargeDecider> {
        self.log
            .log
            .load::<ChargeDecider>(id)
            .await
            .expect("order loads")
    }

    /// The charge as its events describe it now.
    pub async fn charge(&self, id: OrderId) -> Charge {
        self.load_charge(id).await.state.expect("charge exists")
    }

    /// The charge's event types, oldest first.
    pub async fn charge_event_types(&self, id: OrderId) -> Vec<&'static str> {
        self.load_charge(id)
            .await
            .events
            .iter()
            .map(|e| giro_domain::EventType::event_type(&e.event))
            .collect()
    }

    /// Waits until `accept` holds for the charge or `within` passes; returns it.
    pub async fn wait_charge(
        &self,
        id: OrderId,
        within: Duration,
        accept: impl Fn(&Charge) -> bool,
    ) -> Charge {
        let deadline = Instant::now() + within;
        loop {
            let charge = self.charge(id).await;
            if accept(&charge) || Instant::now() > deadline {
                return charge;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asserts the charge's versions run 1..=n without gaps or repeats.
    pub async fn assert_gapless_charge(&self, id: OrderId) {
        self.assert_gapless_as::<ChargeDecider>(id).await;
    }
}
