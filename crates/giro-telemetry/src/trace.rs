//! W3C trace context for protocols other than NATS (HTTP requests in and out), and marking a span
//! as failed the way trace back-ends read it (an OpenTelemetry error status and `error.type`).

use std::borrow::Cow;

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::Status;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// `span`'s W3C trace headers (`traceparent`, `tracestate`) as name/value pairs, for protocols
/// other than NATS (an outgoing HTTP request).
pub fn w3c_headers(span: &tracing::Span) -> Vec<(String, String)> {
    struct Pairs(Vec<(String, String)>);
    impl Injector for Pairs {
        fn set(&mut self, key: &str, value: String) {
            self.0.push((key.to_string(), value));
        }
    }
    let mut pairs = Pairs(Vec::new());
    let cx = span.context();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut pairs));
    pairs.0
}

/// Makes `span` (not yet entered) a child of the trace an incoming HTTP request carries in its
/// `traceparent` header; nothing changes when it carries none.
pub fn continue_http(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    struct Headers<'a>(&'a axum::http::HeaderMap);
    impl Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(|k| k.as_str()).collect()
        }
    }
    let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
    let _ = span.set_parent(cx);
}

/// Marks `span` as failed: the OpenTelemetry status `ERROR` with `message`, and the
/// semantic-convention attribute `error.type` (a low-cardinality class: an error code, an HTTP
/// status, `timeout`).
pub fn fail(span: &tracing::Span, error_type: &str, message: impl Into<Cow<'static, str>>) {
    span.set_status(Status::error(message));
    span.set_attribute("error.type", error_type.to_string());
}

/// Links `span` to the span the caller is in: for a span that continues another trace (a
/// callback recorded in its order's trace) while the request that brought it has its own.
pub fn link_current(span: &tracing::Span) {
    use opentelemetry::trace::TraceContextExt;
    let current = tracing::Span::current().context();
    let context = current.span().span_context().clone();
    if context.is_valid() {
        span.add_link(context);
    }
}
