//! Serving Giro's HTTP routers (the webhook ingress, the query API, the ops endpoints) with the
//! limits axum's own server does not set: a client must send a request's head (request line and
//! headers) within [`HttpLimits::head`], and the whole request must be received and answered within
//! [`HttpLimits::request`] (`408` otherwise). A client that trickles a header line every few
//! seconds, or never finishes its body, cannot hold a connection open.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tracing::Instrument;

/// How long a client may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// To send a request's head, from the connection's start or the previous response.
    pub head: Duration,
    /// To send the whole request and have it answered.
    pub request: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            head: Duration::from_secs(10),
            request: Duration::from_secs(30),
        }
    }
}

/// Serves `router` on `listener` with `limits` until `shutdown` completes; then stops accepting
/// and waits for the requests in progress. Every request is a server span (see [`traced`]).
pub async fn serve<F>(listener: TcpListener, router: Router, limits: HttpLimits, shutdown: F)
where
    F: Future<Output = ()> + Send,
{
    let router = router.layer(axum::middleware::from_fn(traced));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let watcher = graceful.watcher();
                    let router = router.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            answer(router.clone(), request, limits.request)
                        });
                        let mut builder = Builder::new(TokioExecutor::new());
                        builder
                            .http1()
                            .timer(TokioTimer::new())
                            .header_read_timeout(limits.head);
                        let connection = builder
                            .serve_connection_with_upgrades(TokioIo::new(stream), service);
                        // A client that closed, reset or timed out is its own business.
                        let _ = watcher.watch(connection.into_owned()).await;
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "HTTP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    graceful.shutdown().await;
}

/// `request` answered by `router`, or `408` when it was not received and answered in time.
async fn answer(
    router: Router,
    request: hyper::Request<Incoming>,
    within: Duration,
) -> Result<axum::response::Response, Infallible> {
    let request = request.map(axum::body::Body::new);
    match tokio::time::timeout(within, router.oneshot(request)).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(never)) => match never {},
        Err(_) => {
            tracing::info!(?within, "HTTP request not received and answered in time");
            Ok((
                StatusCode::REQUEST_TIMEOUT,
                "request not received and answered in time",
            )
                .into_response())
        }
    }
}

/// Handles `request` in an HTTP server span named after its route (`POST /webhooks/{path}`), with
/// the semantic-convention attributes of HTTP servers, continuing the caller's W3C trace. A `5xx`
/// answer is an error of the span; a `4xx` is the client's (OpenTelemetry's rule for servers).
pub async fn traced(request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let name = match &route {
        Some(route) => format!("{method} {route}"),
        None => method.clone(),
    };
    let span = tracing::info_span!(
        "http.server",
        otel.name = %name,
        otel.kind = "server",
        http.request.method = %method,
        http.route = route.as_deref().unwrap_or_default(),
        url.path = %request.uri().path(),
        url.scheme = "http",
        network.protocol.name = "http",
        http.response.status_code = tracing::field::Empty,
    );
    crate::trace::continue_http(&span, request.headers());
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        crate::trace::fail(&span, status.as_str(), status.to_string());
    }
    response
}
