//! The NATS micro service protocol (`$SRV.PING`, `$SRV.INFO`, `$SRV.STATS`, schema
//! `io.nats.micro.v1`), served by intake itself.
//!
//! async-nats' service counts an error only when the reply is sent as an error, and then it sends
//! an empty body; Giro's error replies carry the reply envelope (the contract's `ok: false` body)
//! and the `Nats-Service-Error` headers both. Serving the protocol here lets one reply be both:
//! `num_errors` and `last_error` count every refused command, so `nats micro stats` shows them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::{Client, HeaderMap};
use bytes::Bytes;
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinHandle;

/// The header that marks a reply as an error, with its description (ADR-32).
pub const NATS_SERVICE_ERROR: &str = "Nats-Service-Error";
/// The header with the error's numeric code (ADR-32).
pub const NATS_SERVICE_ERROR_CODE: &str = "Nats-Service-Error-Code";

/// What an instance says of itself in `PING`, `INFO` and `STATS` (name, version and metadata in
/// all three, as ADR-32 and the official clients have them).
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub metadata: HashMap<String, String>,
    pub queue_group: String,
}

#[derive(Debug, Clone, Default)]
struct EndpointStats {
    subject: String,
    requests: u64,
    errors: u64,
    processing: Duration,
    last_error: String,
}

/// Counts of one endpoint's replies, and the custom `data` a stats reply carries.
type Data = Box<dyn Fn(&str) -> Value + Send + Sync>;

/// One running service instance: its id, its endpoints' figures and the task answering `$SRV.*`.
pub struct Service {
    client: Client,
    info: Arc<ServiceInfo>,
    endpoints: Arc<Mutex<BTreeMap<String, EndpointStats>>>,
    verbs: JoinHandle<()>,
}

/// A request to one endpoint, answered once with [`Service::respond`].
pub struct Request {
    pub message: async_nats::Message,
    endpoint: String,
    received: Instant,
}

/// The error a reply stands for, counted in `num_errors` and shown as `last_error`.
pub struct ReplyError<'a> {
    pub code: u16,
    pub description: &'a str,
}

#[derive(Serialize)]
struct Ping<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    id: &'a str,
    version: &'a str,
    metadata: &'a HashMap<String, String>,
}

#[derive(Serialize)]
struct EndpointInfo<'a> {
    name: &'a str,
    subject: &'a str,
    queue_group: &'a str,
    metadata: HashMap<String, String>,
}

#[derive(Serialize)]
struct Info<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    id: &'a str,
    version: &'a str,
    description: &'a str,
    metadata: &'a HashMap<String, String>,
    endpoints: Vec<EndpointInfo<'a>>,
}

#[derive(Serialize)]
struct EndpointStatsReply<'a> {
    name: &'a str,
    subject: &'a str,
    queue_group: &'a str,
    num_requests: u64,
    num_errors: u64,
    processing_time: u128,
    average_processing_time: u128,
    last_error: &'a str,
    data: Value,
}

#[derive(Serialize)]
struct Stats<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    id: &'a str,
    version: &'a str,
    metadata: &'a HashMap<String, String>,
    started: &'a str,
    endpoints: Vec<EndpointStatsReply<'a>>,
}

/// A fresh instance id: 22 base-62 characters, as NATS' own ids.
fn instance_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = uuid::Uuid::new_v4().as_u128();
    (0..22)
        .map(|_| {
            let c = ALPHABET[(n % 62) as usize] as char;
            n /= 62;
            c
        })
        .collect()
}

impl Service {
    /// Subscribes the protocol's verbs for `info` (all instances, by name, by this instance's id)
    /// and answers them until [`Service::stop`]. `data` gives each endpoint's custom stats data.
    pub async fn start(
        client: Client,
        info: ServiceInfo,
        data: Data,
    ) -> Result<Service, async_nats::SubscribeError> {
        let id = instance_id();
        let info = Arc::new(info);
        let endpoints: Arc<Mutex<BTreeMap<String, EndpointStats>>> = Arc::default();
        let mut subscriptions = Vec::new();
        for verb in ["PING", "INFO", "STATS"] {
            for subject in [
                format!("$SRV.{verb}"),
                format!("$SRV.{verb}.{}", info.name),
                format!("$SRV.{verb}.{}.{id}", info.name),
            ] {
                subscriptions.push((verb, client.subscribe(subject).await?));
            }
        }
        let started = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let verbs = tokio::spawn({
            let client = client.clone();
            let info = info.clone();
            let id = id.clone();
            let endpoints = endpoints.clone();
            async move {
                let mut all = futures::stream::select_all(
                    subscriptions
                        .into_iter()
                        .map(|(verb, s)| s.map(move |m| (verb, m))),
                );
                while let Some((verb, message)) = all.next().await {
                    let Some(reply) = message.reply else { continue };
                    let body = match verb {
                        "PING" => serde_json::to_vec(&Ping {
                            kind: "io.nats.micro.v1.ping_response",
                            name: &info.name,
                            id: &id,
                            version: &info.version,
                            metadata: &info.metadata,
                        }),
                        "INFO" => {
                            let endpoints = endpoints.lock().map(|e| e.clone()).unwrap_or_default();
                            serde_json::to_vec(&Info {
                                kind: "io.nats.micro.v1.info_response",
                                name: &info.name,
                                id: &id,
                                version: &info.version,
                                description: &info.description,
                                metadata: &info.metadata,
                                endpoints: endpoints
                                    .iter()
                                    .map(|(name, e)| EndpointInfo {
                                        name,
                                        subject: &e.subject,
                                        queue_group: &info.queue_group,
                                        metadata: HashMap::new(),
                                    })
                                    .collect(),
                            })
                        }
                        _ => {
                            let endpoints = endpoints.lock().map(|e| e.clone()).unwrap_or_default();
                            serde_json::to_vec(&Stats {
                                kind: "io.nats.micro.v1.stats_response",
                                name: &info.name,
                                id: &id,
                                version: &info.version,
                                metadata: &info.metadata,
                                started: &started,
                                endpoints: endpoints
                                    .iter()
                                    .map(|(name, e)| EndpointStatsReply {
                                        name,
                                        subject: &e.subject,
                                        queue_group: &info.queue_group,
                                        num_requests: e.requests,
                                        num_errors: e.errors,
                                        processing_time: e.processing.as_nanos(),
                                        average_processing_time: e
                                            .processing
                                            .as_nanos()
                                            .checked_div(u128::from(e.requests))
                                            .unwrap_or(0),
                                        last_error: &e.last_error,
                                        data: data(name),
                                    })
                                    .collect(),
                            })
                        }
                    };
                    match body {
                        Ok(body) => {
                            if let Err(e) = client.publish(reply, body.into()).await {
                                tracing::warn!(error = %e, verb, "could not answer a service request");
                            }
                        }
                        Err(e) => tracing::error!(error = %e, verb, "service reply not encoded"),
                    }
                }
            }
        });
        Ok(Service {
            client,
            info,
            endpoints,
            verbs,
        })
    }

    /// Subscribes endpoint `name` on `subject` in the service's queue group: its requests, each
    /// to be answered with [`Service::respond`].
    pub async fn endpoint(
        &self,
        name: &str,
        subject: String,
    ) -> Result<impl futures::Stream<Item = Request> + use<>, async_nats::SubscribeError> {
        let subscriber = self
            .client
            .queue_subscribe(subject.clone(), self.info.queue_group.clone())
            .await?;
        if let Ok(mut endpoints) = self.endpoints.lock() {
            endpoints.insert(
                name.to_string(),
                EndpointStats {
                    subject,
                    ..Default::default()
                },
            );
        }
        let name = name.to_string();
        Ok(subscriber.map(move |message| Request {
            message,
            endpoint: name.clone(),
            received: Instant::now(),
        }))
    }

    /// Waits until the server has processed every subscription made so far.
    pub async fn flush(&self) -> Result<(), async_nats::client::FlushError> {
        self.client.flush().await
    }

    /// A handle to answer requests and count them, for the tasks that serve the endpoints.
    pub fn responder(&self) -> Responder {
        Responder {
            client: self.client.clone(),
            endpoints: self.endpoints.clone(),
        }
    }

    /// Stops answering `$SRV.*`; the endpoints' subscriptions end when their streams are dropped.
    pub fn stop(self) {
        self.verbs.abort();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.verbs.abort();
    }
}

/// Answers requests and keeps each endpoint's figures.
#[derive(Clone)]
pub struct Responder {
    client: Client,
    endpoints: Arc<Mutex<BTreeMap<String, EndpointStats>>>,
}

impl Responder {
    /// Sends `body` to the request's reply subject. With `error`, the reply also carries the
    /// `Nats-Service-Error` headers and counts as an error of its endpoint.
    pub async fn respond(
        &self,
        request: &Request,
        body: Bytes,
        error: Option<ReplyError<'_>>,
    ) -> Result<(), async_nats::PublishError> {
        if let Ok(mut endpoints) = self.endpoints.lock()
            && let Some(stats) = endpoints.get_mut(&request.endpoint)
        {
            stats.requests += 1;
            stats.processing += request.received.elapsed();
            if let Some(error) = &error {
                stats.errors += 1;
                stats.last_error = format!("{}:{}", error.code, error.description);
            }
        }
        let Some(reply) = request.message.reply.clone() else {
            return Ok(());
        };
        match error {
            None => self.client.publish(reply, body).await,
            Some(error) => {
                let mut headers = HeaderMap::new();
                headers.insert(NATS_SERVICE_ERROR, error.description);
                headers.insert(NATS_SERVICE_ERROR_CODE, error.code.to_string().as_str());
                self.client.publish_with_headers(reply, headers, body).await
            }
        }
    }
}
