//! The process-wide metrics every component records into, whatever instance it runs as: one
//! registry per process, as Prometheus expects, so `giro up` (every component in one process)
//! and a lone `giro executor` expose the same names. Components with instance metrics of their own
//! (ingress callbacks, projection lag) render them next to these with [`render_with`].
//!
//! Names (all prefixed `giro_`):
//! - `commands_total{command, result}`: intake commands by result (`ok`, `duplicate` or an error code);
//! - `events_appended_total{kind, type}`: events stored in the log;
//! - `append_conflicts_total{kind}`: appends that lost an optimistic-concurrency race and were retried;
//! - `provider_call_seconds{provider, operation, outcome}`: provider HTTP call latency;
//! - `dead_letters_total{component, provider}`: messages set aside on a dead-letter subject;
//! - `consumer_pending{consumer}` / `consumer_ack_pending{consumer}`: an executor consumer's lag;
//! - `provider_balance{provider, currency}`: the balance a pre-funded provider account last
//!   reported (read whenever a payout reserves funds);
//! - `notifications_total{kind, status}`: status-change notifications published;
//! - `webhook_deliveries_total{subscription, outcome}`: webhook attempts (`delivered`,
//!   `retried`, `dead_lettered`);
//! - `circuit_state{provider}`: an executor's circuit breaker for a provider instance (0 closed,
//!   1 half-open, 2 open).

use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    command: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    kind: String,
    r#type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    provider: String,
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeadLetterLabels {
    component: String,
    provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConsumerLabels {
    consumer: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BalanceLabels {
    provider: String,
    currency: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NotificationLabels {
    kind: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    subscription: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: String,
}

type Balances = Family<BalanceLabels, Gauge<f64, std::sync::atomic::AtomicU64>>;

type CallHistograms = Family<CallLabels, Histogram, fn() -> Histogram>;

fn call_histogram() -> Histogram {
    // 5 ms … ~41 s: a sandbox answers in milliseconds, a provider under load in seconds.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.005, 2.0, 14,
    ))
}

struct Metrics {
    registry: Registry,
    commands: Family<CommandLabels, Counter>,
    appended: Family<EventLabels, Counter>,
    conflicts: Family<KindLabels, Counter>,
    calls: CallHistograms,
    dead_letters: Family<DeadLetterLabels, Counter>,
    pending: Family<ConsumerLabels, Gauge>,
    ack_pending: Family<ConsumerLabels, Gauge>,
    balances: Balances,
    server_too_old: Gauge,
    notifications: Family<NotificationLabels, Counter>,
    webhooks: Family<WebhookLabels, Counter>,
    circuits: Family<ProviderLabels, Gauge>,
}

static METRICS: LazyLock<Mutex<Metrics>> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("giro");
    let commands = Family::<CommandLabels, Counter>::default();
    registry.register(
        "commands",
        "Intake commands by command and result (ok, duplicate, or the error code)",
        commands.clone(),
    );
    let appended = Family::<EventLabels, Counter>::default();
    registry.register(
        "events_appended",
        "Events stored in the event log, by order kind and event type",
        appended.clone(),
    );
    let conflicts = Family::<KindLabels, Counter>::default();
    // Shown at zero from the start: "no conflicts" is a figure too.
    for kind in ["payout", "charge", "beneficiary"] {
        conflicts
            .get_or_create(&KindLabels {
                kind: kind.to_string(),
            })
            .inc_by(0);
    }
    registry.register(
        "append_conflicts",
        "Appends that lost an optimistic-concurrency race and were decided again",
        conflicts.clone(),
    );
    let calls: CallHistograms = Family::new_with_constructor(call_histogram);
    registry.register(
        "provider_call_seconds",
        "Provider HTTP call latency by provider, operation and outcome",
        calls.clone(),
    );
    let dead_letters = Family::<DeadLetterLabels, Counter>::default();
    registry.register(
        "dead_letters",
        "Messages set aside on a dead-letter subject, by component and provider",
        dead_letters.clone(),
    );
    let pending = Family::<ConsumerLabels, Gauge>::default();
    registry.register(
        "consumer_pending",
        "Events not yet delivered to a durable consumer (its lag)",
        pending.clone(),
    );
    let ack_pending = Family::<ConsumerLabels, Gauge>::default();
    registry.register(
        "consumer_ack_pending",
        "Events delivered to a durable consumer and not yet acknowledged (includes timers)",
        ack_pending.clone(),
    );
    let balances = Balances::default();
    registry.register(
        "provider_balance",
        "The balance a pre-funded provider account last reported, by provider instance and \
         currency (a gauge for dashboards and alerts; the exact figure is in /v1/treasury)",
        balances.clone(),
    );
    let server_too_old = Gauge::default();
    registry.register(
        "nats_server_too_old",
        "1 while this process is connected (after a reconnect) to a nats-server older than Giro \
         needs, else 0",
        server_too_old.clone(),
    );
    let notifications = Family::<NotificationLabels, Counter>::default();
    registry.register(
        "notifications",
        "Status-change notifications published, by order kind and status",
        notifications.clone(),
    );
    let webhooks = Family::<WebhookLabels, Counter>::default();
    registry.register(
        "webhook_deliveries",
        "Webhook attempts by subscription and outcome (delivered, retried, dead_lettered)",
        webhooks.clone(),
    );
    let circuits = Family::<ProviderLabels, Gauge>::default();
    registry.register(
        "circuit_state",
        "An executor's circuit breaker for a provider instance: 0 closed, 1 half-open, 2 open \
         (payouts with another candidate of their route fail over while it is open)",
        circuits.clone(),
    );
    Mutex::new(Metrics {
        circuits,
        notifications,
        webhooks,
        server_too_old,
        balances,
        registry,
        commands,
        appended,
        conflicts,
        calls,
        dead_letters,
        pending,
        ack_pending,
    })
});

fn with<T>(f: impl FnOnce(&Metrics) -> T) -> T {
    let guard = METRICS.lock().unwrap_or_else(|p| p.into_inner());
    f(&guard)
}

/// An intake command's result: `ok`, `duplicate` or the error code.
pub fn command(command: &str, result: &str) {
    with(|m| {
        m.commands
            .get_or_create(&CommandLabels {
                command: command.to_string(),
                result: result.to_string(),
            })
            .inc();
    });
}

/// Makes `giro_commands_total{command, result="ok"}` exist at 0 before the first command, and
/// `giro_append_conflicts_total{kind}` for each of `kinds`, so that rates and alerts see the
/// first ones.
pub fn commands_expected(commands: &[&str], kinds: &[&str]) {
    with(|m| {
        for command in commands {
            let _ = m.commands.get_or_create(&CommandLabels {
                command: command.to_string(),
                result: "ok".to_string(),
            });
        }
        for kind in kinds {
            let _ = m.conflicts.get_or_create(&KindLabels {
                kind: kind.to_string(),
            });
        }
    });
}

/// An event stored in the log.
pub fn event_appended(kind: &str, event_type: &str) {
    with(|m| {
        m.appended
            .get_or_create(&EventLabels {
                kind: kind.to_string(),
                r#type: event_type.to_string(),
            })
            .inc();
    });
}

/// An append that lost a race and is decided again.
pub fn append_conflict(kind: &str) {
    with(|m| {
        m.conflicts
            .get_or_create(&KindLabels {
                kind: kind.to_string(),
            })
            .inc();
    });
}

/// Appends of orders of `kind` that lost a race in this process so far (for benches).
pub fn append_conflicts(kind: &str) -> u64 {
    with(|m| {
        m.conflicts
            .get_or_create(&KindLabels {
                kind: kind.to_string(),
            })
            .get()
    })
}

/// One provider HTTP call and how it ended (`2xx`, `4xx`, `5xx`, `not_sent`, `lost`).
pub fn provider_call(provider: &str, operation: &str, outcome: &str, took: Duration) {
    with(|m| {
        m.calls
            .get_or_create(&CallLabels {
                provider: provider.to_string(),
                operation: operation.to_string(),
                outcome: outcome.to_string(),
            })
            .observe(took.as_secs_f64());
    });
}

/// A message set aside on a dead-letter subject.
pub fn dead_letter(component: &str, provider: &str) {
    with(|m| {
        m.dead_letters
            .get_or_create(&DeadLetterLabels {
                component: component.to_string(),
                provider: provider.to_string(),
            })
            .inc();
    });
}

/// Makes `giro_dead_letters_total{component, provider}` exist at 0 before the first dead
/// letter, so that `increase()` in an alert sees that first one.
pub fn dead_letters_expected(component: &str, provider: &str) {
    with(|m| {
        let _ = m.dead_letters.get_or_create(&DeadLetterLabels {
            component: component.to_string(),
            provider: provider.to_string(),
        });
    });
}

/// A status-change notification published.
pub fn notification(kind: &str, status: &str) {
    with(|m| {
        let labels = NotificationLabels {
            kind: kind.to_string(),
            status: status.to_string(),
        };
        m.notifications.get_or_create(&labels).inc();
    });
}

/// One webhook attempt's outcome: `delivered`, `retried` or `dead_lettered`.
pub fn webhook_delivery(subscription: &str, outcome: &str) {
    with(|m| {
        let labels = WebhookLabels {
            subscription: subscription.to_string(),
            outcome: outcome.to_string(),
        };
        m.webhooks.get_or_create(&labels).inc();
    });
}

/// A durable consumer's lag as the server last reported it.
pub fn consumer_lag(consumer: &str, pending: u64, ack_pending: u64) {
    let labels = ConsumerLabels {
        consumer: consumer.to_string(),
    };
    with(|m| {
        m.pending
            .get_or_create(&labels)
            .set(i64::try_from(pending).unwrap_or(i64::MAX));
        m.ack_pending
            .get_or_create(&labels)
            .set(i64::try_from(ack_pending).unwrap_or(i64::MAX));
    });
}

/// The balance a pre-funded provider account reported just now.
pub fn provider_balance(provider: &str, currency: &str, balance: f64) {
    let labels = BalanceLabels {
        provider: provider.to_string(),
        currency: currency.to_string(),
    };
    with(|m| {
        m.balances.get_or_create(&labels).set(balance);
    });
}

/// Where this process's circuit breaker for `provider` stands (0 closed, 1 half-open, 2 open).
pub fn circuit_state(provider: &str, state: i64) {
    let labels = ProviderLabels {
        provider: provider.to_string(),
    };
    with(|m| {
        m.circuits.get_or_create(&labels).set(state);
    });
}

/// Whether the nats-server this process is connected to is older than Giro needs (seen after
/// a reconnect: an older server is refused outright at start-up).
pub fn nats_server_too_old(too_old: bool) {
    with(|m| {
        m.server_too_old.set(i64::from(too_old));
    });
}

/// The process-wide metrics in the text exposition format (ends with `# EOF`).
pub fn render() -> String {
    render_with(None)
}

/// Only a component's own registry, as one exposition: where the process-wide metrics are served
/// once elsewhere in the process (`giro up`).
pub fn render_own(own: &Registry) -> String {
    let mut out = String::new();
    let _ = encode(&mut out, own);
    out
}

/// The process-wide metrics followed by a component's own registry, as one exposition.
pub fn render_with(own: Option<&Registry>) -> String {
    let mut out = String::new();
    if let Some(own) = own {
        let mut text = String::new();
        if encode(&mut text, own).is_ok() {
            out.push_str(text.trim_end().trim_end_matches("# EOF").trim_end());
            out.push('\n');
        }
    }
    with(|m| {
        let _ = encode(&mut out, &m.registry);
    });
    out
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
