//! Reservations against a pre-funded balance (KillB), so concurrent payouts across any number of
//! executor instances never overdraw it. No lock, no leader: see [`Funds`].
//!
//! A reservation lives as long as its order may still need the money without the provider having
//! debited it: it is made before the claim, kept while the attempt's outcome is unknown (a resend
//! after a lookup found nothing is covered by it), and released once the order has moved on
//! (the provider took the payout, refused it, or the order ended). The step that sees the outcome
//! releases it; a reservation whose step died is released by the executors' sweep, which keeps
//! only the reservations of orders still `requested`, `held` or `submitting`.

use std::collections::BTreeMap;

use async_nats::jetstream::{self, context::PublishErrorKind, message::PublishMessage};
use giro_domain::OrderId;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The amounts reserved by payouts being submitted, by order.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Reservations {
    by_order: BTreeMap<OrderId, Decimal>,
}

impl Reservations {
    fn total(&self) -> Decimal {
        self.by_order.values().copied().sum()
    }
}

/// Why a reservation could not be decided.
#[derive(Debug, thiserror::Error)]
pub enum FundsError {
    #[error("funds ledger unavailable: {0}")]
    Ledger(String),
    #[error("balance unavailable: {0}")]
    Balance(String),
}

/// The reservations of one pre-funded account: the latest message on one subject of a small
/// stream, replaced with compare-and-set (`Nats-Expected-Last-Subject-Sequence`), the same
/// optimistic concurrency the event log uses.
#[derive(Clone)]
pub struct Funds {
    js: jetstream::Context,
    stream: jetstream::stream::Stream<()>,
    subject: String,
    /// Steps of one instance take turns on the ledger, so compare-and-set only ever races other
    /// instances instead of every in-flight payout of this one.
    turn: std::sync::Arc<tokio::sync::Mutex<()>>,
}

const MAX_CAS_RETRIES: usize = 32;

impl Funds {
    /// Opens (creating if needed) the ledger stream `stream` (subjects `<prefix>.funds.>`) and the
    /// entry of `account` (e.g. the provider instance id).
    pub async fn open(
        js: &jetstream::Context,
        stream: &str,
        prefix: &str,
        account: &str,
    ) -> Result<Self, FundsError> {
        let config = jetstream::stream::Config {
            name: stream.to_string(),
            subjects: vec![format!("{prefix}.funds.>")],
            storage: jetstream::stream::StorageType::File,
            max_messages_per_subject: 1,
            allow_direct: true,
            description: Some("Giro funds reservations: one subject per pre-funded account".into()),
            ..Default::default()
        };
        js.create_or_update_stream(config)
            .await
            .map_err(|e| FundsError::Ledger(e.to_string()))?;
        let handle = js
            .get_stream_no_info(stream)
            .await
            .map_err(|e| FundsError::Ledger(e.to_string()))?;
        Ok(Funds {
            js: js.clone(),
            stream: handle,
            subject: format!("{prefix}.funds.{account}"),
            turn: Default::default(),
        })
    }

    async fn read(&self) -> Result<(Reservations, u64), FundsError> {
        match self
            .stream
            .direct_get_last_for_subject(self.subject.as_str())
            .await
        {
            Ok(m) => {
                let r = serde_json::from_slice(&m.payload)
                    .map_err(|e| FundsError::Ledger(format!("unreadable reservations: {e}")))?;
                Ok((r, m.sequence))
            }
            Err(e) if e.kind() == jetstream::stream::DirectGetErrorKind::NotFound => {
                Ok((Reservations::default(), 0))
            }
            Err(e) => Err(FundsError::Ledger(e.to_string())),
        }
    }

    /// Stores `r` if the entry is still at `sequence`; false when another instance won.
    async fn write(&self, r: &Reservations, sequence: u64) -> Result<bool, FundsError> {
        let value = serde_json::to_vec(r).map_err(|e| FundsError::Ledger(e.to_string()))?;
        let message = PublishMessage::build()
            .payload(value.into())
            .expected_last_subject_sequence(sequence);
        let ack = self
            .js
            .send_publish(self.subject.clone(), message)
            .await
            .map_err(|e| FundsError::Ledger(e.to_string()))?;
        match ack.await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => Ok(false),
            Err(e) => Err(FundsError::Ledger(e.to_string())),
        }
    }

    /// Reserves `amount` for `order` if the balance minus what is already reserved covers it.
    /// `balance` is read after the reservations, every try: a reservation is released only after
    /// the provider has debited the payout, so a balance read after seeing it released includes
    /// the debit. Returns whether the order holds a reservation now.
    pub async fn reserve<F, Fut>(
        &self,
        order: OrderId,
        amount: Decimal,
        balance: F,
    ) -> Result<bool, FundsError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Decimal, String>>,
    {
        let _turn = self.turn.lock().await;
        for _ in 0..MAX_CAS_RETRIES {
            let (mut r, revision) = self.read().await?;
            if r.by_order.contains_key(&order) {
                return Ok(true);
            }
            let available = balance().await.map_err(FundsError::Balance)? - r.total();
            if available < amount {
                return Ok(false);
            }
            r.by_order.insert(order, amount);
            if self.write(&r, revision).await? {
                return Ok(true);
            }
        }
        Err(FundsError::Ledger(
            "too much contention on the funds ledger".into(),
        ))
    }

    /// Every reservation, by order.
    pub async fn reservations(&self) -> Result<BTreeMap<OrderId, Decimal>, FundsError> {
        Ok(self.read().await?.0.by_order)
    }

    /// The sum of every reservation.
    pub async fn reserved_total(&self) -> Result<Decimal, FundsError> {
        Ok(self.read().await?.0.total())
    }

    /// Drops `order`'s reservation (after the provider debited it, or refused it). Idempotent.
    pub async fn release(&self, order: OrderId) -> Result<(), FundsError> {
        let _turn = self.turn.lock().await;
        for _ in 0..MAX_CAS_RETRIES {
            let (mut r, revision) = self.read().await?;
            if r.by_order.remove(&order).is_none() {
                return Ok(());
            }
            if self.write(&r, revision).await? {
                return Ok(());
            }
        }
        Err(FundsError::Ledger(
            "too much contention on the funds ledger".into(),
        ))
    }
}
