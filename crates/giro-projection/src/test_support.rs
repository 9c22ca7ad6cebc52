//! Private PostgreSQL schemas for tests: each test gets its own schema (`t_<random>`) on the local
//! PostgreSQL (or `DATABASE_URL`), dropped with its rebuild shadow when the guard is dropped, even
//! when the test panics, so tests run in parallel and leave nothing behind.

use sqlx::PgPool;

use crate::db;

/// The PostgreSQL tests use.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A schema of its own for one test; `pool` connects inside it.
pub struct TestSchema {
    pub name: String,
    pub database_url: String,
    pub pool: PgPool,
}

impl TestSchema {
    /// A fresh, not yet created schema name (the projection creates and migrates it).
    pub fn new() -> Self {
        let name = format!("t_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
        let database_url = database_url();
        let pool = db::pool(&database_url, &name, 4)
            .unwrap_or_else(|e| panic!("tests need PostgreSQL at {database_url}: {e}"));
        TestSchema {
            name,
            database_url,
            pool,
        }
    }

    /// A schema created and migrated.
    pub async fn prepared() -> Self {
        let schema = Self::new();
        db::prepare(&schema.pool, &schema.name)
            .await
            .unwrap_or_else(|e| panic!("preparing schema {}: {e}", schema.name));
        schema
    }
}

impl Default for TestSchema {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (url, name) = (self.database_url.clone(), self.name.clone());
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = db::connection(&url, "public").await {
                    // This thread is joined from a `Drop` that may run on the test's runtime
                    // thread, which then cannot run what would release a lock the test still
                    // holds (a rollback sqlx spawns for a dropped transaction): give up on the
                    // schema rather than hang the test.
                    let _ = sqlx::raw_sql("SET lock_timeout = '10s'")
                        .execute(&mut conn)
                        .await;
                    for schema in [name.clone(), format!("{name}_rebuild")] {
                        let _ = db::drop_schema(&mut conn, &schema).await;
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// Fault injection into the live applier, for tests of exactly-once application.
///
/// One failpoint exists, inside the transaction of [`crate::apply`]'s live batches: after the
/// batch's rows and timelines are written and before the checkpoint is moved and the transaction
/// commits. Arming it for a schema makes that schema's next batch (after `skip` good ones) fail
/// there, by returning an error (the projector retries from the checkpoint) or by panicking (the
/// projector task dies, like a crash). It exists only with the `test-support` feature; without it
/// the call site is not compiled at all, and with it an unarmed process pays one atomic load per
/// batch.
pub mod faults {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};

    use sqlx::{Postgres, Transaction};

    use crate::error::Error;

    /// How the armed batch fails.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Fault {
        /// The applier returns an error (as if PostgreSQL's connection were lost).
        Error,
        /// The applier panics (as if the process died), taking the projector task with it.
        Panic,
    }

    /// What the failing transaction had written when the fault struck.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Struck {
        /// The committed checkpoint the transaction started from.
        pub checkpoint: u64,
        /// The sequence the checkpoint would have moved to.
        pub batch_last: u64,
        /// Timeline rows (all three timelines) visible inside the transaction: more than
        /// `checkpoint` proves the batch's writes were made before the failure.
        pub timeline_rows: u64,
    }

    struct Armed {
        schema: String,
        fault: Fault,
        skip: u32,
        state: Arc<Mutex<Option<Struck>>>,
    }

    /// How many faults are armed in the process; zero keeps the failpoint to one load.
    static ARMED: AtomicUsize = AtomicUsize::new(0);
    static FAULTS: Mutex<Vec<Armed>> = Mutex::new(Vec::new());

    /// An armed fault; dropping it disarms it if it has not struck yet.
    pub struct FaultGuard {
        schema: String,
        state: Arc<Mutex<Option<Struck>>>,
    }

    impl FaultGuard {
        /// What the fault found when it struck, or `None` while it has not.
        pub fn struck(&self) -> Option<Struck> {
            *self.state.lock().unwrap_or_else(PoisonError::into_inner)
        }

        /// Waits (up to 30 s) for the fault to strike.
        pub async fn wait(&self) -> Struck {
            for _ in 0..3_000 {
                if let Some(struck) = self.struck() {
                    return struck;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            panic!("the fault armed for schema {} never struck", self.schema)
        }
    }

    impl Drop for FaultGuard {
        fn drop(&mut self) {
            let mut faults = FAULTS.lock().unwrap_or_else(PoisonError::into_inner);
            let before = faults.len();
            faults.retain(|a| !Arc::ptr_eq(&a.state, &self.state));
            ARMED.fetch_sub(before - faults.len(), Ordering::SeqCst);
        }
    }

    /// Arms `fault` for the live batches applied to `schema`: the first `skip` batches commit,
    /// the next one fails between its row writes and its checkpoint; then the fault is spent.
    pub fn fail_between_rows_and_checkpoint(schema: &str, skip: u32, fault: Fault) -> FaultGuard {
        let state = Arc::new(Mutex::new(None));
        FAULTS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Armed {
                schema: schema.to_string(),
                fault,
                skip,
                state: state.clone(),
            });
        ARMED.fetch_add(1, Ordering::SeqCst);
        FaultGuard {
            schema: schema.to_string(),
            state,
        }
    }

    /// The failpoint (see the module documentation).
    pub(crate) async fn between_rows_and_checkpoint(
        tx: &mut Transaction<'_, Postgres>,
        checkpoint: u64,
        batch_last: u64,
    ) -> Result<(), Error> {
        if ARMED.load(Ordering::SeqCst) == 0 {
            return Ok(());
        }
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&mut **tx)
            .await?;
        let due = {
            let mut faults = FAULTS.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(at) = faults.iter().position(|a| a.schema == schema) else {
                return Ok(());
            };
            if faults[at].skip > 0 {
                faults[at].skip -= 1;
                return Ok(());
            }
            ARMED.fetch_sub(1, Ordering::SeqCst);
            faults.remove(at)
        };
        let timeline_rows: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM payout_events) + (SELECT count(*) FROM charge_events) \
             + (SELECT count(*) FROM beneficiary_events)",
        )
        .fetch_one(&mut **tx)
        .await?;
        *due.state.lock().unwrap_or_else(PoisonError::into_inner) = Some(Struck {
            checkpoint,
            batch_last,
            timeline_rows: u64::try_from(timeline_rows).unwrap_or(0),
        });
        let what = format!(
            "test fault: batch to sequence {batch_last} written, failing before its checkpoint"
        );
        match due.fault {
            Fault::Error => Err(Error::Postgres(sqlx::Error::Protocol(what))),
            Fault::Panic => panic!("{what}"),
        }
    }
}
