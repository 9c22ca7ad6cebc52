//! The providers' bank lists as their set-up last fetched them, in the JetStream key-value bucket
//! `<stream>_BANKS` (as many replicas as the event stream): one key per provider instance, whose
//! value is the JSON array of its Colombian bank codes ([`BankCodes`]).
//!
//! The engine's provider set-up writes an instance's list after every successful run; intake
//! watches the bucket and checks bank codes against the list of the instance an order goes to
//! ([`BankLists`]). A key that was never written (or was deleted) leaves that instance on Giro's
//! built-in list. The watch keeps every intake instance in step without a read per command.

use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use futures::StreamExt;
use giro_domain::bank_lists::{BankCodes, BankLists};

use crate::config::EventLogConfig;
use crate::error::Error;

/// The bucket of the bank lists of `config`'s deployment.
pub fn bucket(config: &EventLogConfig) -> String {
    format!("{}_BANKS", config.stream)
}

/// The handle on the bank-list bucket, with the lists as last heard; cheap to share.
pub struct BankListStore {
    kv: kv::Store,
    current: RwLock<Arc<BankLists>>,
}

impl std::fmt::Debug for BankListStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankListStore")
            .field("lists", &self.lists())
            .finish()
    }
}

impl BankListStore {
    /// Opens the bucket, creating it first (idempotent), reads the lists it holds and keeps
    /// following it for as long as the handle lives.
    pub async fn open(
        js: &jetstream::Context,
        config: &EventLogConfig,
    ) -> Result<Arc<BankListStore>, Error> {
        let bucket = bucket(config);
        let kv = crate::provision::open_bucket(
            js,
            &bucket,
            "Giro bank lists: the Colombian bank codes each provider instance listed at its last \
             set-up",
            config.replicas,
        )
        .await?;
        let store = Arc::new(BankListStore {
            kv,
            current: RwLock::new(Arc::default()),
        });
        // Every key's latest entry first (each with how many more are pending), then each change.
        let mut watch =
            store.kv.watch_with_history(">").await.map_err(|e| {
                Error::Provision(format!("watching bank list bucket {bucket}: {e}"))
            })?;
        let mut last_revision = None;
        if holds_entries(&store.kv).await {
            while let Some(entry) = watch.next().await {
                match entry {
                    Ok(entry) => {
                        last_revision = Some(entry.revision);
                        store.heard(&entry);
                        if entry.delta == 0 {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the bank list bucket");
                        break;
                    }
                }
            }
        }
        tokio::spawn(follow(Arc::downgrade(&store), watch, last_revision));
        Ok(store)
    }

    /// The lists as last heard.
    pub fn lists(&self) -> Arc<BankLists> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Writes `codes` as the list of `provider`, replacing the one stored. Writing the same list
    /// again changes nothing intake sees.
    pub async fn put(&self, provider: &str, codes: &BankCodes) -> Result<(), Error> {
        let value = serde_json::to_vec(codes)
            .map_err(|e| Error::Unavailable(format!("encoding {provider}'s bank list: {e}")))?;
        self.kv
            .put(provider, Bytes::from(value))
            .await
            .map_err(|e| Error::Unavailable(format!("storing {provider}'s bank list: {e}")))?;
        Ok(())
    }

    /// Takes in one entry of the bucket.
    fn heard(&self, entry: &kv::Entry) {
        let mut lists = (*self.lists()).clone();
        match entry.operation {
            kv::Operation::Put => match serde_json::from_slice::<BankCodes>(&entry.value) {
                Ok(codes) => lists.set(&entry.key, codes),
                Err(e) => {
                    tracing::warn!(provider = %entry.key, error = %e,
                        "unreadable bank list in the bucket: the built-in list applies");
                    lists.remove(&entry.key);
                }
            },
            kv::Operation::Delete | kv::Operation::Purge => lists.remove(&entry.key),
        }
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(lists);
    }
}

/// Whether the bucket holds any entry now, i.e. whether the watch has any to deliver before the
/// changes to come.
async fn holds_entries(kv: &kv::Store) -> bool {
    match kv.status().await {
        Ok(status) => status.values() > 0,
        Err(e) => {
            tracing::warn!(error = %e, "reading the bank list bucket's status");
            false
        }
    }
}

/// Follows the bucket for as long as the store lives; a watch that ends (a lost connection) is
/// started again after the last revision it delivered.
async fn follow(store: Weak<BankListStore>, mut watch: kv::Watch, mut last: Option<u64>) {
    loop {
        while let Some(entry) = watch.next().await {
            let Some(store) = store.upgrade() else { return };
            match entry {
                Ok(e) => {
                    last = Some(e.revision);
                    store.heard(&e);
                }
                Err(e) => tracing::warn!(error = %e, "watching the bank list bucket"),
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(strong) = store.upgrade() else {
            return;
        };
        let again = match last {
            Some(revision) => strong.kv.watch_all_from_revision(revision + 1).await,
            None => strong.kv.watch_with_history(">").await,
        };
        match again {
            Ok(w) => watch = w,
            Err(e) => tracing::warn!(error = %e, "watching the bank list bucket again"),
        }
    }
}
