//! The projection's Prometheus metrics (`/metrics`, text format).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// What failed, as the `stage` label of `giro_projection_errors_total`.
pub(crate) type Stage = [(&'static str, &'static str); 1];

/// Counters shared by the projector loop and the HTTP handlers.
pub(crate) struct Metrics {
    registry: Registry,
    pub events_applied: Counter,
    pub events_skipped: Counter,
    pub events_unknown: Counter,
    pub events_unreadable: Counter,
    pub batches: Counter,
    pub errors: Family<Stage, Counter>,
    pub checkpoint: Gauge,
    pub stream_last_sequence: Gauge,
    pub lag: Gauge,
    /// Orders by kind and status, read from the read models at each scrape.
    pub orders: Family<OrderLabels, Gauge>,
    /// Payouts non-terminal past their status's stuck threshold, by provider and status, read
    /// from the read models at each scrape (what the dashboard lists as stuck).
    pub stuck: Family<StuckLabels, Gauge>,
    /// Treasury figures per provider account and currency, by `figure` (balance, held, queued,
    /// at_provider, needed, shortfall, low_threshold), read at each scrape.
    pub treasury: Family<TreasuryLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
}

/// The labels of `giro_projection_treasury_amount`.
pub(crate) type TreasuryLabels = [(&'static str, String); 3];

/// The labels of `giro_projection_orders`.
pub(crate) type OrderLabels = [(&'static str, String); 2];

/// The labels of `giro_projection_stuck_orders`: kind, provider and status.
pub(crate) type StuckLabels = [(&'static str, String); 3];

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("giro_projection");
        let m = Metrics {
            events_applied: Counter::default(),
            events_skipped: Counter::default(),
            events_unknown: Counter::default(),
            events_unreadable: Counter::default(),
            batches: Counter::default(),
            errors: Family::default(),
            checkpoint: Gauge::default(),
            stream_last_sequence: Gauge::default(),
            lag: Gauge::default(),
            orders: Family::default(),
            stuck: Family::default(),
            treasury: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "events_applied",
            "Events written to the read models by this instance",
            m.events_applied.clone(),
        );
        registry.register(
            "events_skipped",
            "Events this instance read that another instance had already applied",
            m.events_skipped.clone(),
        );
        registry.register(
            "events_unknown",
            "Events of a type this version does not know (timeline only)",
            m.events_unknown.clone(),
        );
        registry.register(
            "events_unreadable",
            "Stream messages that were not event envelopes (skipped)",
            m.events_unreadable.clone(),
        );
        registry.register(
            "batches",
            "Batches committed by this instance",
            m.batches.clone(),
        );
        registry.register(
            "errors",
            "Failures by stage (read: the stream, apply: PostgreSQL); each is retried",
            m.errors.clone(),
        );
        registry.register(
            "checkpoint_sequence",
            "Last stream sequence applied to the read models",
            m.checkpoint.clone(),
        );
        registry.register(
            "stream_last_sequence",
            "Last sequence in the event stream",
            m.stream_last_sequence.clone(),
        );
        registry.register(
            "lag_events",
            "Stream messages not yet applied: last stream sequence minus the checkpoint",
            m.lag.clone(),
        );
        registry.register(
            "orders",
            "Orders by kind and status in the read models",
            m.orders.clone(),
        );
        registry.register(
            "stuck_orders",
            "Orders non-terminal for longer than the stuck threshold of their status \
             (GIRO_STUCK_*, payouts), by kind, provider and status",
            m.stuck.clone(),
        );
        registry.register(
            "treasury_amount",
            "Treasury per provider account and currency, by figure: balance (last reported), \
             held, queued, at_provider, needed (held + queued), shortfall, low_threshold",
            m.treasury.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Counts a failure at `stage`.
    pub fn error(&self, stage: &'static str) {
        self.errors.get_or_create(&[("stage", stage)]).inc();
    }

    /// Records where the stream and the checkpoint are.
    pub fn positions(&self, stream_last: u64, checkpoint: u64) {
        let as_gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.stream_last_sequence.set(as_gauge(stream_last));
        self.checkpoint.set(as_gauge(checkpoint));
        self.lag
            .set(as_gauge(stream_last.saturating_sub(checkpoint)));
    }

    /// Records the number of orders of `kind` in each status.
    pub fn orders(&self, kind: &'static str, counts: &[(String, i64)]) {
        for (status, n) in counts {
            self.orders
                .get_or_create(&[("kind", kind.to_string()), ("status", status.clone())])
                .set(*n);
        }
    }

    /// Records how many orders of `kind` are stuck, per provider and status.
    pub fn stuck(&self, kind: &'static str, counts: &[crate::read::StuckCount]) {
        for c in counts {
            let labels = [
                ("kind", kind.to_string()),
                ("provider", c.provider.clone()),
                ("status", c.status.clone()),
            ];
            self.stuck.get_or_create(&labels).set(c.stuck);
        }
    }

    /// Records the treasury figures of every account.
    pub fn treasury(&self, accounts: &[crate::treasury::Account]) {
        use rust_decimal::prelude::ToPrimitive;
        for a in accounts {
            let figures = [
                ("balance", a.balance),
                ("held", Some(a.held)),
                ("queued", Some(a.queued)),
                ("at_provider", Some(a.at_provider)),
                ("needed", Some(a.needed)),
                ("shortfall", a.balance.map(|_| a.shortfall)),
                ("low_threshold", a.low_below),
            ];
            for (figure, value) in figures {
                if let Some(v) = value.and_then(|v| v.to_f64()) {
                    let labels = [
                        ("provider", a.provider.clone()),
                        ("currency", a.currency.clone()),
                        ("figure", figure.to_string()),
                    ];
                    self.treasury.get_or_create(&labels).set(v);
                }
            }
        }
    }

    /// The exposition: the projection's metrics, then the process-wide ones unless `own_only`.
    pub fn encode(&self, own_only: bool) -> String {
        if own_only {
            giro_telemetry::metrics::render_own(&self.registry)
        } else {
            giro_telemetry::metrics::render_with(Some(&self.registry))
        }
    }
}
