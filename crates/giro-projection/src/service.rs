//! Running a projection instance: the projector loop and the HTTP server, started together and
//! stopped together.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use async_nats::jetstream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::ProjectionConfig;
use crate::db;
use crate::error::Error;
use crate::http::{self, Shared};
use crate::metrics::Metrics;
use crate::projector::Projector;

/// A running instance. [`ProjectionHandle::stop`] ends it cleanly; dropping the handle instead
/// aborts it at once, like a crash (a batch in flight rolls back and is applied again later).
pub struct ProjectionHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Option<Tasks>,
}

struct Tasks {
    projector: JoinHandle<()>,
    audit: JoinHandle<()>,
    server: JoinHandle<Result<(), std::io::Error>>,
}

impl Drop for ProjectionHandle {
    fn drop(&mut self) {
        if let Some(tasks) = self.tasks.take() {
            tasks.projector.abort();
            tasks.audit.abort();
            tasks.server.abort();
        }
    }
}

impl ProjectionHandle {
    /// Where the HTTP server listens (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the projector between batches (a batch in flight is committed or rolled back whole)
    /// and the HTTP server after its in-flight requests.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(tasks) = self.tasks.take() {
            let _ = tasks.projector.await;
            let _ = tasks.audit.await;
            let _ = tasks.server.await;
        }
    }
}

/// Starts an instance: checks the configuration, migrates the schema (creating it if needed),
/// binds the HTTP address, then runs the projector from the checkpoint. Fails fast when
/// PostgreSQL is unreachable or the address is taken; a missing stream or a NATS outage later is
/// retried by the projector and reported by `/readyz`.
pub async fn start(
    config: ProjectionConfig,
    nats: async_nats::Client,
) -> Result<ProjectionHandle, Error> {
    config.validate()?;
    let pool = db::pool(&config.database_url, &config.schema, config.max_connections)?;
    db::prepare(&pool, &config.schema).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| Error::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Listen {
        addr: config.listen,
        source,
    })?;
    let js = jetstream::new(nats.clone());
    let metrics = Arc::new(Metrics::new());
    let (stop, stopped) = watch::channel(false);
    let projector = Projector {
        pool: pool.clone(),
        js: js.clone(),
        config: config.clone(),
        metrics: metrics.clone(),
    };
    let projector = tokio::spawn(projector.run(stopped.clone()));
    let audit = tokio::spawn(crate::audit::follow(
        pool.clone(),
        js.clone(),
        config.log.clone(),
        stopped.clone(),
    ));
    let shared = Arc::new(Shared {
        pool,
        nats,
        js,
        config,
        metrics,
    });
    let mut server_stop = stopped;
    let server = tokio::spawn(async move {
        giro_telemetry::http::serve(
            listener,
            http::router(shared),
            giro_telemetry::http::HttpLimits::default(),
            async move {
                let _ = server_stop.wait_for(|s| *s).await;
            },
        )
        .await;
        Ok(())
    });
    tracing::info!(%addr, "giro-projection serving");
    Ok(ProjectionHandle {
        addr,
        stop,
        tasks: Some(Tasks {
            projector,
            audit,
            server,
        }),
    })
}

/// Runs an instance until `shutdown` completes (Ctrl-C in the binary), then stops it cleanly.
/// Returns early with the error if the HTTP server fails.
pub async fn run(
    config: ProjectionConfig,
    nats: async_nats::Client,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    let mut handle = start(config, nats).await?;
    let addr = handle.addr;
    let Some(mut tasks) = handle.tasks.take() else {
        return Ok(());
    };
    let served = tokio::select! {
        _ = shutdown => None,
        served = &mut tasks.server => Some(served),
    };
    let _ = handle.stop.send(true);
    let _ = tasks.projector.await;
    let _ = tasks.audit.await;
    let served = match served {
        Some(served) => served,
        None => tasks.server.await,
    };
    match served {
        Ok(Ok(())) => Ok(()),
        Ok(Err(source)) => Err(Error::Listen { addr, source }),
        Err(e) => Err(Error::Listen {
            addr,
            source: std::io::Error::other(e),
        }),
    }
}
