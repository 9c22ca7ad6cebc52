//! `giro bench projection`: how fast a rebuild catches up. Writes payout events into a private
//! stream (asynchronous publishes, acknowledged in windows), rebuilds them into a fresh schema and
//! prints events/s. Both the stream and the schema are removed afterwards.

use std::time::Instant;

use async_nats::HeaderMap;
use async_nats::jetstream;
use clap::Args;
use giro_domain::payout::{
    CreatePayout, PayoutEvent, ProviderReport, ReportSource, ReportedOutcome, SubmissionStarted,
    Submitted, Succeeded,
};
use giro_domain::provider::Catalog;
use giro_domain::{Envelope, EventId, EventMeta, EventType, IdempotencyKey, OrderId, OrderKind};
use giro_eventlog::{EVENT_TYPE_HEADER, EventLog, EventLogConfig};

use crate::config::ProjectionConfig;
use crate::db;
use crate::error::Error;
use crate::rebuild::{REBUILD_BATCH, RebuildSummary, rebuild};

/// Events per order: requested, submission started, submitted, six in-flight reports, succeeded.
const EVENTS_PER_ORDER: usize = 10;
/// Orders whose events are interleaved, as concurrent orders are in a real stream.
const WAVE: usize = 2_000;
/// Publishes awaiting their acknowledgement at once.
const ACK_WINDOW: usize = 4_096;

/// Options of `giro bench projection`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Events to write and rebuild (10 per payout).
    #[arg(long, default_value_t = 200_000)]
    pub events: usize,
    #[arg(long, env = "NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
}

/// The figures of one run.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub events: u64,
    pub publish_seconds: f64,
    pub rebuild: RebuildSummary,
}

/// Runs the benchmark and prints its figures; the stream and schema are removed even on failure.
pub async fn catch_up(args: &BenchArgs) -> Result<BenchReport, Error> {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let log = EventLogConfig {
        stream: format!("GIRO_BENCH_PROJ_{run}"),
        prefix: format!("benchp{run}"),
        ..EventLogConfig::default()
    };
    let client = giro_eventlog::server::connect(&args.nats_url, async_nats::ConnectOptions::new())
        .await
        .map_err(|e| Error::Nats(e.to_string()))?;
    let config = ProjectionConfig {
        database_url: args.database_url.clone(),
        schema: format!("giro_bench_{}", &run[..12]),
        log: log.clone(),
        ..ProjectionConfig::default()
    };
    let result = measure(args, &client, &config).await;
    let js = jetstream::new(client);
    // With the streams EventLog::open provisions beside the events (dead letters, key buckets).
    giro_eventlog::provision::delete_with_derived(&js, &log.stream).await;
    if let Ok(mut conn) = db::connection(&config.database_url, &config.schema).await {
        let _ = db::drop_schema(&mut conn, &config.schema).await;
    }
    result
}

async fn measure(
    args: &BenchArgs,
    client: &async_nats::Client,
    config: &ProjectionConfig,
) -> Result<BenchReport, Error> {
    let log = EventLog::open(client.clone(), config.log.clone())
        .await
        .map_err(|e| Error::nats("creating the bench stream", e))?;
    let started = Instant::now();
    let events = publish(&log, args.events).await?;
    let publish_seconds = started.elapsed().as_secs_f64();
    println!(
        "giro bench projection: {events} payout events ({} orders) published in {publish_seconds:.2}s",
        events / EVENTS_PER_ORDER as u64
    );
    let rebuild = rebuild(config, client.clone()).await?;
    println!("  {rebuild}");
    println!(
        "  catch-up: {:.0} events/s ({} events in {:.2}s, batches of {REBUILD_BATCH})",
        rebuild.events_per_second(),
        rebuild.messages,
        rebuild.catch_up.as_secs_f64()
    );
    Ok(BenchReport {
        events,
        publish_seconds,
        rebuild,
    })
}

fn template() -> Result<CreatePayout, Error> {
    let body = serde_json::json!({
        "idempotency_key": "bench-0", "amount": "150000", "currency": "COP",
        "external_id": "b0",
        "beneficiary": {
            "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
            "email": "maria@example.com", "phone": "3001234567",
            "document": {"type": "CC", "number": "12345678"},
            "bank_code": "007", "account_number": "123456789", "account_type": "savings"
        }
    });
    giro_domain::payout::parse_create(body.to_string().as_bytes())
        .and_then(|d| d.into_command(&Catalog::default(), None))
        .map_err(|r| Error::Config(format!("bench payout refused: {r}")))
}

/// The `version`th event (1-based) of bench order `order`.
fn event(template: &CreatePayout, order: usize, version: usize) -> Result<PayoutEvent, Error> {
    let report = |n: usize, outcome| ProviderReport {
        source: ReportSource::Webhook,
        raw_status: "PAYING".into(),
        outcome,
        report_id: format!("r{order}-{n}"),
        provider_ref: None,
        reason: None,
        fee: None,
        attempt: None,
        amount: None,
        completed_at: None,
        channel_ref: None,
        reported_at: None,
    };
    Ok(match version {
        1 => {
            let mut requested = template.requested.clone();
            requested.idempotency_key =
                IdempotencyKey::try_from(format!("bench-{order}")).map_err(Error::Config)?;
            requested.external_id = Some(format!("b{order}"));
            PayoutEvent::Requested(std::sync::Arc::new(requested))
        }
        2 => PayoutEvent::SubmissionStarted(SubmissionStarted {
            attempt: 1,
            handle: format!("h{order}"),
        }),
        3 => PayoutEvent::Submitted(Submitted {
            attempt: 1,
            provider_ref: Some(format!("P{order}")),
            raw_status: None,
        }),
        EVENTS_PER_ORDER => PayoutEvent::Succeeded(Succeeded {
            provider_ref: None,
            fee: None,
        }),
        n => PayoutEvent::ProviderStatus(report(n, ReportedOutcome::InFlight)),
    })
}

/// Publishes `count` events (rounded down to whole orders) in waves of interleaved orders.
async fn publish(log: &EventLog, count: usize) -> Result<u64, Error> {
    let template = template()?;
    let orders = count / EVENTS_PER_ORDER;
    let js = log.context();
    let meta = EventMeta {
        correlation_id: "bench".into(),
        causation_id: None,
    };
    let mut pending = Vec::with_capacity(ACK_WINDOW);
    let mut published = 0u64;
    let progress = crate::rebuild::events_bar("publishing", (orders * EVENTS_PER_ORDER) as u64);
    for wave in (0..orders).step_by(WAVE) {
        let wave_orders = wave..(wave + WAVE).min(orders);
        for version in 1..=EVENTS_PER_ORDER {
            for order in wave_orders.clone() {
                let key =
                    IdempotencyKey::try_from(format!("bench-{order}")).map_err(Error::Config)?;
                let id = OrderId::for_idempotency_key(OrderKind::Payout, &key);
                let envelope = Envelope {
                    id: EventId::new(),
                    event: event(&template, order, version)?,
                    order_id: id,
                    version: version as u64,
                    at: chrono::Utc::now(),
                    meta: meta.clone(),
                };
                let payload = serde_json::to_vec(&envelope)
                    .map_err(|e| Error::Config(format!("encoding a bench event: {e}")))?;
                let mut headers = HeaderMap::new();
                headers.insert(EVENT_TYPE_HEADER, envelope.event.event_type());
                let ack = js
                    .publish_with_headers(
                        log.subject::<giro_domain::payout::PayoutDecider>(id),
                        headers,
                        payload.into(),
                    )
                    .await
                    .map_err(|e| Error::nats("publishing a bench event", e))?;
                pending.push(ack);
                if pending.len() == ACK_WINDOW {
                    published += settle(&mut pending).await?;
                    progress.set_position(published);
                }
            }
        }
    }
    published += settle(&mut pending).await?;
    progress.finish_and_clear();
    Ok(published)
}

/// Waits for the acknowledgements of every publish in flight.
async fn settle(pending: &mut Vec<jetstream::context::PublishAckFuture>) -> Result<u64, Error> {
    let n = pending.len() as u64;
    futures::future::try_join_all(pending.drain(..).map(IntoFuture::into_future))
        .await
        .map_err(|e| Error::nats("publishing a bench event", e))?;
    Ok(n)
}
