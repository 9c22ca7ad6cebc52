//! W3C trace context in NATS headers, so one order is one trace across every hop.

use async_nats::HeaderMap;
use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key, value.as_str());
    }
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_ref()).collect()
    }
}

/// Writes the current tracing span's `traceparent` (and `tracestate`) with the global propagator;
/// nothing when no OpenTelemetry layer or propagator is installed.
pub fn inject(headers: &mut HeaderMap) {
    inject_context(&tracing::Span::current().context(), headers);
}

/// Writes a given context's trace headers.
pub fn inject_context(cx: &Context, headers: &mut HeaderMap) {
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(cx, &mut HeaderInjector(headers))
    });
}

/// Reads the trace context a message carries.
pub fn extract(headers: &HeaderMap) -> Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)))
}

/// Makes `span` (not yet entered) a child of the context `headers` carry: the span continues the
/// trace of the message it handles. Nothing changes when the headers carry no trace.
pub fn continue_from(span: &tracing::Span, headers: &HeaderMap) {
    continue_context(span, extract(headers));
}

/// Makes `span` (not yet entered) a child of `cx`.
pub fn continue_context(span: &tracing::Span, cx: Context) {
    let _ = span.set_parent(cx);
}
