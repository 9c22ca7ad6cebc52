//! Delivering callbacks in the background, on each provider's retry ladder, recording every attempt.

mod policy;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use policy::Ack;
pub(crate) use policy::RetryPolicy;

use crate::clock::Timing;
use crate::introspect::{CallbackAttempt, CallbackOutcome, Registry};
use crate::shutdown::Shutdown;

/// The request of one attempt: headers and exact body bytes (signed over those bytes).
#[derive(Clone, Debug)]
pub(crate) struct Rendered {
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// Builds the request of attempt `n` (1-based); bodies may change per attempt (KillB `attempts`,
/// A55's timestamp), so signing happens here.
pub(crate) type Renderer = Arc<dyn Fn(u32) -> Rendered + Send + Sync>;

/// One notification to deliver.
#[derive(Clone)]
pub(crate) struct Delivery {
    pub provider: String,
    pub order_id: String,
    pub announces: String,
    pub url: String,
    pub render: Renderer,
    pub policy: Arc<RetryPolicy>,
}

/// What the receiver answered to one attempt.
#[derive(Debug, Default)]
struct Answer {
    status: Option<u16>,
    body: String,
    error: Option<String>,
}

impl Answer {
    fn error(message: String) -> Self {
        Self {
            error: Some(message),
            ..Self::default()
        }
    }
}

/// Sends deliveries in background tasks that end with the sandbox.
#[derive(Clone)]
pub(crate) struct Dispatcher {
    client: reqwest::Client,
    registry: Arc<Registry>,
    timing: Timing,
    shutdown: Shutdown,
    next_id: Arc<AtomicU64>,
}

impl Dispatcher {
    /// A dispatcher whose callbacks to a host named in `resolve` go to its address without a DNS
    /// query (the URL's port is kept), as curl's `--resolve` does.
    pub(crate) fn new(
        registry: Arc<Registry>,
        timing: Timing,
        shutdown: Shutdown,
        resolve: &[(String, IpAddr)],
    ) -> Result<Self, reqwest::Error> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = resolve.iter().fold(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(timing.callback_timeout),
            // Port 0: the port of each callback's URL is used.
            |builder, (host, ip)| builder.resolve(host, SocketAddr::new(*ip, 0)),
        );
        let client = client.build()?;
        Ok(Self {
            client,
            registry,
            timing,
            shutdown,
            next_id: Arc::new(AtomicU64::new(1)),
        })
    }

    /// Records that `delivery` was dropped by a fault and will never be sent.
    pub(crate) fn drop_delivery(&self, delivery: &Delivery) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.record(delivery, id, 1, Answer::default(), CallbackOutcome::Dropped);
    }

    /// Starts delivering `delivery` after `extra_delay` plus its ladder's first wait.
    pub(crate) fn dispatch(&self, delivery: Delivery, extra_delay: Duration) {
        let this = self.clone();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move { this.run(delivery, id, extra_delay).await });
    }

    async fn run(self, delivery: Delivery, id: u64, extra_delay: Duration) {
        let attempts = delivery.policy.delays.len();
        for (index, delay) in delivery.policy.delays.iter().enumerate() {
            let mut wait = self.timing.scale(*delay);
            if index == 0 {
                wait += extra_delay;
            }
            if !self.shutdown.sleep(wait).await {
                return;
            }
            let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let rendered = (delivery.render)(number);
            let answer = self.attempt(&delivery.url, rendered).await;
            let acknowledged = answer
                .status
                .is_some_and(|s| delivery.policy.ack.accepts(s, &answer.body));
            let last = index + 1 == attempts || !delivery.policy.retryable(answer.status);
            let outcome = match (acknowledged, last) {
                (true, _) => CallbackOutcome::Acknowledged,
                (false, true) => CallbackOutcome::Abandoned,
                (false, false) => CallbackOutcome::Failed,
            };
            self.record(&delivery, id, number, answer, outcome);
            if acknowledged || last {
                return;
            }
        }
    }

    async fn attempt(&self, url: &str, rendered: Rendered) -> Answer {
        let mut request = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .body(rendered.body);
        for (name, value) in rendered.headers {
            request = request.header(name, value);
        }
        let sent = tokio::select! {
            sent = request.send() => sent,
            () = self.shutdown.wait() => return Answer::error("sandbox shut down".into()),
        };
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                Answer {
                    status: Some(status),
                    body: body.chars().take(200).collect(),
                    error: None,
                }
            }
            Err(error) => Answer::error(error.to_string()),
        }
    }

    fn record(
        &self,
        delivery: &Delivery,
        id: u64,
        attempt: u32,
        answer: Answer,
        outcome: CallbackOutcome,
    ) {
        let record = CallbackAttempt {
            delivery: id,
            attempt,
            announces: delivery.announces.clone(),
            url: delivery.url.clone(),
            at: self.registry.now(),
            http_status: answer.status,
            body: answer.body,
            error: answer.error,
            outcome,
        };
        self.registry
            .callback(&delivery.provider, &delivery.order_id, record);
    }
}
