//! Reservations against a pre-funded balance (KillB), so concurrent payouts across any number of
//! executor instances never overdraw it. No lock, no leader: see [`Funds`].
//!
//! A reservation lives as long as its order may still need the money without the provider having
//! debited it: it is made before the claim, kept while the attempt's outcome is unknown (a resend
//! after a lookup found nothing is covered by it), and released once the order has moved on
//! (the provider took the payout, refused it, or the order ended). The step that sees the outcome
//! releases it; a reservation whose step died is released by the executors' sweep, which keeps
//! only the reservations of orders still `requested`, `held` or `submitting`.
//!
//! Within one executor instance every reserve and release goes through one committer task that
//! decides all those waiting at once and stores them in one compare-and-set (group commit): the
//! ledger is one key, so deciding them one by one would queue every payout of the instance
//! behind the previous one's two round trips (and one balance call at the provider each).

use std::collections::BTreeMap;

use async_nats::jetstream::{self, context::PublishErrorKind, message::PublishMessage};
use futures::future::BoxFuture;
use giro_domain::OrderId;
use giro_eventlog::provision::{get_stream_transient, provision, stream_transient};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::balances::Balances;

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
#[derive(Clone, Debug, thiserror::Error)]
pub enum FundsError {
    #[error("funds ledger unavailable: {0}")]
    Ledger(String),
    #[error("balance unavailable: {0}")]
    Balance(String),
}

/// Reads the provider's balance; called after the ledger entry it is checked against was read.
type BalanceReader = Box<dyn Fn() -> BoxFuture<'static, Result<Decimal, String>> + Send + Sync>;

/// One request waiting for the committer.
enum Op {
    Reserve {
        order: OrderId,
        amount: Decimal,
        balance: BalanceReader,
        reply: oneshot::Sender<Result<bool, FundsError>>,
    },
    Release {
        order: OrderId,
        reply: oneshot::Sender<Result<(), FundsError>>,
    },
}

/// The most requests one commit decides.
const MAX_BATCH: usize = 1024;
const MAX_CAS_RETRIES: usize = 32;

/// The reservations of one pre-funded account: the latest message on one subject of a small
/// stream, replaced with compare-and-set (`Nats-Expected-Last-Subject-Sequence`), the same
/// optimistic concurrency the event log uses.
#[derive(Clone)]
pub struct Funds {
    ledger: Ledger,
    ops: mpsc::Sender<Op>,
    /// The account's balance readings, for the treasury view.
    balances: Balances,
}

/// The ledger entry itself: read and compare-and-set.
#[derive(Clone)]
struct Ledger {
    js: jetstream::Context,
    stream: jetstream::stream::Stream<()>,
    subject: String,
}

impl Funds {
    /// Where this account's balance readings go (see [`Balances`]).
    pub fn balances(&self) -> &Balances {
        &self.balances
    }

    /// Opens (creating if needed) the ledger stream `stream` (subjects `<prefix>.funds.>`, kept on
    /// `replicas` servers like the event stream, so losing a cluster node does not stall the
    /// pre-funded provider's payouts) and the entry of `account` (e.g. the provider instance id),
    /// and starts this handle's committer, which ends when the last clone of the handle is dropped.
    pub async fn open(
        js: &jetstream::Context,
        stream: &str,
        prefix: &str,
        account: &str,
        replicas: usize,
    ) -> Result<Self, FundsError> {
        let handle = open_stream(js, stream, prefix, replicas).await?;
        let ledger = Ledger {
            js: js.clone(),
            stream: handle,
            subject: format!("{prefix}.funds.{account}"),
        };
        let (ops, queue) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(commit_loop(ledger.clone(), queue));
        Ok(Funds {
            ledger,
            ops,
            balances: Balances::new(js.clone(), prefix, account),
        })
    }

    /// Reserves `amount` for `order` if the balance minus what is already reserved covers it.
    /// `balance` is read after the reservations it is checked against: a reservation is released
    /// only after the provider has debited the payout, so a balance read after seeing it released
    /// includes the debit. Returns whether the order holds a reservation now.
    pub async fn reserve<F, Fut>(
        &self,
        order: OrderId,
        amount: Decimal,
        balance: F,
    ) -> Result<bool, FundsError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Decimal, String>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let balance: BalanceReader = Box::new(move || Box::pin(balance()));
        self.submit(
            Op::Reserve {
                order,
                amount,
                balance,
                reply,
            },
            answer,
        )
        .await
    }

    /// Drops `order`'s reservation (after the provider debited it, or refused it). Idempotent.
    pub async fn release(&self, order: OrderId) -> Result<(), FundsError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Op::Release { order, reply }, answer).await
    }

    async fn submit<T>(
        &self,
        op: Op,
        answer: oneshot::Receiver<Result<T, FundsError>>,
    ) -> Result<T, FundsError> {
        let stopped = || FundsError::Ledger("the funds committer stopped".into());
        self.ops.send(op).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Every reservation, by order.
    pub async fn reservations(&self) -> Result<BTreeMap<OrderId, Decimal>, FundsError> {
        Ok(self.ledger.read().await?.0.by_order)
    }

    /// The sum of every reservation.
    pub async fn reserved_total(&self) -> Result<Decimal, FundsError> {
        Ok(self.ledger.read().await?.0.total())
    }
}

impl Ledger {
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

    /// Stores `r` if the entry is still at `sequence`: its new sequence, or `None` when another
    /// instance won.
    async fn write(&self, r: &Reservations, sequence: u64) -> Result<Option<u64>, FundsError> {
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
            Ok(ack) => Ok(Some(ack.sequence)),
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => Ok(None),
            Err(e) => Err(FundsError::Ledger(e.to_string())),
        }
    }
}

/// Takes every request waiting (up to [`MAX_BATCH`]) and commits them together, until every
/// handle is gone.
/// Opens (creating if needed) the funds stream `stream`: subjects `<prefix>.funds.>`, the last
/// message per subject kept, on `replicas` servers like the event stream. It holds the
/// reservations of pre-funded accounts and every account's balance readings.
pub async fn open_stream(
    js: &jetstream::Context,
    stream: &str,
    prefix: &str,
    replicas: usize,
) -> Result<jetstream::stream::Stream<()>, FundsError> {
    let config = jetstream::stream::Config {
        name: stream.to_string(),
        subjects: vec![format!("{prefix}.funds.>")],
        storage: jetstream::stream::StorageType::File,
        max_messages_per_subject: 1,
        num_replicas: replicas,
        allow_direct: true,
        description: Some(
            "Giro funds: reservations of pre-funded accounts and balance readings".into(),
        ),
        ..Default::default()
    };
    provision(stream, stream_transient, || {
        js.create_or_update_stream(config.clone())
    })
    .await
    .map_err(|e| FundsError::Ledger(e.to_string()))?;
    provision(stream, get_stream_transient, || {
        js.get_stream_no_info(stream)
    })
    .await
    .map_err(|e| FundsError::Ledger(e.to_string()))
}

/// The ledger entry as this instance last stored (or read) it, and its sequence. The next commit
/// starts from it instead of reading the entry back, one request per commit saved; its
/// compare-and-set still names the sequence, so a commit that another instance's write has made
/// stale stores nothing and is decided again on a fresh read.
type Stored = Option<(Reservations, u64)>;

async fn commit_loop(ledger: Ledger, mut queue: mpsc::Receiver<Op>) {
    let mut batch = Vec::new();
    let mut stored: Stored = None;
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit(&ledger, &mut stored, std::mem::take(&mut batch)).await;
    }
}

/// Decides a batch on the ledger as it is now, releases first (their debits are in any balance
/// read after they were asked), then reservations in arrival order while the balance covers
/// them, and stores the result in one compare-and-set, deciding again from a fresh read when
/// another instance wrote first. Every request is answered once the outcome is stored.
async fn commit(ledger: &Ledger, stored: &mut Stored, ops: Vec<Op>) {
    let mut releases = Vec::new();
    let mut reserves = Vec::new();
    let mut balance = None;
    for op in ops {
        match op {
            Op::Release { order, reply } => releases.push((order, reply)),
            Op::Reserve {
                order,
                amount,
                balance: reader,
                reply,
            } => {
                // One account, one currency: any waiting reservation's reader reads the balance.
                balance.get_or_insert(reader);
                reserves.push((order, amount, reply));
            }
        }
    }
    let released: Vec<OrderId> = releases.iter().map(|(order, _)| *order).collect();
    let wanted: Vec<(OrderId, Decimal)> = reserves.iter().map(|(o, a, _)| (*o, *a)).collect();
    let outcome = decide_and_store(ledger, stored, &released, &wanted, balance.as_ref()).await;
    let (granted, released) = match outcome {
        Ok(granted) => (granted, Ok(())),
        Err(e) => (vec![Err(e.clone()); reserves.len()], Err(e)),
    };
    for ((_, _, reply), held) in reserves.into_iter().zip(granted) {
        let _ = reply.send(held);
    }
    for (_, reply) in releases {
        let _ = reply.send(released.clone());
    }
}

/// One group commit: the answer to each of `wanted`, in order, once stored. It starts from the
/// entry as last `stored` here, if any, which the compare-and-set checks; a decision that stores
/// nothing or refuses a reservation is only made on a fresh read, since another instance's
/// reservation or release may be missing from what is stored here.
async fn decide_and_store(
    ledger: &Ledger,
    stored: &mut Stored,
    released: &[OrderId],
    wanted: &[(OrderId, Decimal)],
    balance: Option<&BalanceReader>,
) -> Result<Vec<Result<bool, FundsError>>, FundsError> {
    let mut known = stored.take();
    for _ in 0..MAX_CAS_RETRIES {
        let remembered = known.is_some();
        let (mut r, revision) = match known.take() {
            Some(entry) => entry,
            None => ledger.read().await?,
        };
        let mut changed = false;
        for order in released {
            changed |= r.by_order.remove(order).is_some();
        }
        // Read after the ledger entry, on every try: a retry follows another instance's write,
        // maybe a release whose debit an earlier read would miss.
        let new = wanted
            .iter()
            .any(|(order, _)| !r.by_order.contains_key(order));
        let mut available = match balance {
            Some(read) if new => Some(read().await.map(|b| b - r.total())),
            _ => None,
        };
        let mut granted = Vec::with_capacity(wanted.len());
        for (order, amount) in wanted {
            if r.by_order.contains_key(order) {
                granted.push(Ok(true));
                continue;
            }
            granted.push(match &mut available {
                Some(Ok(left)) if *left >= *amount => {
                    *left -= *amount;
                    r.by_order.insert(*order, *amount);
                    changed = true;
                    Ok(true)
                }
                Some(Ok(_)) => Ok(false),
                Some(Err(e)) => Err(FundsError::Balance(e.clone())),
                None => Err(FundsError::Balance("no balance reader".into())),
            });
        }
        // Only a write checks what is remembered: a decision to store nothing (a release of a
        // reservation not seen, a refusal) is made on the entry as it is now.
        if remembered && (!changed || granted.iter().any(|g| !matches!(g, Ok(true)))) {
            continue;
        }
        if !changed {
            *stored = Some((r, revision));
            return Ok(granted);
        }
        if let Some(sequence) = ledger.write(&r, revision).await? {
            *stored = Some((r, sequence));
            return Ok(granted);
        }
    }
    Err(FundsError::Ledger(
        "too much contention on the funds ledger".into(),
    ))
}
