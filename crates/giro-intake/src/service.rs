//! Running intake as a NATS micro service.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_nats::service::{self, ServiceExt};
use futures::StreamExt;
use giro_domain::provider::Catalog;
use giro_eventlog::EventLog;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::handlers::{self, Command};
use crate::reply::Reply;

/// How intake runs.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    /// Subject prefix (`giro`): commands on `<prefix>.cmd.*`, queries on `<prefix>.query.*`.
    pub prefix: String,
    /// The provider instances and routing rules.
    pub catalog: Catalog,
    /// Requests handled at once by this instance; more wait in NATS.
    pub max_in_flight: usize,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            prefix: "giro".to_string(),
            catalog: Catalog::default(),
            max_in_flight: 512,
        }
    }
}

/// What handlers share.
pub struct Intake {
    pub(crate) log: EventLog,
    pub(crate) catalog: Catalog,
}

/// A running intake instance; stops when [`IntakeHandle::stop`] is called or it is dropped.
pub struct IntakeHandle {
    service: Option<service::Service>,
    tasks: JoinSet<()>,
}

impl IntakeHandle {
    /// Stops taking requests (requests in flight are finished) and leaves the service group.
    pub async fn stop(mut self) {
        if let Some(service) = self.service.take() {
            let _ = service.stop().await;
        }
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

impl Drop for IntakeHandle {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// Per-endpoint counts of failed replies by code, shown in `$SRV.STATS` as each endpoint's `data`.
type ErrorCounts = Arc<Mutex<HashMap<String, HashMap<&'static str, u64>>>>;

impl Intake {
    /// Starts the `giro-intake` service on `client`, appending to `log`.
    pub async fn start(
        client: async_nats::Client,
        log: EventLog,
        config: IntakeConfig,
    ) -> Result<IntakeHandle, async_nats::Error> {
        let errors: ErrorCounts = Arc::default();
        let stats_errors = errors.clone();
        // What tells two deployments on one NATS apart in `$SRV.INFO` and `nats micro info`.
        let metadata = HashMap::from([
            ("prefix".to_string(), config.prefix.clone()),
            ("stream".to_string(), log.config().stream.clone()),
            ("version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ]);
        let service = client
            .service_builder()
            .description("Giro intake: payout, charge and beneficiary commands; order queries")
            .metadata(metadata)
            .queue_group("giro-intake")
            .stats_handler(move |endpoint, _stats| {
                let counts = stats_errors
                    .lock()
                    .map(|m| m.get(&endpoint).cloned().unwrap_or_default())
                    .unwrap_or_default();
                serde_json::json!({ "errors_by_code": counts })
            })
            .start("giro-intake", env!("CARGO_PKG_VERSION"))
            .await?;
        let intake = Arc::new(Intake {
            log,
            catalog: config.catalog,
        });
        let permits = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
        let group = service.group(&config.prefix);
        let names: Vec<&str> = Command::ALL.iter().map(|c| c.endpoint_name()).collect();
        giro_telemetry::metrics::commands_expected(&names, &["payout", "charge", "beneficiary"]);
        let mut tasks = JoinSet::new();
        for command in Command::ALL {
            let endpoint = group
                .endpoint_builder()
                .name(command.endpoint_name())
                .add(command.subject())
                .await?;
            let intake = intake.clone();
            let permits = permits.clone();
            let errors = errors.clone();
            tasks.spawn(serve_endpoint(endpoint, command, intake, permits, errors));
        }
        Ok(IntakeHandle {
            service: Some(service),
            tasks,
        })
    }
}

async fn serve_endpoint(
    mut endpoint: service::endpoint::Endpoint,
    command: Command,
    intake: Arc<Intake>,
    permits: Arc<Semaphore>,
    errors: ErrorCounts,
) {
    let mut in_flight = JoinSet::new();
    while let Some(request) = endpoint.next().await {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let intake = intake.clone();
        let errors = errors.clone();
        let span = tracing::info_span!(
            "intake",
            command = command.endpoint_name(),
            order_id = tracing::field::Empty
        );
        if let Some(headers) = &request.message.headers {
            let _ = span.set_parent(giro_eventlog::trace::extract(headers));
        }
        in_flight.spawn(
            async move {
                let reply = handlers::handle(&intake, command, &request.message).await;
                respond(&request, command, &reply, &errors).await;
                drop(permit);
            }
            .instrument(span),
        );
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
}

async fn respond(
    request: &service::Request,
    command: Command,
    reply: &Reply,
    errors: &ErrorCounts,
) {
    let mut headers = async_nats::HeaderMap::new();
    let result = match &reply.error {
        Some(error) => error.code.as_str(),
        None if reply.body.get("duplicate") == Some(&serde_json::Value::Bool(true)) => "duplicate",
        None => "ok",
    };
    giro_telemetry::metrics::command(command.endpoint_name(), result);
    if let Some(error) = &reply.error {
        headers.insert(service::NATS_SERVICE_ERROR, error.message.as_str());
        headers.insert(
            service::NATS_SERVICE_ERROR_CODE,
            error.code.status().to_string().as_str(),
        );
        if let Ok(mut m) = errors.lock() {
            *m.entry(command.endpoint_name().to_string())
                .or_default()
                .entry(error.code.as_str())
                .or_default() += 1;
        }
        tracing::info!(code = error.code.as_str(), field = ?error.field, message = %error.message, "command refused");
    }
    if let Err(e) = request
        .respond_with_headers(Ok(reply.to_bytes()), headers)
        .await
    {
        tracing::warn!(error = %e, "could not send a reply; the caller will retry");
    }
}
