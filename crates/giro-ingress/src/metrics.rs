//! Prometheus metrics of the ingress: callbacks by provider and result.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallbackLabels {
    provider: String,
    result: String,
}

/// Counters shared by every request.
#[derive(Clone)]
pub struct IngressMetrics {
    registry: Arc<Registry>,
    callbacks: Family<CallbackLabels, Counter>,
}

impl Default for IngressMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("giro_ingress");
        let callbacks = Family::<CallbackLabels, Counter>::default();
        registry.register(
            "callbacks",
            "Provider callbacks by provider and result (stored, duplicate, ignored, forged, stale, \
             unconfirmed, malformed, wrong_provider, oversized, timeout, unknown_order, rejected, \
             unavailable, not_configured)",
            callbacks.clone(),
        );
        IngressMetrics {
            registry: Arc::new(registry),
            callbacks,
        }
    }
}

impl IngressMetrics {
    pub fn callback(&self, provider: &str, result: &str) {
        self.callbacks
            .get_or_create(&CallbackLabels {
                provider: provider.to_string(),
                result: result.to_string(),
            })
            .inc();
    }

    /// The text exposition for `/metrics`.
    /// The ingress's counters followed by the process-wide metrics (appends, dead letters, …).
    pub fn render(&self) -> String {
        giro_telemetry::metrics::render_with(Some(&self.registry))
    }

    /// The ingress's counters alone.
    pub fn render_own(&self) -> String {
        giro_telemetry::metrics::render_own(&self.registry)
    }
}
