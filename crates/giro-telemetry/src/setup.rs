//! Logs and traces for one process.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::sync::OnceLock;

use opentelemetry::trace::TraceContextExt;
use tracing::dispatcher::WeakDispatch;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Keeps the tracer provider alive; flushes pending spans when dropped.
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        let _ = self.provider.shutdown();
    }
}

/// Whether the standard variables ask for OTLP export: an endpoint is set
/// (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), the SDK is not
/// disabled (`OTEL_SDK_DISABLED=true`) and the traces exporter is not `none`.
pub fn otlp_configured() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    let none = std::env::var("OTEL_TRACES_EXPORTER").is_ok_and(|v| v.eq_ignore_ascii_case("none"));
    (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        && !disabled
        && !none
}

/// Installs the global subscriber and the W3C propagator for `component` (`giro-<component>` is
/// the service name unless `OTEL_SERVICE_NAME` says otherwise). Logs go to stderr, as JSON lines
/// when `GIRO_LOG_FORMAT=json`; `RUST_LOG` filters them (default `info`, `warn` for one-shot
/// commands). Spans are exported over OTLP/HTTP only when [`otlp_configured`]; an exporter that
/// cannot be built is reported and tracing stays local.
pub fn init(component: &str, one_shot: bool) -> Telemetry {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let service =
        std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| format!("giro-{component}"));
    let mut builder = SdkTracerProvider::builder().with_resource(
        Resource::builder()
            .with_service_name(service.clone())
            .build(),
    );
    let mut export_error = None;
    if otlp_configured() {
        match opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
        {
            Ok(exporter) => builder = builder.with_batch_exporter(exporter),
            Err(e) => export_error = Some(e.to_string()),
        }
    }
    let provider = builder.build();
    let tracer = provider.tracer(service);
    let default = if one_shot { "warn" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let otel = tracing_opentelemetry::layer().with_tracer(tracer);
    let json = std::env::var("GIRO_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    if json {
        let _ = registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .map_event_format(WithTraceIds)
                    .with_writer(std::io::stderr),
            )
            .try_init();
    } else {
        let _ = registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    // Colour on a terminal only: a log file or collector gets plain text.
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())),
            )
            .try_init();
    }
    let _ = DISPATCH.set(tracing::dispatcher::get_default(|d| d.downgrade()));
    if let Some(e) = export_error {
        tracing::error!(error = %e, "OTLP exporter not built; spans stay local");
    }
    Telemetry { provider }
}

/// The process's subscriber, to find the OpenTelemetry context of the span a log line is in.
static DISPATCH: OnceLock<WeakDispatch> = OnceLock::new();

/// A JSON log line formatter that puts the W3C `trace_id` and `span_id` of the span the event
/// happened in first on the line, so a log collector joins each line to its trace.
struct WithTraceIds<F>(F);

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let ids = ctx.lookup_current().and_then(|span| {
            let dispatch = DISPATCH.get()?.upgrade()?;
            let cx = tracing_opentelemetry::get_otel_context(&span.id(), &dispatch)?;
            let span = cx.span();
            let sc = span.span_context();
            sc.is_valid()
                .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
        });
        match (ids, line.strip_prefix('{')) {
            (Some((trace_id, span_id)), Some(rest)) => {
                write!(
                    writer,
                    "{{\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\",{rest}"
                )
            }
            _ => writer.write_str(&line),
        }
    }
}
