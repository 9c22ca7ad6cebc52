//! W3C trace context for protocols other than NATS (an outgoing HTTP request).

use opentelemetry::propagation::Injector;
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
