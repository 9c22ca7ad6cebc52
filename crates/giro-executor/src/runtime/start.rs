//! Starting executors: one worker per provider instance on the consumer of its kind of order.

use std::sync::Arc;
use std::time::Duration;

use giro_domain::OrderKind;
use giro_eventlog::EventLog;
use giro_providers::{ChargeProvider, PayoutProvider};

use super::consumer::{Routes, run};
use super::open::open_consumer;
use super::{ExecutorHandle, StartError, Steps};
use crate::balances::Balances;
use crate::charge::ChargeWorker;
use crate::config::ExecutorConfig;
use crate::funds::{Funds, open_stream};
use crate::payout::PayoutWorker;
use crate::wakes::{WAKES_CONSUMER, Wakes};

/// Runs one worker of one provider instance on its own consumer `giro-executor-<provider>`.
async fn run_one<W: Steps>(
    log: &EventLog,
    worker: Arc<W>,
    config: ExecutorConfig,
    kind: OrderKind,
) -> Result<ExecutorHandle, StartError> {
    let name = config.consumer_name();
    let consumer = open_consumer(log, &config, &name, config.provider.as_str(), kind).await?;
    giro_telemetry::metrics::dead_letters_expected("executor", config.provider.as_str());
    let routes = Routes {
        by_provider: vec![(worker, Arc::new(config))],
    };
    Ok(run(consumer, name, routes, log.context().clone()))
}

/// Starts one beneficiary-account executor instance (`config.provider` is `killb-accounts`):
/// consumer `giro-executor-killb-accounts` on `<prefix>.evt.beneficiary.>`.
pub async fn start_beneficiaries(
    log: EventLog,
    provider: Arc<dyn crate::beneficiaries::AccountProvider>,
    config: ExecutorConfig,
) -> Result<ExecutorHandle, StartError> {
    let worker = Arc::new(crate::beneficiaries::BeneficiaryWorker {
        log: log.clone(),
        provider,
        timings: config.timings.clone(),
    });
    run_one(&log, worker, config, OrderKind::Beneficiary).await
}

/// Starts one charge executor instance for `config.provider` (A55): consumer
/// `giro-executor-<provider>` on `<prefix>.evt.charge.>`.
pub async fn start_charges(
    log: EventLog,
    provider: Arc<dyn ChargeProvider>,
    config: ExecutorConfig,
) -> Result<ExecutorHandle, StartError> {
    let worker = Arc::new(ChargeWorker {
        log: log.clone(),
        provider,
        timings: config.timings.clone(),
    });
    run_one(&log, worker, config, OrderKind::Charge).await
}

/// One payout provider instance an executor drives.
pub struct PayoutInstance {
    pub provider: Arc<dyn PayoutProvider>,
    pub config: ExecutorConfig,
    /// Paid from a pre-funded balance (KillB): payouts reserve their amount on the funds ledger.
    pub prefunded: bool,
    /// The currencies it pays out in: their balances are read from the start (for providers with
    /// a balance API), so the treasury view shows an account before its first payout.
    pub currencies: Vec<giro_domain::Currency>,
}

/// The consumer of an executor process that drives several payout provider instances at once.
pub const SHARED_PAYOUT_CONSUMER: &str = "giro-executor-payouts";

/// Starts one payout executor instance for `config.provider`: consumer
/// `giro-executor-<provider>` on `<prefix>.evt.payout.>`.
pub async fn start(
    log: EventLog,
    provider: Arc<dyn PayoutProvider>,
    config: ExecutorConfig,
    prefunded: bool,
) -> Result<ExecutorHandle, StartError> {
    let instance = PayoutInstance {
        provider,
        config,
        prefunded,
        currencies: Vec::new(),
    };
    start_payouts(log, vec![instance]).await
}

/// Starts the payout executors of several provider instances in one process on one consumer:
/// `giro-executor-<provider>` for one instance, [`SHARED_PAYOUT_CONSUMER`] for several. Every
/// payout event is delivered once to the process instead of once per provider instance (a
/// consumer filters by subject, and an order's subject names no provider), and handed to the
/// instance it is routed to. Every process serving the same instances shares the consumer.
pub async fn start_payouts(
    log: EventLog,
    instances: Vec<PayoutInstance>,
) -> Result<ExecutorHandle, StartError> {
    let Some(first) = instances.first() else {
        return Err(StartError::Consumer(
            SHARED_PAYOUT_CONSUMER.into(),
            "no provider instance to serve".into(),
        ));
    };
    let js = log.context().clone();
    let (name, serves) = match instances.as_slice() {
        [one] => (one.config.consumer_name(), one.config.provider.to_string()),
        several => (
            SHARED_PAYOUT_CONSUMER.to_string(),
            several
                .iter()
                .map(|i| i.config.provider.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    };
    // The consumer's own settings (prefix, ack wait) are the first instance's.
    let consumer = open_consumer(&log, &first.config, &name, &serves, OrderKind::Payout).await?;
    let wakes = Wakes::open(&log)
        .await
        .map_err(|e| StartError::Consumer(WAKES_CONSUMER.into(), e.to_string()))?;
    let mut by_provider = Vec::new();
    let mut sweepers = Vec::new();
    let funds_stream = format!("{}_FUNDS", log.config().stream);
    for PayoutInstance {
        provider,
        config,
        prefunded,
        currencies,
    } in instances
    {
        giro_telemetry::metrics::dead_letters_expected("executor", config.provider.as_str());
        let replicas = log.config().replicas;
        let funds = if prefunded {
            Some(
                Funds::open(
                    &js,
                    &funds_stream,
                    &config.prefix,
                    config.provider.as_str(),
                    replicas,
                )
                .await
                .map_err(|e| StartError::Funds(e.to_string()))?,
            )
        } else {
            None
        };
        let balances = match &funds {
            Some(funds) => funds.balances().clone(),
            None => Balances::new(js.clone(), &config.prefix, config.provider.as_str()),
        };
        for currency in &currencies {
            balances.watch(currency.code());
        }
        let worker = Arc::new(PayoutWorker {
            log: log.clone(),
            provider,
            funds,
            balances: Some(balances),
            timings: config.timings.clone(),
            wakes: wakes.clone(),
            breaker: crate::breaker::Breaker::new(config.provider.as_str(), config.breaker.clone()),
        });
        let every = config.timings.claim_timeout.max(Duration::from_millis(200));
        // The funds stream of an account that is not pre-funded holds only its balance readings:
        // opened by the sweeper, so a stream that cannot be opened yet delays only them.
        let open = (!prefunded).then(|| (js.clone(), funds_stream.clone(), config.prefix.clone()));
        sweepers.push((worker.clone(), every, open, replicas));
        by_provider.push((worker, Arc::new(config)));
    }
    let mut handle = run(consumer, name, Routes { by_provider }, js);
    handle.tasks.spawn(wakes.run(log));
    for (worker, every, open, replicas) in sweepers {
        // Reservations follow their orders' lives: whatever a step could not release (it died, the
        // ledger was unavailable) is released here once its order has moved on. Balances are read
        // at once and then on every sweep.
        handle.tasks.spawn(async move {
            if let Some((js, stream, prefix)) = open {
                while let Err(e) = open_stream(&js, &stream, &prefix, replicas).await {
                    tracing::info!(error = %e, "balance readings wait for the funds stream");
                    tokio::time::sleep(every).await;
                }
            }
            loop {
                worker.sweep_reservations().await;
                worker.refresh_balances().await;
                tokio::time::sleep(every).await;
            }
        });
    }
    Ok(handle)
}
