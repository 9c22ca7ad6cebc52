//! Running intake as a NATS micro service.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use giro_domain::approvals::ApprovalPolicy;
use giro_domain::provider::Catalog;
use giro_eventlog::{AuditLog, BankListStore, EventLog, VelocityStore};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::handlers::{self, Command};
use crate::micro;
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
    /// Which payouts wait for an approver (`GIRO_APPROVALS_FILE`; empty: none).
    pub approvals: ApprovalPolicy,
    /// Verifies operators' tokens on `<prefix>.cmd.ops.*`; without it every operator action is
    /// refused `unauthorized`.
    pub operators: Option<giro_auth::Verifier>,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            prefix: "giro".to_string(),
            catalog: Catalog::default(),
            max_in_flight: 512,
            approvals: ApprovalPolicy::default(),
            operators: None,
        }
    }
}

/// What handlers share.
pub struct Intake {
    pub(crate) log: EventLog,
    pub(crate) catalog: Catalog,
    /// The providers' bank lists as their set-up last published them (`<stream>_BANKS`).
    pub(crate) banks: Arc<BankListStore>,
    pub(crate) approvals: ApprovalPolicy,
    /// Each beneficiary's day, when the policy has velocity limits.
    pub(crate) velocity: Option<VelocityStore>,
    pub(crate) operators: Option<giro_auth::Verifier>,
    /// Where every operator action, allowed or refused, is recorded (`<stream>_AUDIT`).
    pub(crate) audit: AuditLog,
}

/// A running intake instance; stops when [`IntakeHandle::stop`] is called or it is dropped.
pub struct IntakeHandle {
    service: Option<micro::Service>,
    tasks: JoinSet<()>,
}

impl IntakeHandle {
    /// Stops taking requests (requests in flight are finished) and leaves the service group.
    pub async fn stop(mut self) {
        if let Some(service) = self.service.take() {
            service.stop();
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
        let service = micro::Service::start(
            client,
            micro::ServiceInfo {
                name: "giro-intake".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                description: "Giro intake: payout, charge and beneficiary commands; order queries"
                    .to_string(),
                metadata,
                queue_group: "giro-intake".to_string(),
            },
            Box::new(move |endpoint| {
                let counts = stats_errors
                    .lock()
                    .map(|m| m.get(endpoint).cloned().unwrap_or_default())
                    .unwrap_or_default();
                serde_json::json!({ "errors_by_code": counts })
            }),
        )
        .await?;
        let banks = BankListStore::open(log.context(), log.config()).await?;
        let velocity = match config.approvals.velocity.is_empty() {
            true => None,
            false => Some(VelocityStore::open(log.context(), log.config()).await?),
        };
        let audit = AuditLog::open(log.context(), log.config()).await?;
        let intake = Arc::new(Intake {
            log,
            catalog: config.catalog,
            banks,
            approvals: config.approvals,
            velocity,
            operators: config.operators,
            audit,
        });
        let permits = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
        let names: Vec<&str> = Command::ALL.iter().map(|c| c.endpoint_name()).collect();
        giro_telemetry::metrics::commands_expected(
            &names,
            &["payout", "payout_batch", "charge", "beneficiary"],
        );
        let mut tasks = JoinSet::new();
        for command in Command::ALL {
            let subject = format!("{}.{}", config.prefix, command.subject());
            let requests = service.endpoint(command.endpoint_name(), subject).await?;
            let served = Served {
                intake: intake.clone(),
                responder: service.responder(),
                errors: errors.clone(),
                subject_prefix: config.prefix.clone(),
            };
            tasks.spawn(serve_endpoint(requests, command, served, permits.clone()));
        }
        // Serving means subscribed: the server has every subscription once it answers a flush.
        service.flush().await?;
        Ok(IntakeHandle {
            service: Some(service),
            tasks,
        })
    }
}

/// What every request of an endpoint needs.
#[derive(Clone)]
struct Served {
    intake: Arc<Intake>,
    responder: micro::Responder,
    errors: ErrorCounts,
    subject_prefix: String,
}

async fn serve_endpoint(
    requests: impl futures::Stream<Item = micro::Request>,
    command: Command,
    served: Served,
    permits: Arc<Semaphore>,
) {
    let mut requests = std::pin::pin!(requests);
    let mut in_flight = JoinSet::new();
    while let Some(request) = requests.next().await {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let served = served.clone();
        let span = tracing::info_span!(
            "intake",
            otel.name = format!("process {}", request.message.subject),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            otel.status_message = tracing::field::Empty,
            command = command.endpoint_name(),
            order_id = tracing::field::Empty,
            messaging.system = "nats",
            messaging.operation.type = "process",
            messaging.operation.name = "process",
            messaging.destination.name = %request.message.subject,
            messaging.message.body.size = request.message.payload.len(),
            rpc.system = "nats",
            rpc.service = "giro-intake",
            rpc.method = command.endpoint_name(),
            giro.prefix = %served.subject_prefix,
            error.type = tracing::field::Empty,
        );
        if let Some(headers) = &request.message.headers {
            let _ = span.set_parent(giro_eventlog::trace::extract(headers));
        }
        in_flight.spawn(
            async move {
                let reply = handlers::handle(&served.intake, command, &request.message).await;
                respond(&served, &request, command, &reply).await;
                drop(permit);
            }
            .instrument(span),
        );
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
}

async fn respond(served: &Served, request: &micro::Request, command: Command, reply: &Reply) {
    let result = match &reply.error {
        Some(error) => error.code.as_str(),
        None if reply.body.get("duplicate") == Some(&serde_json::Value::Bool(true)) => "duplicate",
        None => "ok",
    };
    giro_telemetry::metrics::command(command.endpoint_name(), result);
    let error = reply.error.as_ref().map(|error| {
        if let Ok(mut m) = served.errors.lock() {
            *m.entry(command.endpoint_name().to_string())
                .or_default()
                .entry(error.code.as_str())
                .or_default() += 1;
        }
        let span = tracing::Span::current();
        span.record("otel.status_code", "ERROR");
        span.record("otel.status_message", error.message.as_str());
        span.record("error.type", error.code.as_str());
        tracing::info!(code = error.code.as_str(), field = error.field.as_deref().unwrap_or_default(), reason = %error.message, "command refused");
        micro::ReplyError {
            code: error.code.status(),
            description: error.message.as_str(),
        }
    });
    if let Err(e) = served
        .responder
        .respond(request, reply.to_bytes(), error)
        .await
    {
        tracing::warn!(error = %e, "could not send a reply; the caller will retry");
    }
}
