//! Serving a provider's router, with the one thing axum's own server cannot do: close a connection
//! without answering, after the request was processed (the "response lost" fault).

use std::net::SocketAddr;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::error::Error;
use crate::shutdown::Shutdown;

/// Marks a response that must not reach the client: the connection is closed instead.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoseResponse;

/// Returned to hyper so that it closes the connection without writing a response.
#[derive(Debug, thiserror::Error)]
#[error("response deliberately lost by the sandbox")]
struct LostResponse;

/// Binds `addr` (port 0 picks a free port).
pub(crate) async fn bind(provider: &'static str, addr: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).await.map_err(|source| Error::Bind {
        provider,
        addr,
        source,
    })
}

/// Serves `router` on `listener` until `shutdown`; open connections are aborted then.
pub(crate) fn spawn(listener: TcpListener, router: Router, shutdown: Shutdown) {
    tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                () = shutdown.wait() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        connections.spawn(serve_connection(stream, router.clone()));
                    }
                    Err(error) => {
                        tracing::warn!(%error, "sandbox accept failed");
                        if !shutdown.sleep(std::time::Duration::from_millis(50)).await {
                            break;
                        }
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.abort_all();
    });
}

async fn serve_connection(stream: TcpStream, router: Router) {
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        async move {
            let response = match router.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<LoseResponse>().is_some() {
                Err(LostResponse)
            } else {
                Ok(response)
            }
        }
    });
    // A closed or reset connection is the client's business, and a lost response is ours.
    let _ = Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
}
