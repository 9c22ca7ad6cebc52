//! The providers' start-up set-up, run again in the background, and the bank lists it reads
//! published for intake (`<stream>_BANKS`).

use std::sync::Arc;
use std::time::Duration;

use giro_domain::beneficiary::ACCOUNTS_PROVIDER;
use giro_eventlog::BankListStore;
use giro_providers::Registry;

use crate::{Logs, StackError};

/// How long a set-up the provider could not answer waits before it is tried again.
const SETUP_RETRY: Duration = Duration::from_secs(30);

/// The providers' set-up running in the background (again every [`StackConfig::setup_every`],
/// sooner for one the provider could not answer).
#[derive(Debug)]
pub struct SetupHandle(Option<tokio::task::JoinHandle<()>>);

impl SetupHandle {
    /// Stops running the set-up again.
    pub fn stop(self) {
        if let Some(task) = self.0 {
            task.abort();
        }
    }
}

/// The bucket the providers' set-up publishes their bank lists to, for intake
/// ([`giro_eventlog::banks`]), on the event log of the component `giro-provider-setup`.
pub async fn open_bank_lists(logs: &dyn Logs) -> Result<Arc<BankListStore>, StackError> {
    let log = logs.open("giro-provider-setup").await?;
    BankListStore::open(log.context(), log.config())
        .await
        .map_err(|e| StackError::Log {
            component: "giro-provider-setup".to_string(),
            reason: e.to_string(),
        })
}

/// One instance's set-up: the instance, what it runs, and the keys its bank list is published
/// under (its id, and [`ACCOUNTS_PROVIDER`] when it keeps the beneficiary accounts).
struct Setup {
    id: String,
    setup: Arc<dyn giro_providers::ProviderSetup>,
    publish_as: Vec<String>,
}

/// Runs the set-up of every instance of `registry` that has one (only `only` when given): a
/// provider that refuses it (wrong credentials, a configured account it does not have) stops
/// start-up with its reason; one that cannot be asked now is logged and tried again every 30 s.
/// Afterwards every set-up runs again every `every`, so bank lists stay fresh. After each run
/// that read a bank list, the list is written to `banks` (when given) under the instance's id,
/// and under [`ACCOUNTS_PROVIDER`] for the instance that keeps accounts: intake checks bank codes
/// against it.
pub async fn set_up_providers(
    registry: Arc<Registry>,
    only: Option<&str>,
    every: Duration,
    banks: Option<Arc<BankListStore>>,
) -> Result<SetupHandle, StackError> {
    let accounts = registry
        .instances()
        .iter()
        .find(|i| i.accounts.is_some())
        .map(|i| i.id().clone());
    let setups: Vec<Setup> = registry
        .instances()
        .iter()
        .filter(|i| {
            only.is_none_or(|id| {
                i.id().as_str() == id
                    || (id == ACCOUNTS_PROVIDER && accounts.as_ref() == Some(i.id()))
            })
        })
        .filter_map(|i| {
            let setup = i.setup.clone()?;
            let mut publish_as = vec![i.id().to_string()];
            if accounts.as_ref() == Some(i.id()) {
                publish_as.push(ACCOUNTS_PROVIDER.to_string());
            }
            Some(Setup {
                id: i.id().to_string(),
                setup,
                publish_as,
            })
        })
        .collect();
    if setups.is_empty() {
        return Ok(SetupHandle(None));
    }
    let mut pending = Vec::new();
    for s in &setups {
        match run_setup(s, banks.as_deref()).await {
            Ok(()) => {}
            Err(giro_providers::SetupError::Refused(reason)) => {
                return Err(StackError::Setup {
                    provider: s.id.clone(),
                    reason,
                });
            }
            Err(giro_providers::SetupError::Unavailable(_)) => pending.push(s.id.clone()),
        }
    }
    let task = tokio::spawn(async move {
        let mut next_full = tokio::time::Instant::now() + every;
        loop {
            let wake = if pending.is_empty() {
                next_full
            } else {
                (tokio::time::Instant::now() + SETUP_RETRY).min(next_full)
            };
            tokio::time::sleep_until(wake).await;
            let full = tokio::time::Instant::now() >= next_full;
            if full {
                next_full = tokio::time::Instant::now() + every;
            }
            let mut still = Vec::new();
            for s in &setups {
                if !full && !pending.contains(&s.id) {
                    continue;
                }
                if run_setup(s, banks.as_deref()).await.is_err() {
                    still.push(s.id.clone());
                }
            }
            pending = still;
        }
    });
    Ok(SetupHandle(Some(task)))
}

/// One set-up, logged line by line, then its bank list published; a list that cannot be
/// stored now is tried again with the set-up, 30 s later.
async fn run_setup(
    s: &Setup,
    banks: Option<&BankListStore>,
) -> Result<(), giro_providers::SetupError> {
    let id = &s.id;
    match s.setup.set_up().await {
        Ok(lines) => {
            for line in lines {
                tracing::info!(provider = %id, "provider set-up: {line}");
            }
            let (Some(banks), Some(codes)) = (banks, s.setup.bank_codes()) else {
                return Ok(());
            };
            for key in &s.publish_as {
                if let Err(e) = banks.put(key, &codes).await {
                    tracing::warn!(provider = %id, error = %e, "bank list not published, tried again in 30 s");
                    return Err(giro_providers::SetupError::Unavailable(e.to_string()));
                }
            }
            tracing::info!(provider = %id, banks = codes.len(), keys = %s.publish_as.join(", "),
                "provider set-up: bank list published for intake");
            Ok(())
        }
        Err(e) => {
            match &e {
                giro_providers::SetupError::Refused(reason) => {
                    tracing::error!(provider = %id, %reason, "provider set-up refused");
                }
                giro_providers::SetupError::Unavailable(reason) => {
                    tracing::warn!(provider = %id, %reason, "provider set-up not done, tried again in 30 s");
                }
            }
            Err(e)
        }
    }
}
