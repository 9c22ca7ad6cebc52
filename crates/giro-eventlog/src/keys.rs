//! The keys that seal each order's personal data ([`giro_domain::seal`]), in the JetStream
//! key-value bucket `<stream>_KEYS` (as many replicas as the event stream).
//!
//! An order's key is created once, just before its first event is appended (one KV create per
//! new order); after that every process reads it at most once and keeps it in a bounded cache.
//! Erasure purges the key: the bucket keeps only the purge marker, every process hears of it by
//! watching the bucket and forgets the key (and the orders it decoded with it), and from then on
//! the order's personal fields read as erased. An order without any entry in the bucket was
//! stored before sealing existed: its events are read as they are.
//!
//! Other processes hear of an erasure through a marker key, `erased.<kind>.<id>`, put just
//! before the purge: they watch only `erased.>`, so a new order's key is not sent to every
//! process that holds the bucket open (one message per order and process saved).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use futures::StreamExt;
use giro_domain::seal::{SealKey, Sealing};

use crate::config::EventLogConfig;
use crate::error::Error;

/// Keys kept per process: as many as the order cache keeps orders.
const CACHED_KEYS: usize = 65_536;

/// Where an erasure is announced: `erased.<key>`, put just before the key is purged.
const ERASED: &str = "erased.";
/// What every process watches for erasures.
const ERASED_WATCH: &str = "erased.>";

/// The handle on the key bucket, with the process's cache of keys; cheap to share.
pub struct Keys {
    kv: kv::Store,
    prefix: String,
    cache: Mutex<HashMap<String, Sealing>>,
    on_erase: Mutex<Vec<Forget>>,
}

/// What is told the subject of an erased order.
type Forget = Box<dyn Fn(&str) + Send + Sync>;

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// The bucket of the keys of the orders in `config`'s stream.
pub fn bucket(config: &EventLogConfig) -> String {
    format!("{}_KEYS", config.stream)
}

impl Keys {
    /// Opens the bucket, creating it first (idempotent), and starts watching it for erasures.
    pub async fn open(
        js: &jetstream::Context,
        config: &EventLogConfig,
    ) -> Result<Arc<Keys>, Error> {
        let bucket = bucket(config);
        // Opened when it exists (what a reader such as the projection is allowed), else created.
        let kv = crate::provision::open_bucket(
            js,
            &bucket,
            "Giro order keys: one per order, purged to erase its personal data",
            config.replicas,
        )
        .await?;
        let keys = Arc::new(Keys {
            kv,
            // `<prefix>.evt.`: the order subjects' common start.
            prefix: config.stream_subjects().trim_end_matches('>').to_string(),
            cache: Mutex::new(HashMap::new()),
            on_erase: Mutex::new(Vec::new()),
        });
        let watch = keys
            .kv
            .watch(ERASED_WATCH)
            .await
            .map_err(|e| Error::Provision(format!("watching key bucket {bucket}: {e}")))?;
        tokio::spawn(watch_erasures(Arc::downgrade(&keys), watch));
        Ok(keys)
    }

    /// Calls `forget` with the subject of every order erased from now on, in this process or
    /// another (the event log forgets the orders it cached).
    pub fn on_erase(&self, forget: impl Fn(&str) + Send + Sync + 'static) {
        lock(&self.on_erase).push(Box::new(forget));
    }

    /// The key's name of the order at `subject` (`<prefix>.evt.<kind>.<id>` → `<kind>.<id>`).
    fn name<'a>(&self, subject: &'a str) -> Result<&'a str, Error> {
        subject
            .strip_prefix(&self.prefix)
            .ok_or_else(|| Error::Unavailable(format!("{subject} is not an order subject")))
    }

    /// Creates the key of a new order (the one another writer created first if it lost that
    /// race). Called before the order's first event is appended.
    pub async fn create(&self, subject: &str) -> Result<Sealing, Error> {
        let name = self.name(subject)?;
        if let Some(sealing) = lock(&self.cache).get(name) {
            return Ok(sealing.clone());
        }
        let (key, bytes) = SealKey::generate();
        match self.kv.create(name, Bytes::copy_from_slice(&bytes)).await {
            Ok(_) => {
                let sealing = Sealing::Key(key);
                self.remember(name, &sealing);
                Ok(sealing)
            }
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                self.sealing(subject).await?.ok_or_else(|| {
                    Error::Unavailable(format!("the key of {subject} exists and cannot be read"))
                })
            }
            Err(e) => Err(Error::Unavailable(format!(
                "creating the key of {subject}: {e}"
            ))),
        }
    }

    /// How the order at `subject` is sealed: with its key, erased, or `None` for an order
    /// stored before sealing existed (plain). One read of the bucket per order and process.
    pub async fn sealing(&self, subject: &str) -> Result<Option<Sealing>, Error> {
        let name = self.name(subject)?;
        if let Some(sealing) = lock(&self.cache).get(name) {
            return Ok(Some(sealing.clone()));
        }
        let entry = self
            .kv
            .entry(name)
            .await
            .map_err(|e| Error::Unavailable(format!("reading the key of {subject}: {e}")))?;
        let Some(entry) = entry else {
            return Ok(None);
        };
        let sealing = match entry.operation {
            kv::Operation::Put => {
                Sealing::Key(SealKey::from_slice(&entry.value).ok_or_else(|| {
                    Error::Unavailable(format!("the key of {subject} is not 32 bytes"))
                })?)
            }
            kv::Operation::Delete | kv::Operation::Purge => Sealing::Erased,
        };
        self.remember(name, &sealing);
        Ok(Some(sealing))
    }

    /// Destroys the key of the order at `subject`: its personal data reads as erased from now
    /// on, here at once and in other processes as soon as their watch tells them.
    pub async fn erase(&self, subject: &str) -> Result<(), Error> {
        let name = self.name(subject)?;
        // Announced first, so no process keeps opening the order with a cached key after the
        // purge; a crash in between leaves the erasure to be asked again (it is idempotent).
        self.kv
            .put(format!("{ERASED}{name}"), Bytes::new())
            .await
            .map_err(|e| Error::Unavailable(format!("announcing the erasure of {subject}: {e}")))?;
        self.kv
            .purge(name)
            .await
            .map_err(|e| Error::Unavailable(format!("purging the key of {subject}: {e}")))?;
        self.erased(name);
        Ok(())
    }

    /// Records that the key `name` is gone and tells whoever cached what it opened.
    fn erased(&self, name: &str) {
        lock(&self.cache).insert(name.to_string(), Sealing::Erased);
        let subject = format!("{}{name}", self.prefix);
        for forget in lock(&self.on_erase).iter() {
            forget(&subject);
        }
    }

    /// Caches a key read or created, never over an erasure heard of meanwhile.
    fn remember(&self, name: &str, sealing: &Sealing) {
        let mut cache = lock(&self.cache);
        if matches!(cache.get(name), Some(Sealing::Erased)) {
            return;
        }
        if cache.len() >= CACHED_KEYS && !cache.contains_key(name) {
            // Forget an eighth, whichever they are: a forgotten key is only read again.
            let drop: Vec<String> = cache.keys().take(CACHED_KEYS / 8).cloned().collect();
            for key in drop {
                cache.remove(&key);
            }
        }
        cache.insert(name.to_string(), sealing.clone());
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Follows the erasures announced in the bucket (`erased.<key>`) for as long as the handle
/// lives. A watch that ends (a lost connection) is started again after the last revision it
/// delivered, so an erasure made meanwhile is still heard of.
async fn watch_erasures(keys: Weak<Keys>, mut watch: kv::Watch) {
    let mut last_revision = None;
    loop {
        while let Some(entry) = watch.next().await {
            let Some(keys) = keys.upgrade() else { return };
            match entry {
                Ok(e) => {
                    last_revision = Some(e.revision);
                    if let Some(name) = e.key.strip_prefix(ERASED) {
                        keys.erased(name);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "watching the key bucket"),
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(strong) = keys.upgrade() else { return };
        let again = match last_revision {
            Some(revision) => {
                strong
                    .kv
                    .watch_from_revision(ERASED_WATCH, revision + 1)
                    .await
            }
            None => strong.kv.watch(ERASED_WATCH).await,
        };
        match again {
            Ok(w) => watch = w,
            Err(e) => tracing::warn!(error = %e, "watching the key bucket again"),
        }
    }
}
