//! Applying a batch of events to the read models exactly once.
//!
//! One transaction per batch: lock the checkpoint row (`SELECT … FOR UPDATE`), skip the events at
//! or below it, write the rest with one array statement per table, move the checkpoint to the
//! batch's last sequence, commit. A crash anywhere rolls back rows and checkpoint together, and
//! any number of instances may apply the same batch: the second one to get the lock finds the
//! checkpoint past the events and skips them (README: "Several instances"). With the
//! `test-support` feature a failpoint sits between the writes and the checkpoint
//! (`test_support::faults`), so tests can make that crash happen on purpose.

mod attention;
mod batches;
mod beneficiaries;
mod charges;
mod erasure;
mod ledger;
mod payouts;
mod reported;
mod timeline;

#[cfg(test)]
mod tests;

use giro_domain::OrderKind;
use sqlx::{PgPool, Postgres, Transaction};

use crate::db::{self, PROJECTION};
use crate::decode::Decoded;
use crate::error::Error;
use crate::source::Batch;

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Written; `skipped` events were already applied by another instance.
    Applied {
        events: u64,
        skipped: u64,
        unknown: u64,
        checkpoint: u64,
    },
    /// Another instance had applied the whole batch already.
    Overtaken { checkpoint: u64 },
    /// The checkpoint is behind where the batch starts (the read models were rebuilt or reset):
    /// nothing written; read again from the checkpoint.
    Behind { checkpoint: u64 },
}

/// The events of one batch, by table.
#[derive(Default)]
struct ByKind<'a> {
    payouts: Vec<&'a Decoded>,
    charges: Vec<&'a Decoded>,
    beneficiaries: Vec<&'a Decoded>,
    batches: Vec<&'a Decoded>,
    unknown: u64,
}

impl<'a> ByKind<'a> {
    fn split(events: impl Iterator<Item = &'a Decoded>) -> Self {
        let mut by_kind = ByKind::default();
        for event in events {
            if event.event.is_none() {
                by_kind.unknown += 1;
            }
            match event.kind {
                OrderKind::Payout => by_kind.payouts.push(event),
                OrderKind::Charge => by_kind.charges.push(event),
                OrderKind::Beneficiary => by_kind.beneficiaries.push(event),
                OrderKind::PayoutBatch => by_kind.batches.push(event),
            }
        }
        by_kind
    }

    fn len(&self) -> u64 {
        (self.payouts.len() + self.charges.len() + self.beneficiaries.len() + self.batches.len())
            as u64
    }

    async fn write_rows(&self, tx: &mut Transaction<'_, Postgres>) -> Result<(), Error> {
        ledger::apply(tx, &self.payouts).await?; // first: it reads the payouts rows before the batch
        attention::apply(tx, &self.payouts).await?; // before payouts too, for the same reason
        payouts::apply(tx, &self.payouts).await?;
        reported::apply(tx, &self.payouts).await?; // after: it updates the rows payouts made
        charges::apply(tx, &self.charges).await?;
        reported::apply_charges(tx, &self.charges).await?;
        beneficiaries::apply(tx, &self.beneficiaries).await?;
        batches::apply(tx, &self.batches, &self.payouts).await?; // after: it sums payouts rows
        for (kind, events) in self.kinds() {
            erasure::erase_rows(tx, kind, events).await?;
        }
        Ok(())
    }

    async fn write_timelines(&self, tx: &mut Transaction<'_, Postgres>) -> Result<(), Error> {
        timeline::insert(tx, timeline::Table::Payout, &self.payouts).await?;
        timeline::insert(tx, timeline::Table::Charge, &self.charges).await?;
        timeline::insert(tx, timeline::Table::Beneficiary, &self.beneficiaries).await?;
        for (kind, events) in self.kinds() {
            erasure::erase_timelines(tx, kind, events).await?;
        }
        Ok(())
    }

    fn kinds(&self) -> [(OrderKind, &[&'a Decoded]); 3] {
        [
            (OrderKind::Payout, &self.payouts),
            (OrderKind::Charge, &self.charges),
            (OrderKind::Beneficiary, &self.beneficiaries),
        ]
    }
}

/// Opens a transaction that does not wait for its WAL flush at commit. Losing the last commits in
/// a server crash is harmless here: rows and checkpoint are lost together and applied again from
/// the stream; not waiting is what lets small live batches keep up.
async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Locks the checkpoint row until the transaction ends; returns it.
async fn lock_checkpoint(tx: &mut Transaction<'_, Postgres>) -> Result<u64, Error> {
    let locked: i64 =
        sqlx::query_scalar("SELECT last_sequence FROM checkpoints WHERE name = $1 FOR UPDATE")
            .bind(PROJECTION)
            .fetch_one(&mut **tx)
            .await?;
    Ok(u64::try_from(locked).unwrap_or(0))
}

async fn set_checkpoint(tx: &mut Transaction<'_, Postgres>, last: u64) -> Result<(), Error> {
    sqlx::query("UPDATE checkpoints SET last_sequence = $2, updated_at = now() WHERE name = $1")
        .bind(PROJECTION)
        .bind(db::bigint(last))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Applies a batch in one transaction (see the module documentation).
pub(crate) async fn apply_batch(pool: &PgPool, batch: &Batch) -> Result<Outcome, Error> {
    let mut tx = begin(pool).await?;
    let checkpoint = lock_checkpoint(&mut tx).await?;
    // Nothing to write: end the transaction now, releasing the checkpoint lock for the other
    // instances. (Merely dropping it leaves the rollback to a task sqlx spawns, and the lock held
    // until that task runs.)
    if checkpoint < batch.after {
        tx.rollback().await?;
        return Ok(Outcome::Behind { checkpoint });
    }
    if checkpoint >= batch.last {
        tx.rollback().await?;
        return Ok(Outcome::Overtaken { checkpoint });
    }
    let by_kind = ByKind::split(batch.events.iter().filter(|e| e.sequence > checkpoint));
    by_kind.write_rows(&mut tx).await?;
    by_kind.write_timelines(&mut tx).await?;
    #[cfg(feature = "test-support")]
    crate::test_support::faults::between_rows_and_checkpoint(&mut tx, checkpoint, batch.last)
        .await?;
    set_checkpoint(&mut tx, batch.last).await?;
    tx.commit().await?;
    Ok(Outcome::Applied {
        events: by_kind.len(),
        skipped: batch.events.len() as u64 - by_kind.len(),
        unknown: by_kind.unknown,
        checkpoint: batch.last,
    })
}

/// Applies a batch to a schema nobody else writes (a rebuild's): the rows with the checkpoint and
/// the timelines in two transactions on two connections at once, so both CPU cores work. Not
/// atomic across the two, which is safe only because a failed rebuild is discarded whole.
pub(crate) async fn apply_bulk(pool: &PgPool, batch: &Batch) -> Result<Outcome, Error> {
    let by_kind = ByKind::split(batch.events.iter());
    let rows = async {
        let mut tx = begin(pool).await?;
        let checkpoint = lock_checkpoint(&mut tx).await?;
        if checkpoint != batch.after {
            return Err(Error::Busy(format!(
                "the schema being rebuilt is at sequence {checkpoint}, not {}: another process \
                 writes to it",
                batch.after
            )));
        }
        by_kind.write_rows(&mut tx).await?;
        set_checkpoint(&mut tx, batch.last).await?;
        tx.commit().await?;
        Ok(())
    };
    let timelines = async {
        let mut tx = begin(pool).await?;
        by_kind.write_timelines(&mut tx).await?;
        tx.commit().await?;
        Ok::<_, Error>(())
    };
    tokio::try_join!(rows, timelines)?;
    Ok(Outcome::Applied {
        events: by_kind.len(),
        skipped: 0,
        unknown: by_kind.unknown,
        checkpoint: batch.last,
    })
}
